import { FakeOpenAi } from './support/fake-openai';
import { pinkNoise, RATE, sequence, speak, truthSpans } from './support/mixes';
import { corpusSentences } from './support/speech';
import { startTestApp, type TestApp } from './support/test-app';
import { encodeWav } from '@asr/audio';

async function post(t: TestApp, path: string, audio: Buffer): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob([audio]), 'audio.wav');
  return fetch(`${t.url}${path}`, { method: 'POST', body: form });
}

/** One spoken sentence through the local engine gives some text. */
async function expectTranscribes(t: TestApp): Promise<void> {
  const { clean } = sequence(speak(corpusSentences().slice(3, 4)));
  const transcribed = await post(t, '/api/v1/transcribe', encodeWav(clean));
  expect(transcribed.status).toBe(200);
  expect(((await transcribed.json()) as { text: string }).text.length).toBeGreaterThan(10);
}

describe('VAD over HTTP', () => {
  const fake = new FakeOpenAi();
  let t: TestApp;
  beforeAll(async () => {
    await fake.start();
    t = await startTestApp({ env: { ASR_PROVIDER: 'openai-compatible', ASR_BASE_URL: fake.url } });
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
  });
  beforeEach(() => fake.reset());

  it('POST /api/v1/vad gives the speech segments of a file', async () => {
    const { clean } = sequence(speak(corpusSentences().slice(0, 3)));
    const truth = truthSpans(clean);
    const response = await post(t, '/api/v1/vad', encodeWav(clean));
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      backend: string;
      duration: number;
      segments: { start: number; end: number; probability: number }[];
    };
    expect(body.backend).toBe('silero');
    expect(body.duration).toBeCloseTo(clean.length / RATE, 2);
    expect(body.segments).toHaveLength(3);
    body.segments.forEach((segment, i) => {
      // Padded by VAD_SPEECH_PAD_MS around the speech.
      expect(segment.start).toBeLessThanOrEqual(truth[i]!.start / RATE + 0.05);
      expect(segment.end).toBeGreaterThanOrEqual(truth[i]!.end / RATE - 0.05);
      expect(segment.probability).toBeGreaterThan(0.5);
    });
  });

  it('noise or silence alone: empty text, and the provider is never called', async () => {
    for (const audio of [new Float32Array(5 * RATE), pinkNoise(5 * RATE, 3).map((v) => v * 0.05)]) {
      const response = await post(t, '/api/v1/transcribe', encodeWav(audio));
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ text: '', segments: [], duration: 5 });
    }
    expect(fake.seen).toHaveLength(0);
  });

  it('reports the VAD, the provider and streaming capacity at /api/v1/streaming-health', async () => {
    const body = await (await fetch(`${t.url}/api/v1/streaming-health`)).json();
    expect(body).toEqual({
      vad: { requested: 'silero', running: 'silero', degraded: false },
      provider: { name: 'openai-compatible', status: 'up', ready: true },
      capacity: { active: 0, max: 100 },
    });
  });
});

describe('a VAD backend that cannot load', () => {
  it('falls back to the energy detector, keeps serving, and says why (readiness 200, degraded)', async () => {
    const t = await startTestApp({ env: { VAD_BACKEND: 'ten', TEN_VAD_PATH: '/nonexistent/ten-vad-lib' } });
    try {
      const ready = await fetch(`${t.url}/health/ready`);
      expect(ready.status).toBe(200);
      const body = (await ready.json()) as {
        status: string;
        details: { vad: { status: string; backend: string; message: string } };
      };
      expect(body.status).toBe('degraded');
      expect(body.details.vad).toMatchObject({ status: 'degraded', backend: 'energy' });
      expect(body.details.vad.message).toContain('ten VAD could not load');
      const health = (await (await fetch(`${t.url}/api/v1/streaming-health`)).json()) as {
        vad: { running: string; degraded: boolean; reason: string };
      };
      expect(health.vad).toMatchObject({ running: 'energy', degraded: true });
      expect(t.logs.text).toContain('not open source');
      expect(body.details.vad.message).toContain('/nonexistent/ten-vad-lib');
      await expectTranscribes(t);
    } finally {
      await t.close();
    }
  });
});

describe('VAD_BACKEND=ten with TEN-VAD installed', () => {
  it('runs TEN-VAD, states its licence restriction in the log, and transcribes through it', async () => {
    const t = await startTestApp({ env: { VAD_BACKEND: 'ten' } });
    try {
      const health = (await (await fetch(`${t.url}/api/v1/streaming-health`)).json()) as { vad: unknown };
      expect(health.vad).toEqual({ requested: 'ten', running: 'ten', degraded: false });
      expect(t.logs.text).toContain('not open source');
      await expectTranscribes(t);
    } finally {
      await t.close();
    }
  });
});
