import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@asr/config';
import { ApiError } from '@asr/observability';
import { ApiKeys, type Caller, OPEN_TENANT } from './api-keys';
import { clientAddress, type TrustProxy, trustProxy } from './client-address';
import { RateLimiter } from './rate-limiter';
import { looksLikeStreamToken, StreamTokens } from './stream-tokens';

export type AuthVerdict = { ok: true; caller: Caller } | { ok: false; error: ApiError };

/** Query parameters that would carry a long-lived key in a URL: always refused on the stream. */
const KEY_QUERY_PARAMS = ['api_key', 'apikey', 'key', 'access_token'];

const CHALLENGE = { 'www-authenticate': 'Bearer realm="asr-api"' };

/** The key a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match ? match[1] : undefined;
  }
  const header = headers['x-api-key'];
  return typeof header === 'string' && header.trim() ? header.trim() : undefined;
}

const isProbe = (path: string): boolean => path === '/health' || path.startsWith('/health/');

const unauthorized = (message: string): ApiError => new ApiError(401, 'unauthorized', message, CHALLENGE);

/**
 * Who may do what, in one place: which paths are open, which credentials each surface takes, and the per-caller
 * request rate. The HTTP hook and the stream handshake both ask it; neither decides anything itself.
 */
@Injectable()
export class Authenticator {
  /** TRUST_PROXY for the stream's handshake (Fastify gets the same function for HTTP: createHttpAdapter). */
  private readonly trust: TrustProxy;
  private readonly admins: ReadonlySet<string>;

  constructor(
    private readonly config: AppConfig,
    private readonly keys: ApiKeys,
    private readonly tokens: StreamTokens,
    private readonly limiter: RateLimiter,
  ) {
    this.trust = trustProxy(config.security.trustProxy);
    this.admins = new Set(config.security.adminKeys);
  }

  get enabled(): boolean {
    return this.keys.enabled;
  }

  /** Paths that need no key: probes, the demo page (it asks for a key itself), metrics and docs unless configured. */
  isOpen(path: string): boolean {
    const security = this.config.security;
    if (isProbe(path)) return true;
    if (path === '/' || path.startsWith('/demo/')) return true;
    if (path === '/metrics') return !security.metricsRequireKey;
    if (path === '/docs' || path.startsWith('/docs/') || path === '/docs-json') return !security.docsRequireKey;
    return false;
  }

  /** An HTTP request, before routing. `address`: the client's address as the server believes it (TRUST_PROXY). */
  http(headers: IncomingHttpHeaders, path: string, address: string): AuthVerdict {
    const verdict = this.identify(headers, path, address);
    if (!verdict.ok) return verdict;
    // Probes and scrapes come often and from the platform itself: never limited.
    return isProbe(path) || path === '/metrics' ? verdict : this.rate(verdict.caller);
  }

  /** The stream's handshake: a key in a header, or a stream token in `?token=`; never a raw key in the URL. */
  stream(request: IncomingMessage, query: URLSearchParams): AuthVerdict {
    const tokens = query.getAll('token');
    // Two tokens would leave which one was checked to whoever reads the query next (a proxy, a log, us).
    if (this.keys.enabled && tokens.length > 1)
      return {
        ok: false,
        error: unauthorized(`give exactly one token parameter (?token= appears ${tokens.length} times)`),
      };
    const keyInUrl = KEY_QUERY_PARAMS.some((name) => query.has(name)) || this.rawKeyInToken(query.get('token'));
    if (this.keys.enabled && keyInUrl)
      return {
        ok: false,
        error: unauthorized(
          'API keys do not belong in URLs (they end up in logs and browser histories): send the key in the ' +
            'Authorization header, or mint a short-lived token with POST /api/v1/auth/stream-token and pass it as ?token=',
        ),
      };
    const token = query.get('token');
    if (token !== null && this.keys.enabled) {
      const check = this.tokens.verify(token);
      if (!check.ok) return { ok: false, error: unauthorized(check.reason) };
      return this.rate(this.keyCaller(check.keyName));
    }
    const verdict = this.identify(request.headers, '/api/v1/stream', clientAddress(request, this.trust));
    return verdict.ok ? this.rate(verdict.caller) : verdict;
  }

  /** The name of the valid key these headers present, if any (the stream-token route mints for it). */
  keyName(headers: IncomingHttpHeaders): string | undefined {
    const key = presentedKey(headers);
    return key === undefined ? undefined : this.keys.match(key);
  }

  private identify(headers: IncomingHttpHeaders, path: string, address: string): AuthVerdict {
    const anonymous: Caller = {
      id: `ip:${address}`,
      authenticated: false,
      tenant: OPEN_TENANT,
      admin: !this.keys.enabled,
    };
    if (!this.keys.enabled || this.isOpen(path)) return { ok: true, caller: anonymous };
    const key = presentedKey(headers);
    if (key === undefined) {
      const malformed = headers.authorization !== undefined;
      return {
        ok: false,
        error: unauthorized(
          malformed
            ? 'the Authorization header must be "Bearer <API key>"'
            : 'this server wants an API key: send "Authorization: Bearer <key>" or "X-API-Key: <key>"',
        ),
      };
    }
    if (looksLikeStreamToken(key))
      return {
        ok: false,
        error: new ApiError(403, 'forbidden', 'a stream token opens /api/v1/stream only; use the API key here'),
      };
    const name = this.keys.match(key);
    if (name === undefined) return { ok: false, error: unauthorized('the API key is not valid') };
    return { ok: true, caller: this.keyCaller(name) };
  }

  private keyCaller(name: string): Caller {
    return { id: `key:${name}`, authenticated: true, tenant: name, admin: this.admins.has(name) };
  }

  private rawKeyInToken(token: string | null): boolean {
    return token !== null && !looksLikeStreamToken(token);
  }

  private rate(caller: Caller): AuthVerdict {
    const verdict = this.limiter.take(caller.id);
    if (verdict.ok) return { ok: true, caller };
    return {
      ok: false,
      error: new ApiError(
        429,
        'rate_limited',
        `more than RATE_LIMIT_PER_MINUTE=${this.config.security.rateLimitPerMinute} requests a minute; try again in ${verdict.retryAfterS} s`,
        { 'retry-after': String(verdict.retryAfterS) },
      ),
    };
  }
}
