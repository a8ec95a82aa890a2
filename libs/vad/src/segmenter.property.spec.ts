import fc from 'fast-check';
import {
  Segmenter,
  type SegmenterEvent,
  segmenterSettings,
  type SegmenterSettingsMs,
  type SpeechSpan,
} from './segmenter';
import { FRAME_SAMPLES } from './vad-backend';

/** Cases per property (issue 9 asks for at least 10,000 per fuzzed target). */
const RUNS = 10_000;

const settingsArb = fc
  .record({
    threshold: fc.double({ min: 0.05, max: 0.95, noNaN: true }),
    gap: fc.double({ min: 0, max: 0.5, noNaN: true }),
    minSilenceMs: fc.integer({ min: 0, max: 1000 }),
    minSpeechMs: fc.integer({ min: 0, max: 1000 }),
    speechPadMs: fc.integer({ min: 0, max: 300 }),
    maxSpeechS: fc.double({ min: 1, max: 8, noNaN: true }),
  })
  .map(({ gap, ...rest }) => ({ ...rest, negThreshold: Math.max(0, rest.threshold - gap) }));

/** Frame probabilities as runs (speech and pauses come in stretches), up to about 25 s of audio. */
const probabilitiesArb = fc
  .array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 120 })), { maxLength: 12 })
  .map((runs) => runs.flatMap(([p, n]) => Array<number>(n).fill(p)));

/**
 * The padded-last-frame regression (fixed in df1436d) pinned as the first case of its property: random cases alone
 * met it in about half the runs. A 3-frame minimum is met by exactly 3 speech frames, so the span is kept (a stream
 * announced it); then the audio ends 1 sample into the last, padded frame.
 */
const paddedLastFrame: [SegmenterSettingsMs, number[], number] = [
  { threshold: 0.5, negThreshold: 0.35, minSilenceMs: 96, minSpeechMs: 96, speechPadMs: 64, maxSpeechS: 8 },
  [...Array<number>(5).fill(0.1), ...Array<number>(3).fill(0.9)],
  1,
];

/**
 * A split inside the pad of the span before (found by a random run on 2026-12-02): speech resumes one frame after a
 * span ended, so its span starts at that span's padded end, past its own speech start; the 1 s maximum then cut it
 * at its first frame, which left a first part of no length.
 */
const splitInsidePad: [SegmenterSettingsMs, number[]] = [
  { threshold: 0.05, minSilenceMs: 0, minSpeechMs: 0, speechPadMs: 64, maxSpeechS: 1, negThreshold: 0.05 },
  [0.05, 0, ...Array<number>(32).fill(0.05)],
];

function run(settings: ReturnType<typeof segmenterSettings>, probabilities: number[]): SegmenterEvent[] {
  const segmenter = new Segmenter(settings);
  const events = probabilities.flatMap((p) => segmenter.push(p));
  return [...events, ...segmenter.finish(probabilities.length * FRAME_SAMPLES)];
}

describe('Segmenter (property-based)', () => {
  it('ends every span it once reported as kept, even when the audio stops inside the last frame', () => {
    fc.assert(
      fc.property(
        settingsArb,
        probabilitiesArb,
        fc.integer({ min: 0, max: FRAME_SAMPLES - 1 }),
        (ms, probabilities, short) => {
          const segmenter = new Segmenter(segmenterSettings(ms));
          let owed = false;
          for (const p of probabilities) {
            for (const event of segmenter.push(p)) if (event.type === 'speech-end') owed = false;
            if (segmenter.kept) owed = true;
          }
          // The last frame was padded: the real audio ends up to a frame earlier.
          const total = Math.max(0, probabilities.length * FRAME_SAMPLES - short);
          const ends = segmenter.finish(total).filter((event) => event.type === 'speech-end');
          expect(ends.length).toBe(owed ? 1 : ends.length);
        },
      ),
      { numRuns: RUNS, examples: [paddedLastFrame] },
    );
  });

  it('gives ordered, non-overlapping spans of at least the minimum speech, each opened by its speech-start', () => {
    fc.assert(
      fc.property(settingsArb, probabilitiesArb, (ms, probabilities) => {
        const settings = segmenterSettings(ms);
        const events = run(settings, probabilities);
        const total = probabilities.length * FRAME_SAMPLES;
        let lastStart: number | undefined;
        let previous: SpeechSpan | undefined;
        for (const event of events) {
          if (event.type === 'speech-start') {
            expect(event.at).toBeGreaterThanOrEqual(previous?.end ?? 0);
            lastStart = event.at;
            continue;
          }
          const { span } = event;
          expect(lastStart).toBe(span.start);
          lastStart = undefined;
          expect(span.end).toBeGreaterThan(span.start);
          // A span that continues one cut at the maximum is speech already: it may be shorter than the minimum.
          if (span.start !== previous?.end)
            expect(span.end - span.start).toBeGreaterThanOrEqual(settings.minSpeechSamples);
          expect(span.end - span.start).toBeLessThanOrEqual(
            settings.maxSpeechSamples + 2 * settings.padSamples + FRAME_SAMPLES,
          );
          expect(span.end).toBeLessThanOrEqual(total + settings.padSamples);
          expect(span.start).toBeGreaterThanOrEqual(previous?.end ?? 0);
          expect(span.probability).toBeGreaterThanOrEqual(0);
          expect(span.probability).toBeLessThanOrEqual(1);
          previous = span;
        }
      }),
      { numRuns: RUNS, examples: [splitInsidePad] },
    );
  });

  it('finds nothing in audio that never reaches the threshold, and every span where speech is long enough', () => {
    fc.assert(
      fc.property(settingsArb, probabilitiesArb, (ms, probabilities) => {
        const settings = segmenterSettings(ms);
        const quiet = probabilities.map((p) => Math.min(p, settings.threshold - 1e-6));
        expect(run(settings, quiet)).toEqual([]);
        // One stretch of certain speech longer than the minimum, in silence: exactly one span covers it.
        const speechFrames = Math.ceil(settings.minSpeechSamples / FRAME_SAMPLES) + 2;
        const silenceFrames = Math.ceil(settings.minSilenceSamples / FRAME_SAMPLES) + 2;
        const clip = [
          ...Array<number>(5).fill(0),
          ...Array<number>(speechFrames).fill(1),
          ...Array<number>(silenceFrames).fill(0),
        ];
        const spans = run(settings, clip).flatMap((e) => (e.type === 'speech-end' ? [e.span] : []));
        expect(spans.length).toBeGreaterThanOrEqual(1);
        expect(spans[0]!.start).toBeLessThanOrEqual(5 * FRAME_SAMPLES);
      }),
      { numRuns: RUNS },
    );
  });
});
