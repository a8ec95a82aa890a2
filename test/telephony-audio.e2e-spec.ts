import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverMessageValidator } from './support/asyncapi';
import { rawEngineTranscripts } from './support/raw-engine';
import { librivoxSamples, type SpeechSample, synthesiseCorpus } from './support/speech';
import { finalsOf, streamOnce, type StreamRun } from './support/stream-client';
import { withFakeProvider } from './support/fake-openai';
import { startTestApp, type TestApp } from './support/test-app';
import { corpusWer, normalise } from './support/wer';
import { encodeWav, int16ToFloat32, Resampler } from '@asr/audio';

jest.setTimeout(300_000);

const validate = serverMessageValidator();

const RATE = 8000;
const SESSIONS = 5;

/**
 * A file's audio as 8 kHz mono signed 16-bit PCM, converted by sox without dither (so that the streams and the
 * baseline get the very same samples): the telephone-band signal before companding.
 */
function narrowband(file: string): Buffer {
  return execFileSync('sox', [file, '-D', '-t', 'raw', '-e', 'signed', '-b', '16', '-r', `${RATE}`, '-c', '1', '-'], {
    maxBuffer: 1 << 28,
  });
}

interface Telephony {
  encoding: 'pcm_mulaw' | 'pcm_alaw';
  /** sox's name for it. */
  sox: 'mu-law' | 'a-law';
  channels: number;
}

const S16_8K = ['-t', 'raw', '-e', 'signed', '-b', '16', '-r', `${RATE}`, '-c', '1'];

/**
 * 16-bit 8 kHz PCM companded by sox into G.711 bytes on `channels` channels (sox copies mono into each). Without
 * dither: sox would otherwise add fresh noise on each call (G.711 counts as 8 bits), and the streams and the baseline
 * must get the same codes.
 */
function companded(pcm: Buffer, format: Telephony, channels = format.channels): Buffer {
  const to = ['-e', format.sox, '-t', 'raw', '-c', `${channels}`, '-'];
  return execFileSync('sox', ['-D', ...S16_8K, '-', ...to], { input: pcm, maxBuffer: 1 << 28 });
}

/** Mono G.711 bytes expanded back to 16-bit PCM by sox (not by our decoder, which the stream tests). */
function expanded(codes: Buffer, format: Telephony): Buffer {
  const from = ['-t', 'raw', '-e', format.sox, '-b', '8', '-r', `${RATE}`, '-c', '1', '-'];
  return execFileSync('sox', [...from, ...S16_8K, '-'], { input: codes, maxBuffer: 1 << 28 });
}

function asInt16(bytes: Buffer): Int16Array {
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

interface NarrowSample {
  reference: string;
  pcm: Buffer;
}

function narrowSample(sample: SpeechSample): NarrowSample {
  return { reference: sample.reference, pcm: narrowband(sample.file) };
}

/** One session's 8 kHz 16-bit audio: the samples with 1.2 s of silence between, and its reference text. */
function session(samples: NarrowSample[]): NarrowSample {
  const silence = (seconds: number): Buffer => Buffer.alloc(Math.round(seconds * RATE) * 2);
  const parts = samples.flatMap((s) => [silence(1.2), s.pcm]);
  return { pcm: Buffer.concat([...parts, silence(1)]), reference: samples.map((s) => s.reference).join(' ') };
}

function chunked<T>(items: T[], sessions: number): T[][] {
  return Array.from({ length: sessions }, (_, i) => items.filter((_, k) => k % sessions === i));
}

/**
 * The baseline: the raw engine fed the same telephone audio, each sample companded by sox and expanded back to
 * 16-bit PCM by sox, brought up to the engine's 16 kHz by the service's own resampler. These are the samples the
 * server's engine sees when our G.711 decoding is right (the unit tests hold it to sox's, bit for bit); G.711 is
 * memoryless, so they equal the stream's stretch for that sample. The gap thus holds our decoding and the streaming
 * path, not the codec's own loss (which no server can undo, and which this engine measured at 1–2 points).
 */
async function rawEngineWer(samples: NarrowSample[], format: Telephony, dir: string): Promise<number> {
  const files = samples.map((s, i) => {
    const file = join(dir, `${format.encoding}-${i}.wav`);
    const resampler = new Resampler(RATE, 16_000);
    const pcm = int16ToFloat32(asInt16(expanded(companded(s.pcm, format, 1), format)));
    const up = [resampler.push(pcm), resampler.flush()];
    writeFileSync(file, encodeWav(Float32Array.from([...up[0]!, ...up[1]!])));
    return file;
  });
  // Two decoders, each on one half: the baseline is this suite's longest single thread of work.
  const split = Math.ceil(files.length / 2);
  const halves = await Promise.all([
    rawEngineTranscripts(files.slice(0, split)),
    rawEngineTranscripts(files.slice(split)),
  ]);
  const raw = halves.flat();
  return corpusWer(samples.map((s, i) => ({ reference: s.reference, hypothesis: raw[i]! })));
}

interface StreamedFormat {
  encoding: 'pcm_s16le' | Telephony['encoding'];
  channels: number;
}

/**
 * Streams one session over the native protocol at 4× real time, every message checked against the AsyncAPI
 * document, one final per utterance and none failed. No sample_rate is sent for G.711: it means 8 kHz.
 */
async function streamChecked(t: TestApp, audio: Buffer, format: StreamedFormat, seed: number): Promise<StreamRun> {
  const rate = format.encoding === 'pcm_s16le' ? `&sample_rate=${RATE}` : '';
  const query = `encoding=${format.encoding}&channels=${format.channels}&interim_results=false${rate}`;
  const bytesPerSample = format.encoding === 'pcm_s16le' ? 2 : 1;
  const run = await streamOnce(t.url, audio, {
    query,
    pace: 4,
    bytesPerSecond: RATE * format.channels * bytesPerSample,
    seed,
  });
  for (const message of run.messages) expect(validate(message)).toBeUndefined();
  expect(run.closeCode).toBe(1000);
  const config = run.messages.find((m) => m.type === 'session.started')!.config as Record<string, unknown>;
  expect(config).toMatchObject({ encoding: format.encoding, sample_rate: RATE, channels: format.channels });
  const started = run.messages.filter((m) => m.type === 'speech.started').map((m) => m.segment_id);
  expect(finalsOf(run).map((f) => f.segment_id)).toEqual(started);
  expect(finalsOf(run).filter((f) => f.error !== undefined)).toEqual([]);
  return run;
}

function transcriptOf(run: StreamRun): string {
  return finalsOf(run)
    .map((f) => f.text)
    .join(' ');
}

describe('telephony audio (G.711 at 8 kHz) over the native protocol with the embedded engine', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    // Five sessions at 4× can queue every final for two decoders on a loaded CI machine: a deep queue, so that this
    // measures accuracy, not capacity (a final refused as engine_busy would fail below, not skew the WER).
    t = await startTestApp({ env: { LOCAL_ASR_CONCURRENCY: '2', LOCAL_ASR_QUEUE: '256' } });
    dir = mkdtempSync(join(tmpdir(), 'asr-telephony-'));
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('μ-law, 5 sessions at 4× real time: at most 3 points worse than the raw engine on the same μ-law audio', async () => {
    // The synthetic corpus in two voices and the recordings: about 570 words.
    const speech = [...(await synthesiseCorpus(dir)), ...librivoxSamples()].map(narrowSample);
    const words = speech.reduce((n, s) => n + normalise(s.reference).length, 0);
    expect(words).toBeGreaterThanOrEqual(500);
    const mulaw: Telephony = { encoding: 'pcm_mulaw', sox: 'mu-law', channels: 1 };
    const sessions = chunked(speech, SESSIONS).map(session);
    const began = { wall: performance.now(), cpu: process.cpuUsage() };
    // The baseline (two decoders of its own) runs beside the streams to keep the suite short: each pass of the
    // engine over this corpus costs about a minute of CPU here, which is also why A-law gets no WER pass of its own.
    const [raw, runs] = await Promise.all([
      rawEngineWer(speech, mulaw, dir),
      Promise.all(sessions.map((s, i) => streamChecked(t, companded(s.pcm, mulaw), mulaw, i + 1))),
    ]);
    const cpu = process.cpuUsage(began.cpu);
    const streamed = corpusWer(
      sessions.map((s, i) => ({ reference: s.reference, hypothesis: transcriptOf(runs[i]!) })),
    );
    console.log(
      `telephony WER: μ-law 8 kHz streamed ${streamed.toFixed(2)}% over ${words} words (${SESSIONS} sessions at 4× ` +
        `real time), raw engine on the same μ-law audio ${raw.toFixed(2)}%; ` +
        `${((performance.now() - began.wall) / 1000).toFixed(1)} s, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU`,
    );
    // Better than the raw engine is no regression: streaming's VAD-cut edges can beat its whole-file decode.
    expect(streamed - raw).toBeLessThanOrEqual(3);
  });
});

/** How far one WAV is from another: its length, and how many 16-bit samples differ from the other's. */
function differences(wav: Buffer, other: Buffer | undefined): { bytes: number; differingSamples: number } {
  let differing = 0;
  for (let at = 0; at + 1 < wav.length; at += 2) {
    if (other === undefined || at + 1 >= other.length || wav.readInt16LE(at) !== other.readInt16LE(at)) differing += 1;
  }
  return { bytes: wav.length, differingSamples: differing };
}

/*
 * A-law's accuracy, and both codecs on two channels, follow from identity rather than from more engine passes: the
 * provider gets exactly the samples it gets when the same audio, expanded by sox, comes as 16-bit PCM (the 8 kHz
 * pcm_s16le path, which test/streaming-local.e2e-spec.ts holds to the raw engine).
 */
describe('telephony audio reaches the provider as exactly its samples (the fake OpenAI-compatible provider)', () => {
  const { fake, app } = withFakeProvider({});

  /** The WAV of every request the provider got for one stream, the stream alone on the server. */
  async function providerAudio(audio: Buffer, format: StreamedFormat): Promise<Buffer[]> {
    fake.reset();
    await streamChecked(app(), audio, format, 7);
    return fake.seen.map((request) => request.file!.bytes);
  }

  it.each([
    { encoding: 'pcm_alaw', sox: 'a-law', channels: 2 },
    { encoding: 'pcm_mulaw', sox: 'mu-law', channels: 2 },
  ] satisfies Telephony[])(
    '$encoding on $channels channels: the same utterances, sample for sample, as sox’s expansion sent as 16-bit PCM',
    async (format) => {
      const recorded = session(librivoxSamples().slice(0, 2).map(narrowSample));
      // Both streams alone on the server (the VAD batches concurrent streams, which moves the last bits of its
      // output), in the same frames (2 bytes a frame either way), so any difference is our decoding.
      const telephony = await providerAudio(companded(recorded.pcm, format), format);
      const linear = await providerAudio(expanded(companded(recorded.pcm, format, 1), format), {
        encoding: 'pcm_s16le',
        channels: 1,
      });
      expect(telephony.length).toBeGreaterThanOrEqual(2);
      // Compared as a summary per utterance: a deep diff of two megabytes of WAV costs minutes of CPU.
      expect(telephony.map((wav, i) => differences(wav, linear[i]))).toEqual(
        linear.map((wav) => ({ bytes: wav.length, differingSamples: 0 })),
      );
    },
  );
});
