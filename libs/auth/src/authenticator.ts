import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@asr/config';
import { ApiError } from '@asr/observability';
import { ApiKeys, type Caller, OPEN_TENANT } from './api-keys';
import { clientAddress, type TrustProxy, trustProxy } from './client-address';
import {
  handshakeCredential,
  type LiveProtocolName,
  MALFORMED_AUTHORIZATION,
  presentedKey,
} from './handshake-credentials';
import { RateLimiter } from './rate-limiter';
import {
  EPHEMERAL_KEY_PREFIX,
  type EphemeralKeyCheck,
  looksLikeEphemeralKey,
  looksLikeStreamToken,
  type SessionPreset,
  StreamTokens,
  type TokenCheck,
} from './stream-tokens';

/**
 * Who a request or handshake speaks for, or why it is refused. `session`: the configuration an ephemeral key was
 * minted with (client_secrets' `session`), which the Realtime framing applies before the client's first event.
 */
export type AuthVerdict = { ok: true; caller: Caller; session?: SessionPreset } | { ok: false; error: ApiError };

/** Query parameters that would carry a long-lived key in a URL (any case): always refused on a live protocol. */
const KEY_QUERY_PARAMS = new Set(['api_key', 'apikey', 'api-key', 'key', 'access_token', 'authorization']);

const CHALLENGE = { 'www-authenticate': 'Bearer realm="asr-api"' };

/** Where each new protocol's clients put credentials instead, for the refusals that name it. */
const HOW_TO_SEND: Record<Exclude<LiveProtocolName, 'native'>, string> = {
  realtime:
    'send "Authorization: Bearer <key>", or from a browser the subprotocols "realtime" and ' +
    '"openai-insecure-api-key.<ephemeral key>" (POST /v1/realtime/client_secrets mints one)',
  deepgram:
    'send "Authorization: Token <key>", or from a browser the subprotocols "token" and "<key>" (or "bearer" and a ' +
    'stream token from POST /api/v1/auth/stream-token)',
};

const isProbe = (path: string): boolean => path === '/health' || path.startsWith('/health/');

const unauthorized = (message: string): ApiError => new ApiError(401, 'unauthorized', message, CHALLENGE);
const forbidden = (message: string): ApiError => new ApiError(403, 'forbidden', message);
const refused = (error: ApiError): AuthVerdict => ({ ok: false, error });

const hasKeyParam = (query: URLSearchParams): boolean =>
  [...query.keys()].some((name) => KEY_QUERY_PARAMS.has(name.toLowerCase()));

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

  /**
   * A live protocol's handshake, before the upgrade. `native` (/api/v1/stream): a key in a header, or a stream
   * token in `?token=`. `realtime` (/v1/realtime): `Authorization: Bearer` with a key or an ephemeral key, or the
   * subprotocol `openai-insecure-api-key.<key>`. `deepgram` (/v1/listen): `Authorization: Token` (or `Bearer`) with a
   * key or a stream token, or the subprotocol pair `token`/`bearer`, `<credential>`. Never a key in the URL; each
   * opening counts against the caller's rate limit.
   */
  handshake(protocol: LiveProtocolName, request: IncomingMessage, query: URLSearchParams): AuthVerdict {
    if (protocol === 'native') return this.stream(request, query);
    const address = clientAddress(request, this.trust);
    if (!this.keys.enabled) return this.rate(this.anonymous(address), this.openServerPreset(protocol, request));
    if (hasKeyParam(query) || query.has('token'))
      return refused(
        unauthorized(
          `credentials do not belong in URLs (they end up in logs and browser histories): ${HOW_TO_SEND[protocol]}`,
        ),
      );
    const presented = handshakeCredential(protocol, request.headers);
    if (presented.kind === 'none')
      return refused(unauthorized(`this server wants an API key: ${HOW_TO_SEND[protocol]}`));
    if (presented.kind === 'malformed') return refused(unauthorized(presented.reason));
    const verdict =
      protocol === 'realtime' ? this.realtimeCredential(presented.value) : this.deepgramCredential(presented.value);
    return verdict.ok ? this.rate(verdict.caller, verdict.session) : verdict;
  }

  /** The native stream's handshake: a key in a header, or a stream token in `?token=`; never a raw key in the URL. */
  stream(request: IncomingMessage, query: URLSearchParams): AuthVerdict {
    const tokens = query.getAll('token');
    // Two tokens would leave which one was checked to whoever reads the query next (a proxy, a log, us).
    if (this.keys.enabled && tokens.length > 1)
      return refused(unauthorized(`give exactly one token parameter (?token= appears ${tokens.length} times)`));
    const keyInUrl = hasKeyParam(query) || this.rawKeyInToken(query.get('token'));
    if (this.keys.enabled && keyInUrl)
      return refused(
        unauthorized(
          'API keys do not belong in URLs (they end up in logs and browser histories): send the key in the ' +
            'Authorization header, or mint a short-lived token with POST /api/v1/auth/stream-token and pass it as ?token=',
        ),
      );
    const token = query.get('token');
    if (token !== null && this.keys.enabled) {
      const verdict = this.tokenCaller(this.tokens.verify(token), 'stream token');
      return verdict.ok ? this.rate(verdict.caller) : verdict;
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
    const anonymous = this.anonymous(address);
    if (!this.keys.enabled || this.isOpen(path)) return { ok: true, caller: anonymous };
    const key = presentedKey(headers);
    if (key === undefined)
      return refused(
        unauthorized(
          headers.authorization !== undefined
            ? MALFORMED_AUTHORIZATION
            : 'this server wants an API key: send "Authorization: Bearer <key>" or "X-API-Key: <key>"',
        ),
      );
    if (looksLikeStreamToken(key))
      return refused(forbidden('a stream token opens /api/v1/stream only; use the API key here'));
    if (looksLikeEphemeralKey(key))
      return refused(forbidden('an ephemeral key opens /v1/realtime only; use the API key here'));
    return this.apiKey(key);
  }

  /** OpenAI Realtime: an API key or an ephemeral key of ours; a stream token belongs to the other protocols. */
  private realtimeCredential(credential: string): AuthVerdict {
    if (looksLikeEphemeralKey(credential))
      return this.tokenCaller(this.tokens.verifyEphemeral(credential), 'ephemeral key');
    if (looksLikeStreamToken(credential))
      return refused(
        forbidden(
          'a stream token opens /api/v1/stream and /v1/listen; on /v1/realtime send the API key or an ephemeral key ' +
            'from POST /v1/realtime/client_secrets',
        ),
      );
    const verdict = this.apiKey(credential);
    // OpenAI's own ephemeral keys share the prefix: say what it is rather than "not a valid API key".
    if (!verdict.ok && credential.startsWith(EPHEMERAL_KEY_PREFIX))
      return this.tokenCaller(this.tokens.verifyEphemeral(credential), 'ephemeral key');
    return verdict;
  }

  /**
   * A server without keys checks no credential, but an ephemeral key it minted still carries the session a browser
   * app asked for (its format, turn detection): that preset applies, as it would with keys.
   */
  private openServerPreset(protocol: LiveProtocolName, request: IncomingMessage): SessionPreset | undefined {
    if (protocol !== 'realtime') return undefined;
    const presented = handshakeCredential(protocol, request.headers);
    if (presented.kind !== 'credential' || !looksLikeEphemeralKey(presented.value)) return undefined;
    const check = this.tokens.verifyEphemeral(presented.value);
    return check.ok ? check.session : undefined;
  }

  /** Deepgram: an API key, or a stream token (what a browser holds instead of a key). */
  private deepgramCredential(credential: string): AuthVerdict {
    if (looksLikeStreamToken(credential)) return this.tokenCaller(this.tokens.verify(credential), 'stream token');
    if (looksLikeEphemeralKey(credential))
      return refused(
        forbidden('an ephemeral key opens /v1/realtime only; on /v1/listen send the API key or a stream token'),
      );
    return this.apiKey(credential);
  }

  private apiKey(key: string): AuthVerdict {
    const name = this.keys.match(key);
    if (name === undefined) return refused(unauthorized('the API key is not valid'));
    return { ok: true, caller: this.keyCaller(name) };
  }

  /**
   * The key a verified token speaks for. One minted while the server had no keys names the open tenant, which no
   * key can be named: refused, so switching keys on leaves no way into the open era's jobs.
   */
  private tokenCaller(check: EphemeralKeyCheck | TokenCheck, noun: string): AuthVerdict {
    if (!check.ok) return refused(unauthorized(check.reason));
    if (check.keyName === OPEN_TENANT)
      return refused(unauthorized(`the ${noun} was minted while this server had no API keys; mint a new one`));
    const caller = this.keyCaller(check.keyName);
    return 'session' in check && check.session !== undefined
      ? { ok: true, caller, session: check.session }
      : { ok: true, caller };
  }

  private anonymous(address: string): Caller {
    return { id: `ip:${address}`, authenticated: false, tenant: OPEN_TENANT, admin: !this.keys.enabled };
  }

  private keyCaller(name: string): Caller {
    return { id: `key:${name}`, authenticated: true, tenant: name, admin: this.admins.has(name) };
  }

  private rawKeyInToken(token: string | null): boolean {
    return token !== null && !looksLikeStreamToken(token);
  }

  private rate(caller: Caller, session?: SessionPreset): AuthVerdict {
    const verdict = this.limiter.take(caller.id);
    if (verdict.ok) return session === undefined ? { ok: true, caller } : { ok: true, caller, session };
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
