import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWav } from '@asr/audio';
import type { JobView } from '@asr/jobs';
import { getJob, submitJob, waitForJob } from './support/jobs';
import { RATE, random, wavFloat32 } from './support/mixes';
import { rawEngineTranscripts } from './support/raw-engine';
import { type SpeechSample, synthesiseCorpus } from './support/speech';
import { startTestApp, type TestApp } from './support/test-app';
import { corpusWer } from './support/wer';

jest.setTimeout(600_000);

/** Twenty minutes like a meeting: the corpus utterances in turn, 6–12 s of silence between (seeded), to the end. */
function twentyMinutes(corpus: SpeechSample[]): { audio: Float32Array; spoken: SpeechSample[]; lastEndS: number } {
  const audio = new Float32Array(1200 * RATE);
  const next = random(20);
  const spoken: SpeechSample[] = [];
  let at = 2 * RATE;
  let lastEndS = 0;
  for (let i = 0; ; i += 1) {
    const sample = corpus[i % corpus.length]!;
    const samples = wavFloat32(sample.file);
    if (at + samples.length > audio.length - RATE) break;
    audio.set(samples, at);
    spoken.push(sample);
    lastEndS = (at + samples.length) / RATE;
    at += samples.length + Math.round((6 + 6 * next()) * RATE);
  }
  return { audio, spoken, lastEndS };
}

const SRT_TIME = /(\d\d):(\d\d):(\d\d),(\d{3})/g;
const seconds = (h: string, m: string, s: string, ms: string): number => +h * 3600 + +m * 60 + +s + +ms / 1000;

describe('a 20-minute recording as a job on the embedded engine', () => {
  let t: TestApp;
  let dir: string;
  let recording: string;
  let spoken: SpeechSample[];
  let lastEndS: number;
  let corpus: SpeechSample[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'asr-job-local-'));
    corpus = await synthesiseCorpus(dir);
    const meeting = twentyMinutes(corpus);
    spoken = meeting.spoken;
    lastEndS = meeting.lastEndS;
    // Uploaded as FLAC, as a recording usually arrives compressed (lossless, so the WER compares with the raw engine
    // on the same samples): the 202 measures the service, not 38 MB of WAV over loopback.
    const wav = join(dir, 'meeting.wav');
    writeFileSync(wav, encodeWav(meeting.audio));
    recording = join(dir, 'meeting.flac');
    execFileSync('ffmpeg', ['-loglevel', 'error', '-i', wav, '-c:a', 'flac', recording]);
    t = await startTestApp({ env: { LOCAL_ASR_CONCURRENCY: '2', ASR_CHUNK_CONCURRENCY: '2' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 202 within 1 s, progress rises monotonically, WER meets the REST bounds, the srt covers the file', async () => {
    const submitted = await submitJob(t.url, recording);
    expect(submitted.status).toBe(202);
    expect(submitted.ms).toBeLessThan(1000);
    const id = submitted.body.id as string;
    const progress: number[] = [];
    const started = performance.now();
    const job = await waitForJob(t.url, id, (j) => j.status === 'succeeded' || j.status === 'failed', {
      timeoutMs: 480_000,
      everyMs: 250,
      onJob: (j) => progress.push(j.progress.done_seconds),
    });
    const elapsedS = (performance.now() - started) / 1000;
    expect(job.status).toBe('succeeded');
    progress.forEach((p, i) => expect(p).toBeGreaterThanOrEqual(progress[i - 1] ?? 0));
    expect(new Set(progress).size).toBeGreaterThan(5);
    expect(job.progress.total_seconds).toBeCloseTo(1200, 0);

    const text = await (await fetch(`${t.url}/api/v1/jobs/${id}/result?format=text`)).text();
    const wer = corpusWer([{ reference: spoken.map((s) => s.reference).join(' '), hypothesis: text }]);
    const distinct = corpus.filter((c) => spoken.includes(c));
    const raw = await rawEngineTranscripts(distinct.map((s) => s.file));
    const rawBySample = new Map(distinct.map((s, i) => [s, raw[i]!]));
    const rawWer = corpusWer(spoken.map((s) => ({ reference: s.reference, hypothesis: rawBySample.get(s)! })));

    const srt = await (await fetch(`${t.url}/api/v1/jobs/${id}/result?format=srt`)).text();
    const times = [...srt.matchAll(SRT_TIME)].map((m) => seconds(m[1]!, m[2]!, m[3]!, m[4]!));
    const firstStart = times[0]!;
    const lastEnd = times[times.length - 1]!;
    console.log(
      `20-minute job: 202 after ${submitted.ms.toFixed(0)} ms, ${spoken.length} utterances, done in ${elapsedS.toFixed(0)} s, ${new Set(progress).size} progress steps, ` +
        `WER ${wer.toFixed(2)}% (raw engine on the same utterances ${rawWer.toFixed(2)}%), srt ${firstStart}–${lastEnd} s (speech 2–${lastEndS.toFixed(3)} s)`,
    );
    expect(wer).toBeLessThanOrEqual(35);
    expect(wer).toBeLessThanOrEqual(rawWer + 2);
    // The subtitles span the speech: from the first utterance (at 2 s) to the end of the last one (the files carry
    // a little silence of their own at both ends, so allow a second either way).
    expect(Math.abs(firstStart - 2)).toBeLessThan(1);
    expect(Math.abs(lastEnd - lastEndS)).toBeLessThan(1);
  });

  it('cancels a running job within 1 s and gives its decoders back', async () => {
    const id = (await submitJob(t.url, recording)).body.id as string;
    await waitForJob(t.url, id, (j) => j.progress.done_seconds > 0, { timeoutMs: 60_000, everyMs: 50 });
    const started = performance.now();
    const response = await fetch(`${t.url}/api/v1/jobs/${id}`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    const cancelled = await waitForJob(t.url, id, (j: JobView) => j.status === 'cancelled', { everyMs: 10 });
    const cancelledMs = performance.now() - started;
    let busy = Number.POSITIVE_INFINITY;
    while (busy > 0) {
      const ready = (await (await fetch(`${t.url}/health/ready`)).json()) as { details: { asr: { busy: number } } };
      busy = ready.details.asr.busy;
      if (performance.now() - started > 10_000) break;
      if (busy > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const freeMs = performance.now() - started;
    console.log(
      `cancel on the embedded engine: cancelled after ${cancelledMs.toFixed(0)} ms, decoders free after ${freeMs.toFixed(0)} ms`,
    );
    expect(cancelled.progress.done_seconds).toBeLessThan(1200);
    expect(cancelledMs).toBeLessThan(1000);
    expect(busy).toBe(0);
    // A decoder cannot be interrupted mid-chunk: it comes back when the chunk in progress (one utterance) ends.
    expect(freeMs).toBeLessThan(3000);
    expect((await getJob(t.url, id)).status).toBe('cancelled');
  });
});
