import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveKey, StreamTokens } from '@asr/auth';
import { closeAll, openAtOnce, tally } from './support/stream-admission';
import { connect, refusedHandshake, streamUrl } from './support/stream-client';
import { startTestApp, type TestApp } from './support/test-app';

jest.setTimeout(60_000);

const KEY_A = `asr-a-${randomBytes(12).toString('hex')}`;
const KEY_B = `asr-b-${randomBytes(12).toString('hex')}`;
const SECRET = randomBytes(32).toString('hex');
const UUID = '3f1c2a4e-8b5d-4c6f-9a7e-1d2b3c4d5e6f';

interface Operation {
  method: string;
  path: string;
}

/** Every operation of the OpenAPI document, path parameters filled, except the ones that stay open. */
async function protectedOperations(url: string): Promise<Operation[]> {
  const document = (await (await fetch(`${url}/docs-json`)).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  return Object.entries(document.paths)
    .filter(([path]) => !path.startsWith('/health') && path !== '/metrics')
    .flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, UUID) })),
    );
}

/** A token whose claims were changed after signing: a longer life, same signature. */
function tampered(token: string): string {
  const [version, claims, signature] = token.split('.');
  const decoded = JSON.parse(Buffer.from(claims!, 'base64url').toString()) as { exp: number };
  decoded.exp += 3600;
  return `${version}.${Buffer.from(JSON.stringify(decoded)).toString('base64url')}.${signature}`;
}

/** A stream token with these claims, signed with `key` (what the server signs with, or something it must not). */
function signedToken(claims: Record<string, unknown>, key: Buffer | string): string {
  const body = `st1.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

const nowS = (): number => Math.floor(Date.now() / 1000);

describe('API keys and stream tokens (API_KEYS set)', () => {
  let t: TestApp;
  let operations: Operation[];
  const tokensSeen: string[] = [];

  beforeAll(async () => {
    t = await startTestApp({ env: { API_KEYS: `${KEY_A}, ${KEY_B}`, SECRET_KEY: SECRET } });
    operations = await protectedOperations(t.url);
  });
  afterAll(() => t.close());

  const mint = async (key: string): Promise<string> => {
    const response = await fetch(`${t.url}/api/v1/auth/stream-token`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { token: string; expires_in: number; expires_at: string };
    expect(body.expires_in).toBeLessThanOrEqual(300);
    expect(Date.parse(body.expires_at) - Date.now()).toBeLessThanOrEqual(body.expires_in * 1000);
    tokensSeen.push(body.token);
    return body.token;
  };

  it('refuses every route of the OpenAPI document without a valid key, and lets the right key through', async () => {
    expect(operations.length).toBeGreaterThanOrEqual(14);
    const token = await mint(KEY_A);
    const attempts: Record<string, Record<string, string>> = {
      none: {},
      'wrong key': { authorization: `Bearer ${KEY_A}x` },
      'wrong X-API-Key': { 'x-api-key': 'not-a-key' },
      'malformed header': { authorization: `Basic ${KEY_A}` },
      'stream token': { authorization: `Bearer ${token}` },
      'expired stream token': {
        authorization: `Bearer ${new StreamTokens(t.config).mint('key-1', Date.now() - 10 * 60_000).token}`,
      },
      'tampered stream token': { authorization: `Bearer ${tampered(token)}` },
    };
    const refusedWithKey: string[] = [];
    for (const operation of operations) {
      for (const [kind, headers] of Object.entries(attempts)) {
        const response = await fetch(`${t.url}${operation.path}`, { method: operation.method, headers });
        // Stream tokens, valid or not, open the stream only: 403 everywhere else.
        const expected = kind.includes('stream token') ? 403 : 401;
        expect([operation.method, operation.path, kind, response.status]).toEqual([
          operation.method,
          operation.path,
          kind,
          expected,
        ]);
        if (expected === 401) expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
      const rightKeys: Record<string, string>[] = [{ authorization: `Bearer ${KEY_B}` }, { 'x-api-key': KEY_A }];
      for (const headers of rightKeys) {
        const response = await fetch(`${t.url}${operation.path}`, { method: operation.method, headers });
        // Past the door: whatever the route itself answers to an empty request (200, 400, 404, 415…).
        if ([401, 403].includes(response.status)) refusedWithKey.push(`${operation.method} ${operation.path} refused`);
      }
    }
    expect(refusedWithKey).toEqual([]);
    for (const path of ['/api/v1/providers', '/v1/models', '/api/v1/jobs'])
      expect((await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${KEY_B}` } })).status).toBe(200);
    // OpenAI's SDKs read OpenAI's envelope under /v1.
    const openAi = await fetch(`${t.url}/v1/models`);
    expect(await openAi.json()).toMatchObject({ error: { type: 'authentication_error' } });
  });

  it('keeps probes, the demo page and (by default) metrics open', async () => {
    for (const path of ['/health', '/health/ready', '/', '/demo/demo.js', '/metrics', '/docs-json'])
      expect([path, (await fetch(`${t.url}${path}`)).status]).toEqual([path, 200]);
  });

  it('opens the stream with a key header or a stream token; refuses none, a wrong key, a key in the URL, expired and tampered tokens', async () => {
    const url = streamUrl(t.url);
    const token = await mint(KEY_B);
    const expired = new StreamTokens(t.config).mint('key-2', Date.now() - 10 * 60_000).token;
    const refusals = {
      none: await refusedHandshake(url),
      'wrong key': await refusedHandshake(url, { authorization: 'Bearer nope' }),
      'raw key in ?token=': await refusedHandshake(`${url}?token=${KEY_A}`),
      'raw key in ?api_key=': await refusedHandshake(`${url}?api_key=${KEY_A}`),
      expired: await refusedHandshake(`${url}?token=${expired}`),
      tampered: await refusedHandshake(`${url}?token=${tampered(token)}`),
      'another server’s token': await refusedHandshake(
        `${url}?token=${new StreamTokens({ ...t.config, security: { ...t.config.security, secretKey: 'x'.repeat(32) } }).mint('key-1').token}`,
      ),
    };
    for (const [kind, refusal] of Object.entries(refusals)) {
      expect([kind, refusal.status]).toEqual([kind, 401]);
      expect(refusal.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    expect(refusals.expired.body).toMatch(/expired/);
    expect(refusals['raw key in ?token='].body).toMatch(/do not belong in URLs/);

    for (const opened of [await connect(`${url}?token=${token}`), await connect(url, { 'x-api-key': KEY_A })]) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(opened.messages[0]).toMatchObject({ type: 'session.started' });
      opened.socket.send(JSON.stringify({ type: 'close' }));
      expect((await opened.run).closeCode).toBe(1000);
    }
  });

  it('refuses tokens issued in the future or expiring before they were issued, and a doubled ?token=', async () => {
    const url = streamUrl(t.url);
    const tokens = new StreamTokens(t.config);
    const streamKey = deriveKey(SECRET, 'stream-token');
    const valid = await mint(KEY_A);
    const ahead = (s: number): number => nowS() + s;
    const urls = {
      'issued 2 min ahead': `${url}?token=${tokens.mint('key-1', Date.now() + 120_000).token}`,
      'exp before iat': `${url}?token=${signedToken({ aud: 'stream', sub: 'key-1', iat: ahead(20), exp: ahead(10), jti: 'a' }, streamKey)}`,
      'exp equal to iat': `${url}?token=${signedToken({ aud: 'stream', sub: 'key-1', iat: ahead(20), exp: ahead(20), jti: 'b' }, streamKey)}`,
      'two tokens': `${url}?token=${valid}&token=${valid}`,
      'a token and an empty one': `${url}?token=${valid}&token=`,
    };
    const seen: Record<string, string> = {};
    for (const [kind, target] of Object.entries(urls))
      seen[kind] = await refusedHandshake(target).then(
        (r) => `${r.status} ${r.body}`,
        (error: Error) => error.message,
      );
    const expected: Record<string, RegExp> = {
      'issued 2 min ahead': /^401 .*issued in the future/,
      'exp before iat': /^401 .*expires before it was issued/,
      'exp equal to iat': /^401 .*expires before it was issued/,
      'two tokens': /^401 .*exactly one token/,
      'a token and an empty one': /^401 .*exactly one token/,
    };
    // Each answer that is not the expected refusal shows itself in the failure.
    const verdicts = Object.entries(seen).map(([kind, answer]) => [
      kind,
      expected[kind]!.test(answer) ? 'refused' : answer,
    ]);
    expect(Object.fromEntries(verdicts)).toEqual(Object.fromEntries(Object.keys(expected).map((k) => [k, 'refused'])));
    // Clocks of replicas differ a little: a token a few seconds ahead still opens a stream.
    const skewed = await connect(`${url}?token=${tokens.mint('key-1', Date.now() + 10_000).token}`);
    skewed.socket.send(JSON.stringify({ type: 'close' }));
    expect((await skewed.run).closeCode).toBe(1000);
  });

  it('signs stream tokens with a key derived for them alone, never with SECRET_KEY itself', async () => {
    const url = streamUrl(t.url);
    const claims = { aud: 'stream', sub: 'key-1', iat: nowS(), exp: nowS() + 60, jti: 'c' };
    const withSecret = await refusedHandshake(`${url}?token=${signedToken(claims, SECRET)}`).then(
      (r) => `${r.status} ${r.body}`,
      (error: Error) => error.message,
    );
    expect(withSecret).toMatch(/^401 .*bad signature/);
    const withWebhookKey = await refusedHandshake(
      `${url}?token=${signedToken(claims, deriveKey(SECRET, 'webhook:key-1'))}`,
    );
    expect(withWebhookKey.status).toBe(401);
    const opened = await connect(`${url}?token=${signedToken(claims, deriveKey(SECRET, 'stream-token'))}`);
    opened.socket.send(JSON.stringify({ type: 'close' }));
    expect((await opened.run).closeCode).toBe(1000);
  });

  it('checks the Origin of browser handshakes: this server’s own passes, another site’s gets 403', async () => {
    const url = streamUrl(t.url);
    const foreign = await refusedHandshake(url, { origin: 'https://evil.example', 'x-api-key': KEY_A });
    expect(foreign.status).toBe(403);
    expect(foreign.body).toMatch(/CORS_ORIGINS/);
    const own = await connect(url, { origin: t.url, 'x-api-key': KEY_A });
    own.socket.send(JSON.stringify({ type: 'close' }));
    expect((await own.run).closeCode).toBe(1000);
  });

  it('never writes a key or a token into a log line', () => {
    const text = t.logs.text;
    expect(text.length).toBeGreaterThan(1000);
    for (const secret of [KEY_A, KEY_B, SECRET, ...tokensSeen]) expect(text).not.toContain(secret);
  });
});

describe('STREAMS_PER_KEY=1 against handshakes sent at once', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { API_KEYS: `${KEY_A},${KEY_B}`, SECRET_KEY: SECRET, STREAMS_PER_KEY: '1' } });
  });
  afterAll(() => t.close());

  it('admits exactly one of 10 simultaneous handshakes with one key, and gives its place back when it ends', async () => {
    const url = streamUrl(t.url);
    const first = await openAtOnce(url, { 'x-api-key': KEY_A }, 10);
    // Another key is counted apart.
    const other = await openAtOnce(url, { 'x-api-key': KEY_B }, 1);
    expect([tally(first), tally(other)]).toEqual([{ admitted: 1, too_many_streams: 9 }, { admitted: 1 }]);
    await closeAll([...first, ...other]);
    // Nine refusals left nothing counted: the key opens a stream again, and only one.
    const again = await openAtOnce(url, { 'x-api-key': KEY_A }, 3);
    expect(tally(again)).toEqual({ admitted: 1, too_many_streams: 2 });
    await closeAll(again);
    console.log(
      `STREAMS_PER_KEY=1: 10 at once → ${JSON.stringify(tally(first))}; after closing, 3 → ${JSON.stringify(tally(again))}`,
    );
  });
});

describe('limits per caller, keys from a file, protected metrics, CORS', () => {
  let t: TestApp;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asr-keys-'));
    const file = join(dir, 'keys.sha256');
    const digest = createHash('sha256').update(KEY_A).digest('hex');
    writeFileSync(file, `# keys for the test\n${digest}  team-a\n\n`);
    t = await startTestApp({
      env: {
        API_KEYS_FILE: file,
        SECRET_KEY: SECRET,
        RATE_LIMIT_PER_MINUTE: '6',
        STREAMS_PER_KEY: '1',
        METRICS_REQUIRE_KEY: 'true',
        CORS_ORIGINS: 'https://app.example',
      },
    });
  });
  afterAll(() => t.close());
  const auth = { 'x-api-key': KEY_A };

  it('accepts a key listed by its SHA-256 digest, and protects /metrics when told to', async () => {
    expect((await fetch(`${t.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${t.url}/metrics`, { headers: auth })).status).toBe(200);
  });

  it('answers CORS preflights for CORS_ORIGINS only', async () => {
    const preflight = (origin: string): Promise<Response> =>
      fetch(`${t.url}/api/v1/transcribe`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
    const allowed = await preflight('https://app.example');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
    expect((await preflight('https://other.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('holds a key to STREAMS_PER_KEY streams: one more gets error too_many_streams and 1008', async () => {
    const first = await connect(streamUrl(t.url), auth);
    const second = await connect(streamUrl(t.url), auth);
    const refused = await second.run;
    expect(refused.closeCode).toBe(1008);
    expect(refused.messages[0]).toMatchObject({ type: 'error', code: 'too_many_streams', fatal: true });
    expect(refused.messages[1]).toMatchObject({ type: 'session.closed', reason: 'too_many_streams' });
    first.socket.send(JSON.stringify({ type: 'close' }));
    expect((await first.run).closeCode).toBe(1000);
  });

  it('limits requests per key to RATE_LIMIT_PER_MINUTE with 429 and Retry-After; probes are never limited', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 8; i += 1) {
      const response = await fetch(`${t.url}/api/v1/providers`, { headers: auth });
      statuses.push(response.status);
      if (response.status === 429) retryAfter ??= response.headers.get('retry-after');
    }
    // The stream handshakes above took two of the six.
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(4);
    expect(statuses.at(-1)).toBe(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(10);
    for (let i = 0; i < 10; i += 1) expect((await fetch(`${t.url}/health`)).status).toBe(200);
  });
});
