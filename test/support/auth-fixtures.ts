import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { loadConfigOrThrow, type RawEnvironment } from '@asr/config';
import { ApiKeys } from '../../libs/auth/src/api-keys';
import { Authenticator, type AuthVerdict } from '../../libs/auth/src/authenticator';
import { RateLimiter } from '../../libs/auth/src/rate-limiter';
import { StreamTokens } from '../../libs/auth/src/stream-tokens';

/** The name the server gives a key of API_KEYS: `key-<first 8 hex of its SHA-256>`. */
export const nameOf = (key: string): string => `key-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;

export const WITH_KEYS = { API_KEYS: 'alpha-key,root-key', SECRET_KEY: 'a-secret-key-of-thirty-two-chars!' };

/** An Authenticator over real keys, tokens and limiter built from `env`, and the StreamTokens it checks with. */
export function authenticatorFor(env: RawEnvironment = WITH_KEYS): { auth: Authenticator; tokens: StreamTokens } {
  const config = loadConfigOrThrow(env);
  const tokens = new StreamTokens(config);
  return { auth: new Authenticator(config, new ApiKeys(config), tokens, new RateLimiter(config)), tokens };
}

/** An upgrade request as a handshake sees it: headers and the socket's peer. */
export function upgradeRequest(headers: IncomingHttpHeaders = {}, remoteAddress = '127.0.0.1'): IncomingMessage {
  return { headers, socket: { remoteAddress } } as unknown as IncomingMessage;
}

/** A refusal as `status code: message`, or the caller's id: one string to compare. */
export function outcome(verdict: AuthVerdict): string {
  return verdict.ok
    ? verdict.caller.id
    : `${verdict.error.getStatus()} ${verdict.error.code}: ${verdict.error.message}`;
}

export const bearer = (key: string): IncomingHttpHeaders => ({ authorization: `Bearer ${key}` });
