import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverMessageValidator } from './support/asyncapi';
import { rawEngineTranscripts } from './support/raw-engine';
import { librivoxSamples, type SpeechSample, synthesiseCorpus } from './support/speech';
import { connect, finalsOf, sendAudio, streamOnce, type StreamRun, streamUrl } from './support/stream-client';
import { startTestApp, type TestApp } from './support/test-app';
import { waitFor } from './support/wait';
import { corpusWer } from './support/wer';
import { AsrProvider } from '@asr/asr';
import { encodeWav, int16ToFloat32, Resampler } from '@asr/audio';

jest.setTimeout(300_000);

const validate = serverMessageValidator();

interface Format {
  rate: number;
  channels: number;
}
const MONO_16K: Format = { rate: 16_000, channels: 1 };
const STEREO_44K: Format = { rate: 44_100, channels: 2 };
const MONO_8K: Format = { rate: 8000, channels: 1 };

/** A file's audio as raw 16-bit PCM in `format`, converted by sox (what a client would capture and send). */
function pcm(file: string, format: Format): Buffer {
  return execFileSync(
    'sox',
    [file, '-t', 'raw', '-e', 'signed', '-b', '16', '-r', `${format.rate}`, '-c', `${format.channels}`, '-'],
    {
      maxBuffer: 1 << 28,
    },
  );
}

function asInt16(bytes: Buffer): Int16Array {
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

function silence(seconds: number, format: Format): Buffer {
  return Buffer.alloc(Math.round(seconds * format.rate) * format.channels * 2);
}

/** One session's audio: the samples one after another with 1.2 s of silence between, and its reference text. */
function session(samples: SpeechSample[], format: Format): { audio: Buffer; reference: string } {
  const parts = samples.flatMap((s) => [silence(1.2, format), pcm(s.file, format)]);
  return { audio: Buffer.concat([...parts, silence(1, format)]), reference: samples.map((s) => s.reference).join(' ') };
}

function chunked<T>(items: T[], sessions: number): T[][] {
  return Array.from({ length: sessions }, (_, i) => items.filter((_, k) => k % sessions === i));
}

/** Streams each group as one session (all at once) and gives the corpus WER of the finals, every message checked. */
async function streamingWer(
  t: TestApp,
  groups: SpeechSample[][],
  format: Format,
  pace: number,
  interim: boolean,
): Promise<{ wer: number; runs: StreamRun[] }> {
  const sessions = groups.map((g) => session(g, format));
  const query = `sample_rate=${format.rate}&channels=${format.channels}&interim_results=${interim}`;
  const runs = await Promise.all(
    sessions.map((s, i) =>
      streamOnce(t.url, s.audio, { query, pace, bytesPerSecond: format.rate * format.channels * 2, seed: i + 1 }),
    ),
  );
  for (const run of runs) {
    for (const message of run.messages) expect(validate(message)).toBeUndefined();
    expect(run.closeCode).toBe(1000);
    const started = run.messages.filter((m) => m.type === 'speech.started').map((m) => m.segment_id);
    expect(finalsOf(run).map((f) => f.segment_id)).toEqual(started);
  }
  const wer = corpusWer(
    runs.map((run, i) => ({
      reference: sessions[i]!.reference,
      hypothesis: finalsOf(run)
        .map((f) => f.text)
        .join(' '),
    })),
  );
  return { wer, runs };
}

async function rawWer(samples: SpeechSample[]): Promise<number> {
  const raw = await rawEngineTranscripts(samples.map((s) => s.file));
  return corpusWer(samples.map((s, i) => ({ reference: s.reference, hypothesis: raw[i]! })));
}

describe('streaming with the embedded engine: word error rate of the finals', () => {
  let t: TestApp;
  let synthetic: SpeechSample[];
  let recorded: SpeechSample[];
  let rawSynthetic: number;
  let rawRecorded: number;
  beforeAll(async () => {
    t = await startTestApp({ env: { LOCAL_ASR_CONCURRENCY: '2' } });
    const dir = mkdtempSync(join(tmpdir(), 'asr-stream-wer-'));
    synthetic = await synthesiseCorpus(dir);
    recorded = librivoxSamples();
    rawSynthetic = await rawWer(synthetic);
    rawRecorded = await rawWer(recorded);
  });
  afterAll(() => t.close());

  it('synthetic speech, 16 kHz mono at 4× real time (4 sessions): ≤ 35% and within 2 points of the raw engine', async () => {
    const { wer } = await streamingWer(t, chunked(synthetic, 4), MONO_16K, 4, false);
    console.log(`streaming WER synthetic 16 kHz mono 4×: ${wer.toFixed(2)}% (raw engine ${rawSynthetic.toFixed(2)}%)`);
    expect(wer).toBeLessThanOrEqual(35);
    expect(wer).toBeLessThanOrEqual(rawSynthetic + 2);
  });

  it('synthetic speech, 44.1 kHz stereo at real time (8 sessions): ≤ 35% and within 2 points of the raw engine', async () => {
    const { wer } = await streamingWer(t, chunked(synthetic, 8), STEREO_44K, 1, false);
    console.log(
      `streaming WER synthetic 44.1 kHz stereo 1×: ${wer.toFixed(2)}% (raw engine ${rawSynthetic.toFixed(2)}%)`,
    );
    expect(wer).toBeLessThanOrEqual(35);
    expect(wer).toBeLessThanOrEqual(rawSynthetic + 2);
  });

  it('recorded speech, 44.1 kHz stereo at 4× (5 sessions): ≤ 45% and within 2 points of the raw engine', async () => {
    const { wer } = await streamingWer(t, chunked(recorded, 5), STEREO_44K, 4, false);
    console.log(
      `streaming WER recorded 44.1 kHz stereo 4×: ${wer.toFixed(2)}% (raw engine ${rawRecorded.toFixed(2)}%)`,
    );
    expect(wer).toBeLessThanOrEqual(45);
    expect(wer).toBeLessThanOrEqual(rawRecorded + 2);
  });

  it('speech at 8 kHz (4×, both corpora): at most 3 points worse than the raw engine fed the same 8 kHz audio', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asr-stream-8k-'));
    // The raw engine takes 16 kHz: it gets the same 8 kHz audio brought up to 16 kHz by the service's resampler,
    // the very samples the server's VAD and engine see, so the difference is the streaming path alone.
    const speech = [...synthetic, ...recorded];
    const narrow = speech.map((s) => {
      const file = join(dir, `${s.id}.8k16.wav`);
      const resampler = new Resampler(8000, 16_000);
      const up = [resampler.push(int16ToFloat32(asInt16(pcm(s.file, MONO_8K)))), resampler.flush()];
      writeFileSync(file, encodeWav(Float32Array.from([...up[0]!, ...up[1]!])));
      return { ...s, file };
    });
    const raw8k = await rawWer(narrow);
    // Both corpora (about 570 words): the recordings alone are 71 words, where one utterance edge moved by a VAD
    // frame (batched inference differs in the last bits with whatever else shares the batch) shifts the WER by
    // 1.4 points; they measured 33.8–43.7% against 33.8–35.2% raw across runs.
    const { wer, runs } = await streamingWer(t, chunked(speech, 5), MONO_8K, 4, false);
    console.log(
      `streaming WER 8 kHz 4× (${speech.length} utterances): ${wer.toFixed(2)}% (raw engine on the same 8 kHz audio ${raw8k.toFixed(2)}%)`,
    );
    expect(runs).toHaveLength(5);
    // At most 3 points worse than the raw engine. Better is no regression: the streaming edges (VAD-cut, padded)
    // beat the raw engine's whole-file decode by up to 3.2 points in some runs (30.93% against 34.09%).
    expect(wer - raw8k).toBeLessThanOrEqual(3);
  });
});

describe('streaming with the embedded engine: live partials', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { LOCAL_ASR_CONCURRENCY: '4' } });
  });
  afterAll(() => t.close());

  it('4 concurrent sessions at real time: utterances of 2 s or more get two distinct partials, the first before speech.stopped; finals meet the recorded bound', async () => {
    const recorded = librivoxSamples().slice(0, 4);
    const raw = await rawWer(recorded);
    const { wer, runs } = await streamingWer(t, chunked(recorded, 4), MONO_16K, 1, true);
    console.log(
      `streaming WER recorded 16 kHz mono 1× with partials: ${wer.toFixed(2)}% (raw engine ${raw.toFixed(2)}%)`,
    );
    expect(wer).toBeLessThanOrEqual(45);
    expect(wer).toBeLessThanOrEqual(raw + 2);
    let long = 0;
    for (const run of runs) {
      for (const stopped of run.messages.filter((m) => m.type === 'speech.stopped')) {
        const started = run.messages.find((m) => m.type === 'speech.started' && m.segment_id === stopped.segment_id)!;
        if (stopped.end! - started.start! < 2) continue;
        long += 1;
        const partials = run.messages.filter(
          (m) => m.type === 'transcript.partial' && m.segment_id === stopped.segment_id,
        );
        expect(new Set(partials.map((p) => p.text)).size).toBeGreaterThanOrEqual(2);
        expect(run.messages.indexOf(partials[0]!)).toBeLessThan(run.messages.indexOf(stopped));
      }
    }
    expect(long).toBeGreaterThanOrEqual(4);
  });

  it('clients that vanish mid-utterance leave no session and no leased decoder behind', async () => {
    const provider = t.app.get(AsrProvider);
    const audio = pcm(librivoxSamples()[0]!.file, MONO_16K);
    const clients = await Promise.all(Array.from({ length: 3 }, () => connect(streamUrl(t.url))));
    await Promise.all(
      clients.map(async ({ socket }) => {
        // Two seconds in: speech is under way and a decoder is leased for its partials.
        await sendAudio(socket, audio.subarray(0, 32_000 * 2), { bytesPerSecond: 32_000, pace: 2 });
      }),
    );
    await waitFor(() => (provider.health().busy as number) > 0);
    for (const { socket } of clients) socket.terminate();
    await waitFor(async () => {
      const health = (await (await fetch(`${t.url}/api/v1/streaming-health`)).json()) as {
        capacity: { active: number };
      };
      return health.capacity.active === 0 && provider.health().busy === 0;
    });
    const stats = (await (await fetch(`${t.url}/api/v1/streaming-stats`)).json()) as {
      totals: { close_reasons: Record<string, number> };
    };
    expect(stats.totals.close_reasons.client_disconnected).toBeGreaterThanOrEqual(3);
  });
});
