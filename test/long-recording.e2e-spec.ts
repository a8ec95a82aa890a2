import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWav } from '@asr/audio';
import { FakeOpenAi } from './support/fake-openai';
import { RATE, random, speak, truthSpans } from './support/mixes';
import { corpusSentences } from './support/speech';
import { startTestApp, type TestApp } from './support/test-app';

jest.setTimeout(300_000);

/** One hour: an utterance every 20–40 s (seeded), silence between, so the truth is known to the sample. */
function hourOfSpeech(): Float32Array {
  const utterances = speak(corpusSentences().slice(0, 8));
  const next = random(5);
  const out = new Float32Array(3600 * RATE);
  let at = 2 * RATE;
  for (let i = 0; at + 6 * RATE < out.length; i += 1) {
    const utterance = utterances[i % utterances.length]!;
    out.set(utterance, at);
    at += utterance.length + Math.round((20 + 20 * next()) * RATE);
  }
  return out;
}

describe('a one-hour compressed recording through POST /api/v1/transcribe', () => {
  const fake = new FakeOpenAi();
  let t: TestApp;
  beforeAll(async () => {
    await fake.start();
    fake.fallback = { kind: 'sounds' };
    fake.maxBodyBytes = 25 * 1024 * 1024;
    t = await startTestApp({ env: { ASR_PROVIDER: 'openai-compatible', ASR_BASE_URL: fake.url } });
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
  });

  it('is split at pauses into provider-sized chunks, and the merged times match the truth within 50 ms', async () => {
    const hour = hourOfSpeech();
    const truth = truthSpans(hour).map((s) => ({ start: s.start / RATE, end: s.end / RATE }));
    const dir = mkdtempSync(join(tmpdir(), 'asr-hour-'));
    writeFileSync(join(dir, 'hour.wav'), encodeWav(hour));
    const opus = join(dir, 'hour.ogg');
    execFileSync('ffmpeg', ['-loglevel', 'error', '-i', join(dir, 'hour.wav'), '-c:a', 'libopus', '-b:a', '24k', opus]);
    expect(statSync(opus).size).toBeLessThan(t.config.audio.maxUploadBytes);

    const form = new FormData();
    form.append('file', new Blob([readFileSync(opus)]), 'hour.ogg');
    form.append('timestamps', 'word');
    const response = await fetch(`${t.url}/api/v1/transcribe`, { method: 'POST', body: form });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { duration: number; words: { start: number; end: number }[] };
    expect(body.duration).toBeCloseTo(3600, 0);

    // Chunked: more than one request, each under the fake's 25 MB limit (it answers 413 above it).
    expect(fake.seen.length).toBeGreaterThan(1);
    expect(fake.seen.every((s) => s.file!.bytes.length < 25 * 1024 * 1024)).toBe(true);

    expect(body.words).toHaveLength(truth.length);
    let worst = 0;
    body.words.forEach((word, i) => {
      worst = Math.max(worst, Math.abs(word.start - truth[i]!.start), Math.abs(word.end - truth[i]!.end));
      if (i > 0) expect(word.start).toBeGreaterThanOrEqual(body.words[i - 1]!.end);
    });
    console.log(
      `one hour: ${truth.length} utterances, ${fake.seen.length} provider calls, worst time error ${(worst * 1000).toFixed(1)} ms`,
    );
    expect(worst).toBeLessThanOrEqual(0.05);
  });
});
