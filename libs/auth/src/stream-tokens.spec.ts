import { createHmac } from 'node:crypto';
import { loadConfigOrThrow } from '@asr/config';
import { deriveKey } from './derived-keys';
import { looksLikeEphemeralKey, looksLikeStreamToken, MAX_STREAM_TOKEN_TTL_S, StreamTokens } from './stream-tokens';

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

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An ephemeral key with exactly these claims, signed as the server signs them. */
const forgedEphemeral = (body: unknown, secret = SECRET): string => `ek_${forged(body, secret)}`;

describe('StreamTokens ephemeral keys', () => {
  const realtime = (overrides: Record<string, unknown> = {}) => claims({ aud: 'realtime', ...overrides });

  it('mints an ek_ key for its API key’s name that opens Realtime sessions until it expires', () => {
    const minted = tokens(60).mintEphemeral('team-a', {}, NOW);
    expect(minted.key).toMatch(/^ek_st1\.[\w-]+\.[\w-]+$/);
    expect(looksLikeEphemeralKey(minted.key)).toBe(true);
    expect(minted.expiresAt.toISOString()).toBe('2026-12-01T12:01:00.000Z');
    expect(minted.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(tokens().verifyEphemeral(minted.key, NOW + 59_999)).toEqual({ ok: true, keyName: 'team-a' });
    expect(tokens().verifyEphemeral(minted.key, NOW + 60_000)).toEqual({
      ok: false,
      reason: 'the ephemeral key has expired; mint a new one with POST /v1/realtime/client_secrets',
    });
  });

  it('lives as asked, but never past 300 s', () => {
    expect(tokens(60).mintEphemeral('k', { ttlS: 20 }, NOW).expiresInS).toBe(20);
    const long = tokens(60).mintEphemeral('k', { ttlS: 7200 }, NOW);
    expect(long.expiresInS).toBe(300);
    expect(long.expiresAt.toISOString()).toBe('2026-12-01T12:05:00.000Z');
    expect(tokens().verifyEphemeral(long.key, NOW + 299_000).ok).toBe(true);
  });

  it('carries the session configuration it was minted with', () => {
    const session = { type: 'transcription', include: ['item.input_audio_transcription.logprobs'] };
    const minted = tokens().mintEphemeral('team-a', { session }, NOW);
    expect(tokens().verifyEphemeral(minted.key, NOW)).toEqual({ ok: true, keyName: 'team-a', session });
  });

  it('is no stream token, and a stream token is no ephemeral key', () => {
    const ephemeral = tokens().mintEphemeral('team-a', {}, NOW).key;
    expect(tokens().verify(ephemeral.slice(3), NOW)).toEqual({ ok: false, reason: 'the token is not for the stream' });
    expect(tokens().verifyEphemeral(`ek_${tokens().mint('team-a', NOW).token}`, NOW)).toEqual({
      ok: false,
      reason: expect.stringMatching(/^the key is not an ephemeral key for the Realtime API/) as unknown,
    });
  });

  it.each<[string, string, string]>([
    ['an OpenAI ephemeral key', 'ek_68af0c2a1b9c8190a1b2c3d4e5f6a7b8', 'not an ephemeral key this server minted'],
    ['a bare stream token', 'st1.a.b', 'not an ephemeral key this server minted'],
    ['another server’s key', forgedEphemeral(realtime(), 'another-secret-key-of-32-chars!!'), 'bad signature'],
    ['a replaced signature', forgedEphemeral(realtime()).replace(/\.[^.]+$/, '.x'), 'bad signature'],
    [
      'a changed claim',
      forgedEphemeral(realtime()).replace(/^ek_st1\.[^.]+/, `ek_st1.${b64(realtime({ sub: 'admin' }))}`),
      'bad signature',
    ],
    ['an issue time 31 s ahead', forgedEphemeral(realtime({ iat: NOW_S + 31, exp: NOW_S + 90 })), 'in the future'],
    ['an expiry already past', forgedEphemeral(realtime({ iat: NOW_S - 120, exp: NOW_S - 60 })), 'has expired'],
    ['a life longer than 300 s', forgedEphemeral(realtime({ exp: NOW_S + 301 })), 'lives longer than allowed'],
    ['a session that is not an object', forgedEphemeral(realtime({ ses: ['x'] })), 'missing claims'],
  ])('refuses %s', (_case, key, reason) => {
    const check = tokens().verifyEphemeral(key, NOW);
    expect(check.ok).toBe(false);
    expect(check.ok ? '' : check.reason).toContain(reason);
    expect(check.ok ? '' : check.reason).not.toContain('stream token');
  });
});

describe('looksLikeEphemeralKey', () => {
  it.each([
    ['ek_st1.a.b', true],
    ['ek_68af0c2a1b9c8190', false],
    ['st1.a.b', false],
    ['ek_st1.a', false],
  ])('%s → %s', (value, expected) => expect(looksLikeEphemeralKey(value)).toBe(expected));
});
