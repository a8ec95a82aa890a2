import { Logger } from '@nestjs/common';
import { TARGET_SAMPLE_RATE } from '@asr/audio';
import { type Behaviour, FakeOpenAi } from '../../../../test/support/fake-openai';
import { CircuitOpenError } from '../asr-error';
import { OpenAiCompatibleProvider, type RemoteProviderOptions } from './openai-compatible-provider';

const fake = new FakeOpenAi();

function provider(overrides: Partial<RemoteProviderOptions> = {}): OpenAiCompatibleProvider {
  return new OpenAiCompatibleProvider({
    name: 'openai-compatible',
    endpoint: { apiKey: 'sk-test', baseUrl: fake.url, model: 'whisper-test' },
    timeoutS: 5,
    maxRetries: 0,
    concurrency: 2,
    breaker: { failures: 5, cooldownS: 60 },
    ...overrides,
  });
}

/** Two 0.5 s tones 1 s apart, so the fake's `sounds` answer has two timed segments. */
function twoSounds(): Float32Array {
  const samples = new Float32Array(2 * TARGET_SAMPLE_RATE);
  for (const startS of [0, 1.5])
    for (let i = 0; i < TARGET_SAMPLE_RATE / 2; i += 1)
      samples[startS * TARGET_SAMPLE_RATE + i] = 0.5 * Math.sin((2 * Math.PI * 440 * i) / TARGET_SAMPLE_RATE);
  return samples;
}

const second = new Float32Array(TARGET_SAMPLE_RATE);
const plain = { wordTimestamps: true };

beforeAll(async () => {
  // Failures are logged as they would be in production; the tests read the errors instead.
  Logger.overrideLogger(false);
  await fake.start();
});
afterEach(() => fake.reset());
afterAll(() => fake.stop());

describe('OpenAiCompatibleProvider requests', () => {
  it('posts the chunk as a 16 kHz WAV with the key, the default model and verbose_json', async () => {
    await provider().transcribe(second, plain);
    expect(fake.seen).toHaveLength(1);
    const [request] = fake.seen;
    expect(request).toMatchObject({
      method: 'POST',
      path: '/v1/audio/transcriptions',
      authorization: 'Bearer sk-test',
      fields: {
        model: ['whisper-test'],
        response_format: ['verbose_json'],
        'timestamp_granularities[]': ['word', 'segment'],
      },
      file: { name: 'audio.wav', type: 'audio/wav' },
    });
    const wav = request!.file!.bytes;
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(24)).toBe(TARGET_SAMPLE_RATE);
    expect(wav.length).toBe(44 + second.length * 2);
    expect(request!.fields).not.toHaveProperty('language');
  });

  it('passes on model, language, prompt and temperature when given, and asks for segments only without words', async () => {
    await provider().transcribe(second, {
      wordTimestamps: false,
      model: 'other-model',
      language: 'de',
      prompt: 'Namen: Ådne',
      temperature: 0,
    });
    expect(fake.seen[0]!.fields).toEqual({
      model: ['other-model'],
      response_format: ['verbose_json'],
      'timestamp_granularities[]': ['segment'],
      language: ['de'],
      prompt: ['Namen: Ådne'],
      temperature: ['0'],
    });
  });
});

describe('OpenAiCompatibleProvider answers', () => {
  it('gives the trimmed text, the language as an ISO code and the words inside each segment', async () => {
    fake.will({ kind: 'sounds' });
    const result = await provider().transcribe(twoSounds(), plain);
    expect(result.text).toBe('sound0 sound1');
    expect(result.language).toBe('en');
    expect(result.segments.map((s) => [s.text, s.words?.map((w) => w.word)])).toEqual([
      ['sound0', ['sound0']],
      ['sound1', ['sound1']],
    ]);
    expect(result.segments[1]!.start).toBeCloseTo(1.5, 1);
  });

  it.each<[string, unknown, { start: number; end: number; text: string }[], string | undefined]>([
    [
      'no segments: one spanning the duration',
      { text: ' hi there ', duration: 1.25 },
      [{ start: 0, end: 1.25, text: 'hi there' }],
      'fr',
    ],
    [
      'no segments nor duration: one up to the last word',
      { text: 'hi', words: [{ word: ' hi', start: 0.1, end: 0.7 }], language: 'German' },
      [{ start: 0, end: 0.7, text: 'hi' }],
      'de',
    ],
    ['nothing but text', { text: '' }, [{ start: 0, end: 0, text: '' }], 'fr'],
  ])('builds segments from a response with %s', async (_case, body, segments, language) => {
    fake.will({ kind: 'json', body });
    const result = await provider().transcribe(second, { wordTimestamps: true, language: 'fr' });
    expect(result.segments.map(({ start, end, text }) => ({ start, end, text }))).toEqual(segments);
    expect(result.language).toBe(language);
  });

  it('keeps words out of the segments when the response has none', async () => {
    fake.will({ kind: 'json', body: { text: 'a b', segments: [{ start: 0, end: 1, text: 'a b' }] } });
    const result = await provider().transcribe(second, plain);
    expect(result.segments[0]).toEqual({ start: 0, end: 1, text: 'a b' });
  });
});

describe('OpenAiCompatibleProvider failures', () => {
  it.each<[string, Behaviour, string]>([
    ['a rejected key', { kind: 'status', status: 401 }, 'provider_auth_failed'],
    ['a refused request', { kind: 'status', status: 400 }, 'provider_rejected'],
    ['a server error', { kind: 'status', status: 500 }, 'provider_error'],
    ['a body that is not JSON', { kind: 'malformed' }, 'provider_error'],
    ['an HTML page', { kind: 'wrong-type' }, 'provider_error'],
    ['a reset connection', { kind: 'reset' }, 'provider_unavailable'],
  ])('answers %s with %s after one request', async (_case, behaviour, code) => {
    fake.will(behaviour);
    await expect(provider().transcribe(second, plain)).rejects.toMatchObject({ code });
    expect(fake.seen).toHaveLength(1);
  });

  it('retries a 503 it may retry, honouring Retry-After, and answers from the retry', async () => {
    fake.will({ kind: 'status', status: 503, retryAfter: '0' }, { kind: 'status', status: 502, retryAfter: '0' });
    const result = await provider({ maxRetries: 2 }).transcribe(second, plain);
    expect(result.text).toBe('hello from the fake provider');
    expect(fake.seen).toHaveLength(3);
  });

  it('gives up after ASR_MAX_RETRIES with the last failure', async () => {
    fake.will(...Array.from({ length: 3 }, (): Behaviour => ({ kind: 'status', status: 503, retryAfter: '0' })));
    await expect(provider({ maxRetries: 1 }).transcribe(second, plain)).rejects.toMatchObject({
      code: 'provider_unavailable',
    });
    expect(fake.seen).toHaveLength(2);
  });

  it('passes on a Retry-After longer than it waits, without retrying', async () => {
    fake.will({ kind: 'status', status: 429, retryAfter: '120' });
    await expect(provider({ maxRetries: 3 }).transcribe(second, plain)).rejects.toMatchObject({
      code: 'provider_rate_limited',
      retryAfterS: 120,
    });
    expect(fake.seen).toHaveLength(1);
  });

  it('never retries a timeout: the audio may be in work upstream', async () => {
    fake.will({ kind: 'hang' });
    await expect(provider({ timeoutS: 0.05, maxRetries: 3 }).transcribe(second, plain)).rejects.toMatchObject({
      code: 'provider_timeout',
    });
    expect(fake.seen).toHaveLength(1);
  });

  it('answers provider_unavailable when nothing listens', async () => {
    const closed = new OpenAiCompatibleProvider({
      name: 'openai',
      endpoint: { apiKey: 'k', baseUrl: 'http://127.0.0.1:1/v1', model: 'm' },
      timeoutS: 5,
      maxRetries: 0,
      concurrency: 1,
      breaker: { failures: 5, cooldownS: 60 },
    });
    await expect(closed.transcribe(second, plain)).rejects.toMatchObject({ code: 'provider_unavailable' });
  });

  it('cancels the upstream request when the caller aborts, and never sends one for an aborted caller', async () => {
    fake.will({ kind: 'hang' });
    const controller = new AbortController();
    const call = provider().transcribe(second, { ...plain, signal: controller.signal });
    while (fake.seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'cancelled' });
    await expect(provider().transcribe(second, { ...plain, signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'cancelled',
    });
    expect(fake.seen).toHaveLength(1);
  });
});

describe('OpenAiCompatibleProvider circuit', () => {
  it('opens after ASR_BREAKER_FAILURES failures in a row and then fails at once, without a request', async () => {
    fake.will({ kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    const remote = provider({ breaker: { failures: 2, cooldownS: 30 } });
    for (let i = 0; i < 2; i += 1)
      await expect(remote.transcribe(second, plain)).rejects.toMatchObject({ code: 'provider_error' });
    const refusal = remote.transcribe(second, plain);
    await expect(refusal).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(refusal).rejects.toMatchObject({ code: 'provider_unavailable' });
    expect(fake.seen).toHaveLength(2);
    expect(remote.health()).toMatchObject({ status: 'degraded', circuit: 'open', provider: 'openai-compatible' });
  });

  it('is up and closed while healthy, and describes itself', async () => {
    const remote = provider({ name: 'fireworks', concurrency: 3 });
    expect(remote.health()).toEqual({
      status: 'up',
      provider: 'fireworks',
      model: 'whisper-test',
      baseUrl: fake.url,
      circuit: 'closed',
    });
    expect(remote.name).toBe('fireworks');
    expect(remote.defaultModel).toBe('whisper-test');
    expect(remote.capabilities).toMatchObject({ parallelCalls: 3, streamingPartials: false, joinsSpeechSpans: true });
    expect(remote.tryOpenLive(plain)).toBeUndefined();
    await expect(remote.whenReady()).resolves.toBeUndefined();
    await expect(remote.close()).resolves.toBeUndefined();
  });
});

describe('OpenAiCompatibleProvider concurrency', () => {
  it('runs at most ASR_CONCURRENCY requests at once', async () => {
    let open = 0;
    let most = 0;
    fake.fallback = {
      kind: 'ok',
      delayMs: () => {
        open += 1;
        most = Math.max(most, open);
        setTimeout(() => (open -= 1), 15);
        return 15;
      },
    };
    try {
      const remote = provider({ concurrency: 2 });
      await Promise.all(Array.from({ length: 5 }, () => remote.transcribe(second, plain)));
    } finally {
      fake.fallback = { kind: 'ok' };
    }
    expect(fake.seen).toHaveLength(5);
    expect(most).toBe(2);
  });
});
