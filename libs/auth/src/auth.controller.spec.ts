import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { loadConfigOrThrow, type RawEnvironment } from '@asr/config';
import { ApiError } from '@asr/observability';
import { ApiKeys, type Caller } from './api-keys';
import { AuthController } from './auth.controller';
import { Authenticator } from './authenticator';
import { RateLimiter } from './rate-limiter';
import { StreamTokens } from './stream-tokens';
import { WebhookSecrets } from './webhook-secrets';

const WITH_KEYS = { API_KEYS: 'alpha-key', SECRET_KEY: 'a-secret-key-of-thirty-two-chars!' };
const ALPHA = `key-${createHash('sha256').update('alpha-key').digest('hex').slice(0, 8)}`;

function controller(env: RawEnvironment): { auth: AuthController; tokens: StreamTokens; secrets: WebhookSecrets } {
  const config = loadConfigOrThrow(env);
  const tokens = new StreamTokens(config);
  const secrets = new WebhookSecrets(config);
  const authenticator = new Authenticator(config, new ApiKeys(config), tokens, new RateLimiter(config));
  return { auth: new AuthController(authenticator, tokens, secrets), tokens, secrets };
}

const requestWith = (headers: Record<string, string>): FastifyRequest => ({ headers }) as unknown as FastifyRequest;
const caller = (tenant: string): Caller => ({ id: `key:${tenant}`, authenticated: true, tenant, admin: false });

/** The ApiError `call` throws, as `status code`. */
function refusal(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    if (error instanceof ApiError) return `${error.getStatus()} ${error.code}`;
    throw error;
  }
  throw new Error('expected an ApiError');
}

describe('AuthController stream-token', () => {
  it('mints a token for the presenting key that the stream accepts', () => {
    const { auth, tokens } = controller(WITH_KEYS);
    const minted = auth.streamToken(requestWith({ authorization: 'Bearer alpha-key' }));
    expect(minted.expires_in).toBe(60);
    expect(Date.parse(minted.expires_at) - Date.now()).toBeGreaterThan(55_000);
    expect(tokens.verify(minted.token)).toEqual({ ok: true, keyName: ALPHA });
  });

  it('answers 404 on a server without keys: streams need no token there', () => {
    expect(refusal(() => controller({}).auth.streamToken(requestWith({})))).toBe('404 auth_disabled');
  });

  it('mints nothing for a request without a valid key', () => {
    const { auth } = controller(WITH_KEYS);
    expect(refusal(() => auth.streamToken(requestWith({ authorization: 'Bearer wrong' })))).toBe('404 auth_disabled');
  });
});

describe('AuthController webhook-secret', () => {
  it('shows the caller’s own tenant secret', () => {
    const { auth, secrets } = controller(WITH_KEYS);
    expect(auth.webhookSecret(caller(ALPHA))).toEqual({ secret: secrets.shownFor(ALPHA), tenant: ALPHA });
    expect(auth.webhookSecret(caller('other')).secret).not.toBe(secrets.shownFor(ALPHA));
  });

  it('answers 404 without SECRET_KEY: the server signs and sends no webhooks', () => {
    expect(refusal(() => controller({}).auth.webhookSecret(caller('open')))).toBe('404 webhooks_unavailable');
  });
});
