import { chmodSync, cpSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusSentences } from './support/speech';
import {
  pinkNoise,
  RATE,
  segmentScores,
  type SegmentScores,
  sequence,
  speak,
  type Span,
  truthSpans,
  whiteNoise,
  withDistractors,
  withNoise,
} from './support/mixes';
import {
  EnergyVadBackend,
  findTenVadInstall,
  FRAME_SAMPLES,
  segmenterSettings,
  SileroVadBackend,
  speechSegments,
  TenVadBackend,
  type VadBackend,
  VadBatcher,
} from '@asr/vad';

jest.setTimeout(120_000);

/** A copy of a package directory with every write bit cleared (root still could write: the listing is checked). */
function readOnlyCopy(directory: string): string {
  const copy = join(mkdtempSync(join(tmpdir(), 'ten-vad-')), 'package');
  cpSync(directory, copy, { recursive: true });
  for (const name of readdirSync(copy)) chmodSync(join(copy, name), 0o444);
  chmodSync(copy, 0o555);
  return copy;
}

function listing(directory: string): string[] {
  return readdirSync(directory).map((name) => `${name} ${statSync(join(directory, name)).mtimeMs}`);
}

const SETTINGS = segmenterSettings({
  threshold: 0.5,
  negThreshold: 0.35,
  minSilenceMs: 300,
  minSpeechMs: 250,
  speechPadMs: 200,
  maxSpeechS: 30,
});

async function* blocksOf(signal: Float32Array, size = 4000): AsyncGenerator<Float32Array> {
  for (let i = 0; i < signal.length; i += size) {
    await Promise.resolve();
    yield signal.subarray(i, i + size);
  }
}

/** Lanes as uploads run them by default (VAD_UPLOAD_LANES), and 1: frame by frame, as a live stream runs. */
const UPLOAD_LANES = 16;

async function detect(
  backend: VadBackend,
  signal: Float32Array,
  { batcher = new VadBatcher(backend, 32), lanes = 1 }: { batcher?: VadBatcher; lanes?: number } = {},
): Promise<Span[]> {
  const spans: Span[] = [];
  const options = { settings: SETTINGS, withAudio: false, lanes };
  for await (const s of speechSegments(blocksOf(signal), batcher, options)) spans.push(s);
  return spans;
}

/** Frame `f` of `signal`, counted from its first second (where speech may already be). */
const frameOf = (signal: Float32Array, f: number): Float32Array =>
  signal.slice(RATE + f * FRAME_SAMPLES, RATE + (f + 1) * FRAME_SAMPLES);

describe('VAD', () => {
  let silero: SileroVadBackend;
  /** Silero's 8 kHz mode behind the half-band decimator (VAD_SAMPLE_RATE=8000): held to the same figures. */
  let silero8k: SileroVadBackend;
  const at = (rate: number): SileroVadBackend => (rate === 8000 ? silero8k : silero);
  let clean: Float32Array;
  let truth: Span[];
  let mixes: Record<string, Float32Array>;
  beforeAll(async () => {
    silero = await SileroVadBackend.load();
    silero8k = await SileroVadBackend.load(undefined, undefined, 8_000);
    const built = sequence(speak(corpusSentences().slice(0, 8)));
    clean = built.clean;
    truth = truthSpans(clean);
    const pink = pinkNoise(clean.length, 11);
    const white = whiteNoise(clean.length, 12);
    mixes = {
      clean,
      'clean + tones and bursts': withDistractors(clean, truth, built.gaps),
      'pink SNR 20': withNoise(clean, truth, pink, 20),
      'white SNR 20': withNoise(clean, truth, white, 20),
      'pink SNR 10': withNoise(clean, truth, pink, 10),
      'white SNR 10': withNoise(clean, truth, white, 10),
      'pink SNR 0': withNoise(clean, truth, pink, 0),
      'white SNR 0': withNoise(clean, truth, white, 0),
    };
  });
  afterAll(async () => {
    await silero.close();
    await silero8k.close();
  });

  /** Scores per mix, printed as a table under `label`. */
  async function scoreMixes(label: string, backend: VadBackend, lanes = 1): Promise<Map<string, SegmentScores>> {
    const all = new Map<string, SegmentScores>();
    const rows: string[] = [];
    for (const [name, signal] of Object.entries(mixes)) {
      const scores = segmentScores(truth, await detect(backend, signal, { lanes }));
      all.set(name, scores);
      rows.push(
        `${name}: F1 ${scores.f1.toFixed(3)} (found ${scores.found}/${truth.length}, precision ${scores.precision.toFixed(2)})`,
      );
    }
    console.log(`${label}\n${rows.join('\n')}`);
    return all;
  }

  it('builds a mix with one truth span per utterance', () => {
    expect(truth).toHaveLength(8);
  });

  it.each([
    ['frame by frame (streams)', 16_000, 1],
    ['in lanes (uploads)', 16_000, UPLOAD_LANES],
    ['frame by frame (streams)', 8_000, 1],
    ['in lanes (uploads)', 8_000, UPLOAD_LANES],
  ])(
    'silero %s at %s Hz: segment F1 ≥ 0.95 on clean, SNR 20 and SNR 10 (distractors included); every utterance found at SNR 0',
    async (label, rate, lanes) => {
      for (const [name, scores] of await scoreMixes(`silero VAD at ${rate} Hz ${label}`, at(rate), lanes)) {
        if (name.includes('SNR 0')) expect(scores.recall).toBe(1);
        else expect(scores.f1).toBeGreaterThanOrEqual(0.95);
      }
    },
  );

  it.each([16_000, 8_000])(
    'uploads in lanes span several lanes here, and find the same utterances as frame by frame (%s Hz)',
    async (rate) => {
      const signal = mixes['pink SNR 10']!;
      expect(signal.length / RATE).toBeGreaterThan(2 * 8);
      const sequential = await detect(at(rate), signal);
      const laned = await detect(at(rate), signal, { lanes: UPLOAD_LANES });
      expect(laned).toHaveLength(sequential.length);
      laned.forEach((span, i) => {
        expect(Math.abs(span.start - sequential[i]!.start)).toBeLessThanOrEqual(2 * FRAME_SAMPLES);
        expect(Math.abs(span.end - sequential[i]!.end)).toBeLessThanOrEqual(2 * FRAME_SAMPLES);
      });
    },
  );

  it('energy (the fallback): figures per mix, and clean speech found', async () => {
    const scores = await scoreMixes('energy VAD', new EnergyVadBackend());
    expect(scores.get('clean')!.f1).toBeGreaterThanOrEqual(0.9);
  });

  it('ten (opt-in) loads from a read-only install without writing to it; figures per mix, clean speech found', async () => {
    const install = readOnlyCopy(findTenVadInstall()!);
    const before = listing(install);
    const ten = await TenVadBackend.load(install, 0.5);
    try {
      expect(listing(install)).toEqual(before);
      const scores = await scoreMixes('ten VAD', ten);
      expect(scores.get('clean')!.f1).toBeGreaterThanOrEqual(0.9);
    } finally {
      await ten.close();
    }
  });

  it.each([16_000, 8_000])(
    'batched and unbatched inference give the same probabilities (within 1e-6, %s Hz)',
    async (rate) => {
      const silero = at(rate);
      const streams = Object.values(mixes).map(() => silero.newState());
      const alone = Object.values(mixes).map(() => silero.newState());
      const signals = Object.values(mixes);
      let worst = 0;
      for (let f = 0; f < 200; f += 1) {
        const frames = signals.map((s, i) => ({ samples: frameOf(s, f), state: streams[i]! }));
        const batched = await silero.infer(frames);
        for (let i = 0; i < signals.length; i += 1) {
          const [single] = await silero.infer([{ samples: frameOf(signals[i]!, f), state: alone[i]! }]);
          worst = Math.max(worst, Math.abs(single! - batched[i]!));
        }
      }
      expect(worst).toBeLessThanOrEqual(1e-6);
    },
  );

  it.each([16_000, 8_000])(
    'two batches in flight on one backend at once give what each gives alone (%s Hz)',
    async (rate) => {
      // The backend reuses one set of buffers; a batch that overlaps another must not share them.
      const silero = at(rate);
      const signals = Object.values(mixes).slice(0, 4);
      const together = [signals.map(() => silero.newState()), signals.map(() => silero.newState())];
      const alone = [signals.map(() => silero.newState()), signals.map(() => silero.newState())];
      for (let f = 0; f < 20; f += 1) {
        // Half the streams in one batch, half in another, submitted in the same tick.
        const batches = [signals.slice(0, 2), signals.slice(2)].map((group, g) =>
          group.map((s, i) => ({ samples: frameOf(s, f), state: together[g]![i]! })),
        );
        const [a, b] = await Promise.all(batches.map((frames) => silero.infer(frames)));
        const soloA = await silero.infer(
          signals.slice(0, 2).map((s, i) => ({ samples: frameOf(s, f), state: alone[0]![i]! })),
        );
        const soloB = await silero.infer(
          signals.slice(2).map((s, i) => ({ samples: frameOf(s, f), state: alone[1]![i]! })),
        );
        expect(Array.from(a!)).toEqual(Array.from(soloA));
        expect(Array.from(b!)).toEqual(Array.from(soloB));
      }
    },
  );

  it.each([16_000, 8_000])(
    'two interleaved streams on one batcher give the same segments as each alone (%s Hz)',
    async (rate) => {
      const silero = at(rate);
      const a = mixes['pink SNR 10']!;
      const b = mixes['clean + tones and bursts']!;
      const aloneA = await detect(silero, a);
      const aloneB = await detect(silero, b);
      const batcher = new VadBatcher(silero, 32);
      const [togetherA, togetherB] = await Promise.all([
        detect(silero, a, { batcher }),
        detect(silero, b, { batcher }),
      ]);
      expect(togetherA).toEqual(aloneA);
      expect(togetherB).toEqual(aloneB);
    },
  );

  it('refuses a model file whose sha256 differs', async () => {
    await expect(SileroVadBackend.load(undefined, '0'.repeat(64))).rejects.toThrow(/sha256/);
  });
});
