import { readFileSync } from 'node:fs';
import { type Behaviour, FakeOpenAi, withFakeProvider } from './support/fake-openai';
import { librivoxSamples } from './support/speech';
import { startTestApp, type TestApp } from './support/test-app';

jest.setTimeout(60_000);

const SPEECH = readFileSync(librivoxSamples()[1]!.file);

async function post(
  t: TestApp,
  path: string,
  fields: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([SPEECH], { type: 'audio/wav' }), 'speech.wav');
  return fetch(`${t.url}${path}`, { method: 'POST', body: form, signal });
}

describe.each([
  {
    provider: 'openai',
    env: (url: string) => ({ OPENAI_API_KEY: 'sk-openai', OPENAI_BASE_URL: url }),
    key: 'sk-openai',
    model: 'whisper-1',
  },
  {
    provider: 'fireworks',
    env: (url: string) => ({ FIREWORKS_API_KEY: 'fw-key', FIREWORKS_BASE_URL: url }),
    key: 'fw-key',
    model: 'whisper-v3',
  },
  {
    provider: 'openai-compatible',
    env: (url: string) => ({ ASR_BASE_URL: url, ASR_API_KEY: 'local-key', ASR_MODEL: 'Systran/faster-whisper-small' }),
    key: 'local-key',
    model: 'Systran/faster-whisper-small',
  },
])('ASR_PROVIDER=$provider against a fake server on 127.0.0.1', ({ provider, env, key, model }) => {
  const fake = new FakeOpenAi();
  let t: TestApp;
  beforeAll(async () => {
    await fake.start();
    t = await startTestApp({ env: { ASR_PROVIDER: provider, ...env(fake.url) } });
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
  });
  beforeEach(() => fake.reset());

  it('sends the exact request: path, key, model, fields and a 16 kHz WAV', async () => {
    const response = await post(t, '/api/v1/transcribe', { language: 'en', prompt: 'Dashwood', timestamps: 'word' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { text: string; provider: string; model: string; words: unknown[] };
    expect(body).toMatchObject({ text: 'hello from the fake provider', provider, model });
    expect(body.words).toHaveLength(5);
    expect(fake.seen).toHaveLength(1);
    const [seen] = fake.seen;
    expect(seen).toMatchObject({ method: 'POST', path: '/v1/audio/transcriptions', authorization: `Bearer ${key}` });
    expect(seen!.fields).toEqual({
      model: [model],
      response_format: ['verbose_json'],
      'timestamp_granularities[]': ['word', 'segment'],
      language: ['en'],
      prompt: ['Dashwood'],
    });
    expect(seen!.file!.name).toBe('audio.wav');
    expect(seen!.file!.type).toBe('audio/wav');
    const wav = seen!.file!.bytes;
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(24)).toBe(16000);
    // A well-formed 16-bit WAV holding the speech of the upload: the VAD trims leading and trailing silence.
    expect(wav.readUInt32LE(40)).toBe(wav.length - 44);
    expect(wav.length).toBeLessThanOrEqual(SPEECH.length);
    expect(wav.length).toBeGreaterThan(SPEECH.length * 0.8);
  });

  it('passes the model named on the OpenAI-compatible route', async () => {
    const response = await post(t, '/v1/audio/transcriptions', { model: 'whisper-large-v3', temperature: '0.2' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      text: 'hello from the fake provider',
      usage: { type: 'duration', seconds: expect.any(Number) as number },
    });
    expect(fake.seen[0]!.fields).toMatchObject({ model: ['whisper-large-v3'], temperature: ['0.2'] });
  });

  it('lists its model and capabilities', async () => {
    const info = (await (await fetch(`${t.url}/api/v1/providers`)).json()) as { provider: string; model: string };
    expect(info).toMatchObject({ provider, model });
  });
});

describe('failures of a remote provider (ASR_MAX_RETRIES=2, ASR_TIMEOUT_S=1)', () => {
  const fake = new FakeOpenAi();
  let t: TestApp;
  beforeAll(async () => {
    await fake.start();
    t = await startTestApp({
      env: { ASR_PROVIDER: 'openai-compatible', ASR_BASE_URL: fake.url, ASR_MAX_RETRIES: '2', ASR_TIMEOUT_S: '1' },
    });
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
  });
  beforeEach(() => fake.reset());

  async function outcome(
    ...script: Behaviour[]
  ): Promise<{ status: number; body: Record<string, unknown>; retryAfter: string | null; ms: number }> {
    fake.will(...script);
    const started = Date.now();
    const response = await post(t, '/api/v1/transcribe');
    return {
      status: response.status,
      body: (await response.json()) as Record<string, unknown>,
      retryAfter: response.headers.get('retry-after'),
      ms: Date.now() - started,
    };
  }

  it('500: not retried, 502 with the cause', async () => {
    const result = await outcome({ kind: 'status', status: 500, message: 'model crashed' });
    expect(result).toMatchObject({ status: 502, body: { code: 'provider_error' } });
    expect(result.body.message).toContain('model crashed');
    expect(fake.seen).toHaveLength(1);
  });

  it('503 twice, then success: retried with backoff', async () => {
    const result = await outcome({ kind: 'status', status: 503 }, { kind: 'status', status: 503 });
    expect(result.status).toBe(200);
    expect(fake.seen).toHaveLength(3);
  });

  it('503 every time: 503 after 1 + 2 attempts', async () => {
    const result = await outcome(...Array<Behaviour>(3).fill({ kind: 'status', status: 503 }));
    expect(result).toMatchObject({ status: 503, body: { code: 'provider_unavailable' } });
    expect(fake.seen).toHaveLength(3);
  });

  it('502 and 504 are retried', async () => {
    const result = await outcome({ kind: 'status', status: 502 }, { kind: 'status', status: 504 });
    expect(result.status).toBe(200);
    expect(fake.seen).toHaveLength(3);
  });

  it('429 with Retry-After: 1 is waited out, then succeeds', async () => {
    const result = await outcome({ kind: 'status', status: 429, retryAfter: '1' });
    expect(result.status).toBe(200);
    expect(result.ms).toBeGreaterThanOrEqual(950);
    expect(fake.seen).toHaveLength(2);
  });

  it('429 every time: 429 with Retry-After passed on', async () => {
    const result = await outcome(...Array<Behaviour>(3).fill({ kind: 'status', status: 429, retryAfter: '0' }));
    expect(result).toMatchObject({ status: 429, body: { code: 'provider_rate_limited' } });
    expect(result.retryAfter).toBe('0');
    expect(fake.seen).toHaveLength(3);
  });

  it('no answer within ASR_TIMEOUT_S: 504, never retried', async () => {
    const result = await outcome({ kind: 'hang' });
    expect(result).toMatchObject({ status: 504, body: { code: 'provider_timeout' } });
    expect(result.ms).toBeGreaterThanOrEqual(950);
    expect(result.ms).toBeLessThan(3000);
    expect(fake.seen).toHaveLength(1);
  });

  it('a slow answer inside the timeout succeeds', async () => {
    const result = await outcome({ kind: 'ok', delayMs: 500, text: 'slow but fine' });
    expect(result).toMatchObject({ status: 200, body: { text: 'slow but fine' } });
  });

  it('connection resets are retried; resets every time give 503', async () => {
    expect((await outcome({ kind: 'reset' })).status).toBe(200);
    fake.reset();
    const result = await outcome({ kind: 'reset' }, { kind: 'reset' }, { kind: 'reset' });
    expect(result).toMatchObject({ status: 503, body: { code: 'provider_unavailable' } });
    expect(fake.seen).toHaveLength(3);
  });

  it('malformed JSON: 502', async () => {
    const result = await outcome({ kind: 'malformed' });
    expect(result).toMatchObject({ status: 502, body: { code: 'provider_error' } });
    expect(fake.seen).toHaveLength(1);
  });

  it('a rejected key: 502 naming the key as the cause, not retried', async () => {
    const result = await outcome({ kind: 'status', status: 401, message: 'Incorrect API key provided' });
    expect(result).toMatchObject({ status: 502, body: { code: 'provider_auth_failed' } });
    expect(result.body.message).toContain('API key');
    expect(fake.seen).toHaveLength(1);
  });

  it('a client that disconnects stops the provider call', async () => {
    fake.will({ kind: 'ok', delayMs: 800 });
    const abort = new AbortController();
    const request = post(t, '/api/v1/transcribe', {}, abort.signal).catch(() => 'aborted');
    while (fake.seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    abort.abort();
    expect(await request).toBe('aborted');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fake.seen[0]!.aborted).toBe(true);
  });

  it('counts provider errors in metrics', async () => {
    await outcome({ kind: 'status', status: 500 });
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/asr_provider_errors_total\{provider="openai-compatible",kind="provider_error"\} [1-9]/);
    expect(metrics).toMatch(/asr_transcriptions_total\{provider="openai-compatible",status="ok"\} [1-9]/);
  });
});

describe('circuit breaker (ASR_BREAKER_FAILURES=3, ASR_BREAKER_COOLDOWN_S=1)', () => {
  const { fake, app } = withFakeProvider({
    ASR_MAX_RETRIES: '0',
    ASR_BREAKER_FAILURES: '3',
    ASR_BREAKER_COOLDOWN_S: '1',
  });
  beforeEach(() => fake.reset());

  const asrHealth = async (): Promise<{ ready: number; asr: Record<string, unknown> }> => {
    const response = await fetch(`${app().url}/health/ready`);
    const body = (await response.json()) as { details?: { asr?: Record<string, unknown> } };
    return { ready: response.status, asr: body.details?.asr ?? {} };
  };

  it('opens after 3 failures in a row: calls fail at once with 503 and Retry-After, readiness says degraded', async () => {
    fake.fallback = { kind: 'status', status: 500 };
    for (let i = 0; i < 3; i += 1) expect((await post(app(), '/api/v1/transcribe')).status).toBe(502);
    expect(fake.seen).toHaveLength(3);
    const started = Date.now();
    const refused = await post(app(), '/api/v1/transcribe');
    const body = (await refused.json()) as { code: string; message: string };
    expect(refused.status).toBe(503);
    expect(body.code).toBe('provider_unavailable');
    expect(body.message).toMatch(/circuit open/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Date.now() - started).toBeLessThan(500);
    expect(fake.seen).toHaveLength(3);
    expect(await asrHealth()).toMatchObject({ ready: 200, asr: { status: 'degraded', circuit: 'open' } });
  });

  it('half-opens after the cool-down: a failing trial reopens it, a good one closes it', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await post(app(), '/api/v1/transcribe')).status).toBe(502);
    expect(fake.seen).toHaveLength(1);
    expect((await post(app(), '/api/v1/transcribe')).status).toBe(503);
    expect(fake.seen).toHaveLength(1);
    fake.fallback = { kind: 'ok' };
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await post(app(), '/api/v1/transcribe')).status).toBe(200);
    expect((await post(app(), '/api/v1/transcribe')).status).toBe(200);
    expect(await asrHealth()).toMatchObject({ ready: 200, asr: { status: 'up', circuit: 'closed' } });
  });

  it('does not count refusals of one request (400s, 429) as the provider failing', async () => {
    fake.fallback = { kind: 'status', status: 400, message: 'bad audio' };
    for (let i = 0; i < 4; i += 1) expect((await post(app(), '/api/v1/transcribe')).status).toBe(502);
    expect(fake.seen).toHaveLength(4);
    fake.fallback = { kind: 'ok' };
  });
});

describe('ASR_FALLBACK_PROVIDER=local while the remote circuit is open', () => {
  const { fake, app } = withFakeProvider({
    ASR_MAX_RETRIES: '0',
    ASR_BREAKER_FAILURES: '2',
    ASR_BREAKER_COOLDOWN_S: '60',
    ASR_FALLBACK_PROVIDER: 'local',
  });

  it('answers from the embedded engine, named as the provider, once the circuit opens', async () => {
    fake.fallback = { kind: 'status', status: 503 };
    for (let i = 0; i < 2; i += 1) expect((await post(app(), '/api/v1/transcribe')).status).toBe(503);
    const served = await post(app(), '/api/v1/transcribe');
    const body = (await served.json()) as { provider: string; text: string };
    expect(served.status).toBe(200);
    expect(body.provider).toBe('local');
    expect(body.text.split(' ').length).toBeGreaterThan(5);
    expect(fake.seen).toHaveLength(2);
    const ready = (await (await fetch(`${app().url}/health/ready`)).json()) as {
      details: { asr: Record<string, unknown> };
    };
    expect(ready.details.asr).toMatchObject({ status: 'degraded', circuit: 'open', fallback: 'local' });
  });
});
