import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsrProvider } from '@asr/asr';
import { librivoxSamples } from './support/speech';
import { startTestApp, type TestApp } from './support/test-app';

jest.setTimeout(120_000);

/** About 60 s of real speech: the LibriVox sentences, twice over (three 20 s chunks for the engine). */
function longSpeech(): Buffer {
  const files = librivoxSamples().map((s) => s.file);
  const out = join(mkdtempSync(join(tmpdir(), 'asr-long-')), 'long.wav');
  execFileSync('sox', [...files, ...files, ...files, out]);
  return readFileSync(out);
}

function post(t: TestApp, audio: Buffer, fields: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([audio]), 'speech.wav');
  return fetch(`${t.url}/api/v1/transcribe`, { method: 'POST', body: form, signal });
}

describe('the embedded engine (one decoder, no queue)', () => {
  let t: TestApp;
  let short: Buffer;
  /** How long the decoder is held by the whole minute, measured in the first test; the release bound is relative to it. */
  let fullDecodeMs = 0;
  beforeAll(async () => {
    t = await startTestApp({ env: { LOCAL_ASR_CONCURRENCY: '1', LOCAL_ASR_QUEUE: '0' } });
    short = readFileSync(librivoxSamples()[1]!.file);
  });
  afterAll(() => t.close());

  it('answers 503 with Retry-After when its decoders and queue are full', async () => {
    const long = post(t, longSpeech());
    // Wait until the long request holds the only decoder.
    const provider = t.app.get(AsrProvider);
    while (provider.health().busy !== 1) await new Promise((resolve) => setTimeout(resolve, 10));
    const heldFrom = Date.now();
    const refused = await post(t, short);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(await refused.json()).toMatchObject({ code: 'engine_busy' });
    expect((await long).status).toBe(200);
    fullDecodeMs = Date.now() - heldFrom;
  });

  it('frees the decoder when the client disconnects, long before the transcription would have ended', async () => {
    expect(fullDecodeMs).toBeGreaterThan(0);
    const provider = t.app.get(AsrProvider);
    const abort = new AbortController();
    const request = post(t, longSpeech(), {}, abort.signal).catch(() => 'aborted');
    while (provider.health().busy !== 1) await new Promise((resolve) => setTimeout(resolve, 10));
    const abortedAt = Date.now();
    abort.abort();
    expect(await request).toBe('aborted');
    while (provider.health().busy !== 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const freedAfterMs = Date.now() - abortedAt;
    // The minute is three 20 s chunks; an abandoned request gives the decoder back after its current chunk, so well
    // under the whole decode measured in this run (a ratio, so a busy machine slows both sides alike).
    expect(freedAfterMs).toBeLessThan(fullDecodeMs * 0.6);
    const next = await post(t, short);
    expect(next.status).toBe(200);
  });

  it('gives word timings and confidences with timestamps=word', async () => {
    const response = await post(t, short, { timestamps: 'word' });
    const body = (await response.json()) as {
      duration: number;
      words: { word: string; start: number; end: number; confidence: number }[];
    };
    expect(body.words.length).toBeGreaterThan(4);
    for (const word of body.words) {
      expect(word.end).toBeGreaterThan(word.start);
      expect(word.end).toBeLessThanOrEqual(body.duration);
      expect(word.confidence).toBeGreaterThanOrEqual(0);
      expect(word.confidence).toBeLessThanOrEqual(1);
    }
  });

  it('refuses a language other than English with 400 unsupported_language', async () => {
    const response = await post(t, short, { language: 'de' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'unsupported_language' });
  });

  it('records metrics for what it transcribed', async () => {
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/asr_transcriptions_total\{provider="local",status="ok"\} [1-9]/);
    expect(metrics).toMatch(/asr_audio_seconds_total\{provider="local"\} [1-9]/);
    expect(metrics).toMatch(/asr_realtime_factor_count\{provider="local"\} [1-9]/);
    expect(metrics).toMatch(/asr_transcription_duration_seconds_count\{provider="local"\} [1-9]/);
  });
});

describe('readiness and the engine', () => {
  it('is 503 while the models load and 200 once they are in; liveness is 200 throughout', async () => {
    const t = await startTestApp({ waitForEngine: false });
    try {
      const first = await fetch(`${t.url}/health/ready`);
      expect((await fetch(`${t.url}/health`)).status).toBe(200);
      // The decoder takes about 0.3 s to load; the first probe comes right after listen.
      expect(first.status).toBe(503);
      expect(JSON.stringify(await first.json())).toContain('loading the speech models');
      const deadline = Date.now() + 15_000;
      let status = first.status;
      while (status !== 200 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        status = (await fetch(`${t.url}/health/ready`)).status;
      }
      expect(status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
