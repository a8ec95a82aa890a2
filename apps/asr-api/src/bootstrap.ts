import type { RequestListener } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { trustProxy } from '@asr/auth';
import { AppConfig } from '@asr/config';
import { HttpMetrics, REQUEST_ID_HEADER, requestIdFor, ShutdownState } from '@asr/observability';
import { StreamingService, StreamWsAdapter } from '@asr/streaming';
import { buildOpenApiDocument } from './openapi';
import { registerHttpSecurity } from './http-security';
import { createListener } from './listener';
import { registerClientInputBounds } from './client-input-bounds';
import { registerUploads } from './uploads';
import { PACKAGE_VERSION } from './package-info';

export function createHttpAdapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({
    genReqId: requestIdFor,
    // requestIdFor already reads x-request-id, and validates it.
    requestIdHeader: false,
    // Behind nginx or an ingress the client address comes from X-Forwarded-For, believed only from TRUST_PROXY peers.
    trustProxy: trustProxy(config.security.trustProxy),
    // HTTP or HTTPS (TLS_CERT_FILE), with the slow-client limits.
    serverFactory: (handler: RequestListener) => createListener(config, handler),
  });
}

/** Everything that must happen to an app before it listens, shared by the server and the e2e tests. */
export async function configureApp(app: NestFastifyApplication): Promise<NestFastifyApplication> {
  app.useLogger(app.get(Logger));
  const config = app.get(AppConfig);
  const fastify = app.getHttpAdapter().getInstance();

  const shutdown = app.get(ShutdownState);
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  // Once shutdown begins, keep-alive clients are told to reconnect elsewhere after their current response;
  // otherwise the listener's close would wait on their idle sockets until SHUTDOWN_GRACE_S runs out.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (shutdown.active) void reply.header('connection', 'close');
    done(null, payload);
  });
  app.get(HttpMetrics).attach(fastify);
  const streaming = app.get(StreamingService);
  app.useWebSocketAdapter(
    new StreamWsAdapter(app, {
      hardMaxPayload: config.streaming.maxFrameBytes * 2,
      verify: (request) => streaming.verifyHandshake(request),
    }),
  );
  await registerHttpSecurity(app, config);
  await registerUploads(app, config);
  registerClientInputBounds(app);

  if (config.api.docsEnabled) {
    const document = buildOpenApiDocument(app, PACKAGE_VERSION);
    SwaggerModule.setup('docs', app, () => document, { jsonDocumentUrl: 'docs-json' });
  }
  await app.init();
  return app;
}
