import helmet from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Authenticator, HostPolicy } from '@asr/auth';
import type { AppConfig } from '@asr/config';
import { ErrorResponder } from '@asr/observability';

/** Headers a browser may send cross-origin, and the ones its scripts may read back. */
const CORS_REQUEST_HEADERS = ['authorization', 'x-api-key', 'content-type', 'x-request-id'];
const CORS_EXPOSED_HEADERS = ['x-request-id', 'retry-after', 'location', 'server-timing'];

/**
 * What every HTTP request passes before routing (docs/security.md): security headers, CORS for CORS_ORIGINS, the
 * Host and Origin (DNS rebinding: HostPolicy), then the key and the rate limit (slow clients are cut off by the
 * server itself: createHttpAdapter). Registered before the upload checks, so an unauthenticated upload gets 401,
 * not 413.
 */
export async function registerHttpSecurity(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  // The demo page sends its own Content-Security-Policy; Swagger UI needs inline scripts. HSTS belongs to whatever
  // terminates TLS (nginx, the ingress), which knows whether the site is https at all.
  await app.register(helmet, { contentSecurityPolicy: false, strictTransportSecurity: false });
  const origins = config.security.corsOrigins;
  app.enableCors({
    origin: origins.includes('*') ? '*' : origins.length > 0 ? origins : false,
    methods: ['GET', 'POST', 'DELETE'],
    allowedHeaders: CORS_REQUEST_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    maxAge: 600,
  });

  const authenticator = app.get(Authenticator);
  const hosts = app.get(HostPolicy);
  const responder = app.get(ErrorResponder);
  const fastify = app.getHttpAdapter().getInstance();
  // Declared up front so every request object has the same shape (Fastify's advice for decorations).
  fastify.decorateRequest('caller', undefined);
  fastify.addHook('onRequest', (request, reply, done) => {
    // Preflights carry no credentials by design; @fastify/cors has answered them already when CORS is on.
    if (request.method === 'OPTIONS') return done();
    const path = request.url.split('?')[0]!;
    // Before the key: a page that rebinds its domain to us learns nothing, and spends no one's rate limit.
    const misdirected = hosts.check(request.headers, path);
    if (misdirected) return responder.send(misdirected, request, reply);
    const verdict = authenticator.http(request.headers, path, request.ip);
    if (verdict.ok) {
      request.caller = verdict.caller;
      return done();
    }
    responder.send(verdict.error, request, reply);
  });
}
