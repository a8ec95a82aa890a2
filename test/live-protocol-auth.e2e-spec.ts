import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeepgramClient } from '@deepgram/sdk';
import OpenAI, { AuthenticationError, BadRequestError, PermissionDeniedError } from 'openai';
import { StreamTokens } from '@asr/auth';
import { nameOf } from './support/auth-fixtures';
import { deepgramEnvironment, deepgramSession } from './support/deepgram-client';
import { withFakeProvider } from './support/fake-openai';
import { RealtimeSession } from './support/realtime-client';
import { connect, type HandshakeExtras, refusedHandshake } from './support/stream-client';
import { startTestApp, type TestApp } from './support/test-app';
import { httpsRequest, selfSignedCertificate } from './support/tls';

jest.setTimeout(60_000);

// Credentials of the live protocols (OpenAI Realtime, Deepgram) over real HTTP: the route that mints Realtime
// ephemeral keys, and each protocol's handshake (beside the native stream's, for comparison) with every kind of
// credential, good and bad, through real WebSocket clients and the official SDKs.

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

/** A token or an ephemeral key whose claims were changed after signing: made to speak for another key. */
function tampered(credential: string): string {
  const prefix = credential.startsWith('ek_') ? 'ek_' : '';
  const [version, claims, signature] = credential.slice(prefix.length).split('.');
  const changed = {
    ...(JSON.parse(Buffer.from(claims!, 'base64url').toString('utf8')) as Record<string, unknown>),
    sub: 'key-00000000',
  };
  return `${prefix}${version}.${Buffer.from(JSON.stringify(changed)).toString('base64url')}.${signature}`;
}

interface Attempt {
  what: string;
  /** Path and query. */
  target: string;
  headers?: Record<string, string>;
  protocols?: string[];
}

interface Refusal extends Attempt {
  status: 401 | 403;
  reason: RegExp;
}

describe('the live protocols’ handshakes with API_KEYS set, over TLS: refused before the upgrade, or accepted', () => {
  const tls = selfSignedCertificate(mkdtempSync(join(tmpdir(), 'asr-live-auth-')));
  // The fake provider: nothing here transcribes, so no engine is loaded.
  const { app } = withFakeProvider({
    API_KEYS: KEY,
    SECRET_KEY: SECRET,
    TLS_CERT_FILE: tls.cert,
    TLS_KEY_FILE: tls.key,
  });
  const REALTIME = '/v1/realtime?intent=transcription';
  const LISTEN = '/v1/listen?encoding=linear16&sample_rate=16000';
  const NATIVE = '/api/v1/stream';
  let https: string;
  /** Minted by the server's own routes, with the key. */
  let ephemeral: string;
  let streamToken: string;
  /** Signed with the server's secret, and expired. */
  let expiredEphemeral: string;
  let expiredStreamToken: string;

  beforeAll(async () => {
    https = app().url.replace(/^http:/, 'https:');
    const mint = async (path: string): Promise<Record<string, string>> => {
      const answer = await httpsRequest(`${https}${path}`, tls.pem, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}` },
      });
      if (answer.status !== 200) throw new Error(`POST ${path}: ${answer.status} ${answer.body}`);
      return JSON.parse(answer.body) as Record<string, string>;
    };
    ephemeral = (await mint(ROUTE)).value!;
    streamToken = (await mint('/api/v1/auth/stream-token')).token!;
    const tokens = new StreamTokens(app().config);
    const aMinuteAgo = Date.now() - 60_000;
    expiredEphemeral = tokens.mintEphemeral(nameOf(KEY), { ttlS: 30 }, aMinuteAgo).key;
    expiredStreamToken = tokens.mint(nameOf(KEY), aMinuteAgo - 60_000).token;
  });

  const url = (target: string): string => `${https.replace(/^https:/, 'wss:')}${target}`;
  const bearer = (credential: string): Record<string, string> => ({ authorization: `Bearer ${credential}` });
  const openaiKeyProtocols = (credential: string): string[] => ['realtime', `openai-insecure-api-key.${credential}`];

  it('refuses no key, a wrong key, a key in the URL, expired, tampered or misplaced short-lived credentials: 401 or 403 and why', async () => {
    const refusals: Refusal[] = [
      // OpenAI Realtime
      { what: 'no key', target: REALTIME, status: 401, reason: /wants an API key.*Bearer.*openai-insecure-api-key/ },
      { what: 'wrong key', target: REALTIME, headers: bearer(`${KEY}x`), status: 401, reason: /API key is not valid/ },
      { what: 'key in the URL', target: `${REALTIME}&api_key=${KEY}`, status: 401, reason: /do not belong in URLs/ },
      {
        what: 'expired ephemeral key',
        target: REALTIME,
        protocols: openaiKeyProtocols(expiredEphemeral),
        status: 401,
        reason: /ephemeral key has expired; mint a new one/,
      },
      {
        what: 'tampered ephemeral key',
        target: REALTIME,
        protocols: openaiKeyProtocols(tampered(ephemeral)),
        status: 401,
        reason: /ephemeral key is not valid \(bad signature\)/,
      },
      {
        what: 'a stream token instead',
        target: REALTIME,
        headers: bearer(streamToken),
        status: 403,
        reason: /stream token opens \/api\/v1\/stream and \/v1\/listen/,
      },
      // Deepgram
      { what: 'no key', target: LISTEN, status: 401, reason: /wants an API key.*Token/ },
      {
        what: 'wrong key',
        target: LISTEN,
        headers: { authorization: `Token ${KEY}x` },
        status: 401,
        reason: /not valid/,
      },
      { what: 'key in the URL', target: `${LISTEN}&token=${KEY}`, status: 401, reason: /do not belong in URLs/ },
      {
        what: 'an ephemeral key (Realtime’s)',
        target: LISTEN,
        protocols: ['token', ephemeral],
        status: 403,
        reason: /ephemeral key opens \/v1\/realtime only/,
      },
      {
        what: 'expired stream token',
        target: LISTEN,
        protocols: ['bearer', expiredStreamToken],
        status: 401,
        reason: /stream token has expired/,
      },
      {
        what: 'tampered stream token',
        target: LISTEN,
        headers: bearer(tampered(streamToken)),
        status: 401,
        reason: /bad signature/,
      },
      // The native stream, for comparison
      { what: 'no key', target: NATIVE, status: 401, reason: /wants an API key/ },
      { what: 'wrong key', target: NATIVE, headers: bearer(`${KEY}x`), status: 401, reason: /not valid/ },
      { what: 'key in the URL', target: `${NATIVE}?api_key=${KEY}`, status: 401, reason: /do not belong in URLs/ },
      { what: 'expired stream token', target: `${NATIVE}?token=${expiredStreamToken}`, status: 401, reason: /expired/ },
      {
        what: 'tampered stream token',
        target: `${NATIVE}?token=${tampered(streamToken)}`,
        status: 401,
        reason: /bad signature/,
      },
      {
        what: 'an ephemeral key (Realtime’s)',
        target: NATIVE,
        headers: bearer(ephemeral),
        status: 403,
        reason: /ephemeral key opens \/v1\/realtime only/,
      },
    ];
    for (const { what, target, headers, protocols, status, reason } of refusals) {
      const answer = await refusedHandshake(url(target), headers, { protocols, ca: tls.pem });
      const path = target.split('?')[0];
      expect({ path, what, status: answer.status, reason: answer.body }).toEqual({
        path,
        what,
        status,
        reason: expect.stringMatching(reason) as unknown,
      });
      // Deepgram's clients read the reason from its header; 401s challenge as HTTP's do.
      if (path === '/v1/listen') expect(answer.headers['dg-error']).toBe(answer.body);
      if (status === 401) expect(answer.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });

  it('accepts each protocol’s own forms: header, browser subprotocols, short-lived credentials', async () => {
    /** The subprotocol the server chose (never the credential), once the session opened. */
    const accepted = async ({ target, headers, protocols }: Attempt): Promise<string> => {
      const { socket, run } = await connect(url(target), headers, { protocols, ca: tls.pem } satisfies HandshakeExtras);
      const chosen = socket.protocol;
      socket.close(1000);
      await run;
      return chosen;
    };
    const attempts: (Attempt & { chosen: string })[] = [
      { what: 'Bearer key', target: REALTIME, headers: bearer(KEY), chosen: '' },
      { what: 'Bearer ephemeral key', target: REALTIME, headers: bearer(ephemeral), chosen: '' },
      {
        what: 'ephemeral key subprotocol',
        target: REALTIME,
        protocols: openaiKeyProtocols(ephemeral),
        chosen: 'realtime',
      },
      { what: 'Token key', target: LISTEN, headers: { authorization: `Token ${KEY}` }, chosen: '' },
      { what: 'Bearer key', target: LISTEN, headers: bearer(KEY), chosen: '' },
      { what: 'token subprotocol pair', target: LISTEN, protocols: ['token', KEY], chosen: 'token' },
      { what: 'stream token subprotocol pair', target: LISTEN, protocols: ['bearer', streamToken], chosen: 'bearer' },
      { what: 'Bearer key', target: NATIVE, headers: bearer(KEY), chosen: '' },
      { what: 'X-API-Key', target: NATIVE, headers: { 'x-api-key': KEY }, chosen: '' },
      { what: 'stream token in the URL', target: `${NATIVE}?token=${streamToken}`, chosen: '' },
    ];
    for (const attempt of attempts) {
      const path = attempt.target.split('?')[0];
      expect({ path, what: attempt.what, chosen: await accepted(attempt) }).toEqual({
        path,
        what: attempt.what,
        chosen: attempt.chosen,
      });
    }
  });

  it('the official SDKs connect with the key: openai’s realtime client over wss:, @deepgram/sdk’s live client', async () => {
    const realtime = new RealtimeSession(new OpenAI({ apiKey: KEY, baseURL: `${https}/v1`, maxRetries: 0 }), tls.pem);
    await realtime.opened();
    expect(await realtime.close()).toBe(1000);
    expect(realtime.errors).toEqual([]);
    const deepgram = new DeepgramClient({
      apiKey: KEY,
      environment: deepgramEnvironment(https),
      agent: new Agent({ ca: tls.pem }),
    });
    // A tenth of a second of silence, then CloseStream: the session ends normally with its Metadata.
    const run = await deepgramSession(
      deepgram,
      { model: 'nova-3', encoding: 'linear16', sample_rate: 16_000 },
      Buffer.alloc(3200),
      32_000,
      1,
    );
    expect(run.closeCode).toBe(1000);
    expect(run.messages.map((m) => m.type)).toEqual(['Metadata']);
  });
});
