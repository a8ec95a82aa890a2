import { Segmenter, segmenterSettings, type SegmenterEvent } from './segmenter';
import { FRAME_SAMPLES } from './vad-backend';

const FRAME_MS = (FRAME_SAMPLES / 16_000) * 1000; // 32 ms

function run(
  probabilities: number[],
  overrides: Partial<Parameters<typeof segmenterSettings>[0]> = {},
): SegmenterEvent[] {
  const segmenter = new Segmenter(
    segmenterSettings({
      threshold: 0.5,
      negThreshold: 0.35,
      minSilenceMs: 96,
      minSpeechMs: 96,
      speechPadMs: 64,
      maxSpeechS: 30,
      ...overrides,
    }),
  );
  const events = probabilities.flatMap((p) => segmenter.push(p));
  return [...events, ...segmenter.finish(probabilities.length * FRAME_SAMPLES)];
}

const frames = (n: number, p: number): number[] => Array<number>(n).fill(p);
const ends = (events: SegmenterEvent[]) => events.flatMap((e) => (e.type === 'speech-end' ? [e.span] : []));

describe('Segmenter', () => {
  it('starts at the threshold, ends after the minimum silence, pads both sides (sample-accurate)', () => {
    const events = run([...frames(10, 0.1), ...frames(10, 0.9), ...frames(5, 0.1)]);
    expect(events[0]).toEqual({ type: 'speech-start', at: 10 * FRAME_SAMPLES - 2 * FRAME_SAMPLES });
    expect(ends(events)).toEqual([
      { start: 8 * FRAME_SAMPLES, end: 22 * FRAME_SAMPLES, probability: expect.any(Number) as number },
    ]);
    expect(FRAME_MS).toBe(32);
  });

  it('keeps speech through dips above the negative threshold and short pauses', () => {
    const events = run([...frames(5, 0.9), 0.4, 0.4, 0.1, 0.1, ...frames(5, 0.9), ...frames(6, 0.1)]);
    expect(ends(events)).toHaveLength(1);
  });

  it('drops speech shorter than the minimum', () => {
    expect(ends(run([...frames(5, 0.1), 0.9, 0.9, ...frames(6, 0.1)]))).toEqual([]);
  });

  it('never lets padding overlap the previous span', () => {
    const spans = ends(
      run([...frames(5, 0.9), ...frames(3, 0.1), ...frames(5, 0.9), ...frames(5, 0.1)], { speechPadMs: 200 }),
    );
    expect(spans).toHaveLength(2);
    expect(spans[1]!.start).toBeGreaterThanOrEqual(spans[0]!.end);
  });

  it('cuts an utterance reaching the maximum at the least speech-like frame of its last second', () => {
    // 1.6 s of speech with a dip at 1.0 s; at most 1.28 s (40 frames) per span.
    const probabilities = frames(50, 0.9);
    probabilities[31] = 0.4;
    const spans = ends(
      run([...probabilities, ...frames(5, 0.1)], { maxSpeechS: (40 * FRAME_SAMPLES) / 16_000, speechPadMs: 0 }),
    );
    expect(spans[0]!.end).toBe(31 * FRAME_SAMPLES);
    expect(spans[1]!.start).toBe(31 * FRAME_SAMPLES);
  });

  it('closes speech that runs to the end of the audio', () => {
    const spans = ends(run([...frames(3, 0.1), ...frames(10, 0.9)]));
    expect(spans).toEqual([
      { start: 1 * FRAME_SAMPLES, end: 13 * FRAME_SAMPLES, probability: expect.any(Number) as number },
    ]);
  });
});
