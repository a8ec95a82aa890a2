import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawEngineTranscripts } from './support/raw-engine';
import { corpusSentences, librivoxSamples, mapLimit, type SpeechSample, synthesiseCorpus } from './support/speech';
import { startTestApp, type TestApp } from './support/test-app';
import { corpusWer } from './support/wer';

jest.setTimeout(300_000);

async function transcribe(t: TestApp, file: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([readFileSync(file)], { type: 'audio/wav' }), 'speech.wav');
  const response = await fetch(`${t.url}/api/v1/transcribe`, { method: 'POST', body: form });
  if (response.status !== 200) throw new Error(`${file}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { text: string }).text;
}

async function werOf(t: TestApp, samples: SpeechSample[]): Promise<{ service: number; raw: number }> {
  const service = await mapLimit(samples, 2, (s) => transcribe(t, s.file));
  const raw = await rawEngineTranscripts(samples.map((s) => s.file));
  return {
    service: corpusWer(samples.map((s, i) => ({ reference: s.reference, hypothesis: service[i]! }))),
    raw: corpusWer(samples.map((s, i) => ({ reference: s.reference, hypothesis: raw[i]! }))),
  };
}

describe('word error rate of the embedded engine through POST /api/v1/transcribe', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { LOCAL_ASR_CONCURRENCY: '2' } });
  });
  afterAll(() => t.close());

  it('synthetic speech (flite and festival): at most 35% and within 2 points of the raw engine', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asr-wer-'));
    const sentences = corpusSentences();
    expect(sentences.join(' ').split(/\s+/).length).toBeGreaterThanOrEqual(200);
    const samples = await synthesiseCorpus(dir);
    const wer = await werOf(t, samples);
    console.log(
      `WER synthetic (${samples.length} utterances): service ${wer.service.toFixed(2)}%, raw engine ${wer.raw.toFixed(2)}%`,
    );
    expect(wer.service).toBeLessThanOrEqual(35);
    expect(wer.service).toBeLessThanOrEqual(wer.raw + 2);
  });

  it('recorded speech (the LibriVox files of pocketsphinx-testdata): at most 45% and within 2 points of the raw engine', async () => {
    const samples = librivoxSamples();
    expect(samples).toHaveLength(5);
    const wer = await werOf(t, samples);
    console.log(
      `WER recorded (${samples.length} utterances): service ${wer.service.toFixed(2)}%, raw engine ${wer.raw.toFixed(2)}%`,
    );
    expect(wer.service).toBeLessThanOrEqual(45);
    expect(wer.service).toBeLessThanOrEqual(wer.raw + 2);
  });
});
