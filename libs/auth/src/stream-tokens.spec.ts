import { createHmac } from 'node:crypto';
import { loadConfigOrThrow } from '@asr/config';
import { deriveKey } from './derived-keys';
import { looksLikeStreamToken, MAX_STREAM_TOKEN_TTL_S, StreamTokens } from './stream-tokens';

const SECRET = 'a-secret-key-of-thirty-two-chars!';
const NOW = Date.parse('2026-12-01T12:00:00Z');
const NOW_S = NOW / 1000;

function tokens(ttlS = 60, secret = SECRET): StreamTokens {
  return new StreamTokens(loadConfigOrThrow({ API_KEYS: 'k', SECRET_KEY: secret, STREAM_TOKEN_TTL_S: String(ttlS) }));
}

/** A token with exactly these claims, signed as the server signs them: for claims the server would never mint. */
function forged(claims: unknown, secret = SECRET): string {
  const body = `st1.${Buffer.from(typeof claims === 'string' ? claims : JSON.stringify(claims)).toString('base64url')}`;
  const signature = createHmac('sha256', deriveKey(secret, 'stream-token')).update(body).digest('base64url');
  return `${body}.${signature}`;
}

const claims = (overrides: Record<string, unknown> = {}) => ({
  aud: 'stream',
  sub: 'team-a',
  iat: NOW_S,
  exp: NOW_S + 60,
  jti: 'j',
  ...overrides,
});

describe('StreamTokens', () => {
  it('mints a token that opens streams for its key until it expires', () => {
    const minted = tokens(60).mint('team-a', NOW);
    expect(minted.expiresInS).toBe(60);
    expect(minted.expiresAt.toISOString()).toBe('2026-12-01T12:01:00.000Z');
    expect(looksLikeStreamToken(minted.token)).toBe(true);
    expect(tokens(60).verify(minted.token, NOW + 59_999)).toEqual({ ok: true, keyName: 'team-a' });
    expect(tokens(60).verify(minted.token, NOW + 60_000)).toEqual({
      ok: false,
      reason: 'the stream token has expired; mint a new one',
    });
  });

  it('mints a new token each time', () => {
    const issuer = tokens();
    expect(issuer.mint('team-a', NOW).token).not.toBe(issuer.mint('team-a', NOW).token);
  });

  it('lives as long as STREAM_TOKEN_TTL_S says, up to its maximum of 300 s', () => {
    expect(MAX_STREAM_TOKEN_TTL_S).toBe(300);
    const minted = tokens(300).mint('k', NOW);
    expect(minted.expiresInS).toBe(300);
    expect(tokens(5).verify(minted.token, NOW + 299_000)).toEqual({ ok: true, keyName: 'k' });
  });

  it('refuses a token signed with another SECRET_KEY', () => {
    const other = tokens(60, 'another-secret-key-of-32-chars!!').mint('team-a', NOW).token;
    expect(tokens().verify(other, NOW)).toEqual({ ok: false, reason: 'the stream token is not valid (bad signature)' });
  });

  it.each<[string, (token: string) => string, string]>([
    [
      'a changed claim',
      (t) =>
        t.replace(/^st1\.[^.]+/, `st1.${Buffer.from(JSON.stringify(claims({ sub: 'admin' }))).toString('base64url')}`),
      'bad signature',
    ],
    ['a truncated signature', (t) => t.slice(0, -2), 'bad signature'],
    ['a signature with a stray character', (t) => `${t}=`, 'bad signature'],
    ['another version', (t) => t.replace(/^st1/, 'st2'), 'not a stream token'],
    ['a missing part', (t) => t.split('.').slice(0, 2).join('.'), 'not a stream token'],
  ])('refuses a token with %s', (_case, tamper, reason) => {
    const token = tokens().mint('team-a', NOW).token;
    const check = tokens().verify(tamper(token), NOW);
    expect(check.ok).toBe(false);
    expect(check.ok ? '' : check.reason).toContain(reason);
  });

  it.each<[string, unknown, string]>([
    ['unreadable claims', '{not json', 'unreadable claims'],
    ['another audience', claims({ aud: 'webhook' }), 'not for the stream'],
    ['no subject', claims({ sub: undefined }), 'missing claims'],
    ['an expiry that is not a number', claims({ exp: '9999999999' }), 'missing claims'],
    ['no issue time', claims({ iat: undefined }), 'missing claims'],
    ['an expiry before its issue', claims({ exp: NOW_S - 1 }), 'expires before it was issued'],
    ['a life longer than 300 s', claims({ exp: NOW_S + 301 }), 'lives longer than allowed'],
    ['an issue time 31 s ahead', claims({ iat: NOW_S + 31, exp: NOW_S + 90 }), 'issued in the future'],
    ['an expiry already past', claims({ iat: NOW_S - 120, exp: NOW_S - 60 }), 'has expired'],
  ])('refuses a well-signed token with %s', (_case, body, reason) => {
    const check = tokens().verify(forged(body), NOW);
    expect(check.ok).toBe(false);
    expect(check.ok ? '' : check.reason).toContain(reason);
  });

  it('accepts a token issued a little ahead of this clock (replicas differ)', () => {
    expect(tokens().verify(forged(claims({ iat: NOW_S + 30, exp: NOW_S + 90 })), NOW)).toEqual({
      ok: true,
      keyName: 'team-a',
    });
  });
});

describe('looksLikeStreamToken', () => {
  it.each([
    ['st1.a.b', true],
    ['st1.a', false],
    ['st1.a.b.c', false],
    ['sk-live-123', false],
    ['st2.a.b', false],
  ])('%s → %s', (value, expected) => expect(looksLikeStreamToken(value)).toBe(expected));
});
