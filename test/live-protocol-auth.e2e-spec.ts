import { randomBytes } from 'node:crypto';
import OpenAI, { AuthenticationError, BadRequestError, PermissionDeniedError } from 'openai';
import { StreamTokens } from '@asr/auth';
import { startTestApp, type TestApp } from './support/test-app';

jest.setTimeout(60_000);

// Credentials of the live protocols (OpenAI Realtime, Deepgram) over real HTTP. The handshakes join this file when
// their framings exist; today it covers the route that mints Realtime ephemeral keys, and the REST schemes.

const KEY = `asr-live-${randomBytes(12).toString('hex')}`;
const SECRET = randomBytes(32).toString('hex');
const ROUTE = '/v1/realtime/client_secrets';

const sdk = (t: TestApp, apiKey: string): OpenAI => new OpenAI({ baseURL: `${t.url}/v1`, apiKey, maxRetries: 0 });

/** Whatever the SDK call settles to: its value, or its error's class and status. */
async function settled<T>(call: Promise<T>): Promise<T | string> {
  try {
    return await call;
  } catch (error) {
    return error instanceof OpenAI.APIError ? `${error.constructor.name} ${error.status}` : String(error);
  }
}

describe('POST /v1/realtime/client_secrets with API_KEYS set', () => {
  let t: TestApp;
  const minted: string[] = [];
  beforeAll(async () => {
    t = await startTestApp({ env: { API_KEYS: KEY, SECRET_KEY: SECRET }, waitForEngine: false });
  });
  afterAll(() => t.close());

  it('refuses no key and a wrong key in either scheme, with OpenAI’s envelope and a Bearer challenge', async () => {
    const attempts: Record<string, Record<string, string>> = {
      none: {},
      'wrong Bearer key': { authorization: `Bearer ${KEY}x` },
      'wrong Token key': { authorization: `Token ${KEY}x` },
    };
    for (const [kind, headers] of Object.entries(attempts)) {
      const response = await fetch(`${t.url}${ROUTE}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: '{}',
      });
      const body = (await response.json()) as { error?: { type?: string } };
      expect([kind, response.status, body.error?.type]).toEqual([kind, 401, 'authentication_error']);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    // The SDK raises its own error type for it.
    expect(await settled(sdk(t, 'nope').realtime.clientSecrets.create({}))).toBe(`${AuthenticationError.name} 401`);
  });

  it('mints, for the official SDK with the key, an ek_ key that this server’s stream tokens verify', async () => {
    const session = {
      type: 'transcription' as const,
      audio: { input: { format: { type: 'audio/pcmu' as const }, transcription: { language: 'en' } } },
    };
    const before = Date.now() / 1000;
    const secret = await sdk(t, KEY).realtime.clientSecrets.create({
      expires_after: { anchor: 'created_at', seconds: 120 },
      session,
    });
    minted.push(secret.value);
    expect(secret.value.startsWith('ek_')).toBe(true);
    expect(secret.expires_at - before).toBeGreaterThan(115);
    expect(secret.expires_at - before).toBeLessThanOrEqual(121);
    expect(secret.session).toMatchObject({
      type: 'transcription',
      expires_at: secret.expires_at,
      audio: session.audio,
    });
    const check = new StreamTokens(t.config).verifyEphemeral(secret.value);
    expect(check).toEqual({ ok: true, keyName: expect.stringMatching(/^key-[0-9a-f]{8}$/) as unknown, session });
    // Nobody else's tokens: not a stream token, and not valid for another server.
    expect(new StreamTokens(t.config).verify(secret.value.slice(3)).ok).toBe(false);
    const otherServer = { ...t.config, security: { ...t.config.security, secretKey: 'y'.repeat(32) } };
    expect(new StreamTokens(otherServer).verifyEphemeral(secret.value).ok).toBe(false);
  });

  it('takes the key the Deepgram way too (Authorization: Token), and lives at most 300 s whatever is asked', async () => {
    const response = await fetch(`${t.url}${ROUTE}`, {
      method: 'POST',
      headers: { authorization: `Token ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ expires_after: { seconds: 7200 } }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as { value: string; expires_at: number };
    minted.push(body.value);
    expect(body.expires_at - Date.now() / 1000).toBeLessThanOrEqual(300);
    expect(new StreamTokens(t.config).verifyEphemeral(body.value).ok).toBe(true);
    // A request with no body at all (what the auth walk sends) mints with the defaults.
    const bare = await fetch(`${t.url}${ROUTE}`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` } });
    expect(bare.status).toBe(200);
    minted.push(((await bare.json()) as { value: string }).value);
  });

  it('refuses an ephemeral key or a stream token in place of the API key (403), here and on every REST route', async () => {
    const ephemeral = minted[0]!;
    expect(await settled(sdk(t, ephemeral).realtime.clientSecrets.create({}))).toBe(
      `${PermissionDeniedError.name} 403`,
    );
    expect(await settled(sdk(t, ephemeral).models.list())).toBe(`${PermissionDeniedError.name} 403`);
    const streamToken = new StreamTokens(t.config).mint('key-1').token;
    expect(await settled(sdk(t, streamToken).realtime.clientSecrets.create({}))).toBe(
      `${PermissionDeniedError.name} 403`,
    );
  });

  it('refuses what it cannot honour with a 400 that says why', async () => {
    const refused = await sdk(t, KEY)
      .realtime.clientSecrets.create({ session: { type: 'realtime', model: 'gpt-realtime' } })
      .then(
        () => 'minted',
        (error: unknown) => (error instanceof BadRequestError ? error.message : String(error)),
      );
    expect(refused).toMatch(/session\.type must be "transcription"/);
  });

  it('logs neither the key nor any ephemeral key it minted', () => {
    expect(minted.length).toBeGreaterThanOrEqual(3);
    for (const secret of [KEY, ...minted]) expect(t.logs.text.includes(secret)).toBe(false);
  });
});

describe('POST /v1/realtime/client_secrets on a server without keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ waitForEngine: false });
  });
  afterAll(() => t.close());

  it('mints for anyone, so a browser app written for OpenAI works unchanged; the key names the open tenant', async () => {
    const secret = await sdk(t, 'anything').realtime.clientSecrets.create({});
    expect(secret.value.startsWith('ek_')).toBe(true);
    expect(new StreamTokens(t.config).verifyEphemeral(secret.value)).toEqual({ ok: true, keyName: 'open' });
  });
});
