import {
  pinkNoise,
  random,
  RATE,
  segmentScores,
  sequence,
  speak,
  type Span,
  truthSpans,
  withNoise,
} from './support/mixes';
import { corpusSentences } from './support/speech';
import {
  type SegmenterSettings,
  segmenterSettings,
  SileroVadBackend,
  speechSegments,
  StreamVad,
  type StreamVadEvent,
  VadBatcher,
} from '@asr/vad';

jest.setTimeout(60_000);

const SETTINGS = segmenterSettings({
  threshold: 0.5,
  negThreshold: 0.35,
  minSilenceMs: 300,
  minSpeechMs: 250,
  speechPadMs: 400,
  maxSpeechS: 30,
});
const LOOKBACK = RATE; // AUDIO_LOOKBACK_DURATION=1

async function* blocksOf(signal: Float32Array): AsyncGenerator<Float32Array> {
  await Promise.resolve();
  yield signal;
}

interface Utterance extends Span {
  samples: Float32Array;
}

/** Streams `signal` in blocks of random sizes (1 to 5000 samples) and checks the event grammar as it goes. */
async function stream(
  vad: StreamVad,
  signal: Float32Array,
  seed = 7,
  between?: (position: number) => StreamVadEvent[] | undefined,
): Promise<Utterance[]> {
  const rand = random(seed);
  const utterances: Utterance[] = [];
  let open: number | undefined;
  const check = (events: readonly StreamVadEvent[]): void => {
    for (const event of events) {
      if (event.type === 'speech-start') {
        expect(open).toBeUndefined();
        open = event.start;
      } else {
        expect(event.span.start).toBe(open);
        utterances.push({ start: event.span.start, end: event.span.end, samples: event.samples });
        open = undefined;
      }
    }
  };
  for (let at = 0; at < signal.length;) {
    const size = 1 + Math.floor(rand() * 5000);
    check(await vad.push(signal.subarray(at, at + size)));
    at += size;
    check(between?.(at) ?? []);
  }
  check(await vad.finish());
  expect(open).toBeUndefined();
  vad.release();
  return utterances;
}

describe('StreamVad (a live stream: blocks of any size, one frame at a time)', () => {
  let silero: SileroVadBackend;
  let batcher: VadBatcher;
  let signal: Float32Array;
  let truth: Span[];
  beforeAll(async () => {
    silero = await SileroVadBackend.load();
    batcher = new VadBatcher(silero, 32);
    const { clean } = sequence(speak(corpusSentences().slice(0, 6)), 3);
    truth = truthSpans(clean);
    signal = withNoise(clean, truth, pinkNoise(clean.length, 5), 20);
  });
  afterAll(() => silero.close());

  const newVad = (settings: SegmenterSettings = SETTINGS): StreamVad => new StreamVad(batcher, settings, LOOKBACK);

  it('finds the utterances an upload finds, each with exactly its padded audio (first words from the lookback)', async () => {
    const utterances = await stream(newVad(), signal);
    const upload: Span[] = [];
    const options = { settings: SETTINGS, withAudio: false, lanes: 1 };
    for await (const span of speechSegments(blocksOf(signal), batcher, options)) upload.push(span);
    expect(utterances.map((u) => u.start)).toEqual(upload.map((u) => u.start));
    // A live utterance ends when its silence is heard (VAD_MIN_SILENCE_MS), not a whole pad later.
    const lag = SETTINGS.padSamples - SETTINGS.minSilenceSamples + 512;
    utterances.forEach((u, i) => {
      expect(u.end).toBeLessThanOrEqual(upload[i]!.end);
      expect(u.end).toBeGreaterThanOrEqual(upload[i]!.end - lag);
    });
    expect(segmentScores(truth, utterances).f1).toBeGreaterThanOrEqual(0.95);
    for (const u of utterances) {
      expect(Array.from(u.samples)).toEqual(Array.from(signal.subarray(u.start, u.end)));
      // The pad reaches back before the speech the truth marks: nothing of the onset is lost.
      const spoken = truth.find((t) => t.end > u.start && t.start < u.end)!;
      expect(u.start).toBeLessThanOrEqual(spoken.start);
    }
  });

  it('two streams with different settings share one batcher and keep their own', async () => {
    const strict = segmenterSettings({
      threshold: 0.5,
      negThreshold: 0.35,
      minSilenceMs: 5000,
      minSpeechMs: 250,
      speechPadMs: 400,
      maxSpeechS: 30,
    });
    const [normal, merged] = await Promise.all([stream(newVad(), signal, 1), stream(newVad(strict), signal, 2)]);
    expect(normal.length).toBe(truth.length);
    expect(merged.length).toBeLessThan(normal.length);
  });

  it('configure mid-stream applies from then on; finalize ends the utterance in progress at once', async () => {
    const vad = newVad();
    const middle = truth[2]!.start + Math.round((truth[2]!.end - truth[2]!.start) / 2);
    let finalized = false;
    const utterances = await stream(vad, signal, 9, (position) => {
      if (finalized || position < middle) return undefined;
      finalized = true;
      vad.configure({ ...SETTINGS, minSilenceSamples: 10 * RATE });
      return vad.finalize();
    });
    const cut = utterances.find((u) => u.end >= middle && u.end <= middle + 5000);
    expect(cut).toBeDefined();
    expect(utterances.filter((u) => u.end <= cut!.start)).toHaveLength(2);
    // After the cut, silences shorter than 10 s no longer end speech: the rest of the talk is one utterance.
    expect(utterances.filter((u) => u.start >= cut!.end)).toHaveLength(1);
  });

  it('splits an utterance at the length limit with no gap and no overlap', async () => {
    const short = { ...SETTINGS, maxSpeechSamples: 1.5 * RATE };
    const utterances = await stream(newVad(short), signal, 4);
    const long = truth.filter((t) => t.end - t.start > 2 * RATE);
    expect(long.length).toBeGreaterThan(0);
    expect(utterances.length).toBeGreaterThan(truth.length);
    for (let i = 1; i < utterances.length; i += 1) {
      expect(utterances[i]!.start).toBeGreaterThanOrEqual(utterances[i - 1]!.end);
      expect(utterances[i]!.end - utterances[i]!.start).toBeLessThanOrEqual(1.5 * RATE + SETTINGS.padSamples + 1024);
    }
    const contiguous = utterances.filter((u, i) => i > 0 && u.start === utterances[i - 1]!.end);
    expect(contiguous.length).toBeGreaterThan(0);
  });

  it('announces nothing for a blip shorter than the minimum speech length', async () => {
    const blip = new Float32Array(3 * RATE);
    const tone = speak(corpusSentences().slice(0, 1))[0]!.subarray(RATE / 2, RATE / 2 + 0.15 * RATE);
    blip.set(tone, RATE);
    expect(await stream(newVad(), blip)).toEqual([]);
  });
});
