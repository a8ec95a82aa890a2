import { Segmenter, segmenterSettings, type SegmenterEvent, type SegmenterSettingsMs } from './segmenter';
import { TARGET_SAMPLE_RATE } from '@asr/audio';
import { FRAME_SAMPLES } from './vad-backend';

const FRAME_MS = (FRAME_SAMPLES / TARGET_SAMPLE_RATE) * 1000; // 32 ms

const SETTINGS: SegmenterSettingsMs = {
  threshold: 0.5,
  negThreshold: 0.35,
  minSilenceMs: 96,
  minSpeechMs: 96,
  speechPadMs: 64,
  maxSpeechS: 30,
};

function run(probabilities: number[], overrides: Partial<SegmenterSettingsMs> = {}): SegmenterEvent[] {
  const segmenter = new Segmenter(segmenterSettings({ ...SETTINGS, ...overrides }));
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
      run([...probabilities, ...frames(5, 0.1)], {
        maxSpeechS: (40 * FRAME_SAMPLES) / TARGET_SAMPLE_RATE,
        speechPadMs: 0,
      }),
    );
    expect(spans[0]!.end).toBe(31 * FRAME_SAMPLES);
    expect(spans[1]!.start).toBe(31 * FRAME_SAMPLES);
  });

  it('ends a span it reported as kept when the audio stops inside the padded last frame (the soak lost such a final)', () => {
    // 96 ms minimum = exactly 3 frames: after the third speech frame the span is kept (a stream announces it), but
    // the real audio ends one sample into that frame's padding, so the speech measured at finish is 1 sample short.
    const segmenter = new Segmenter(segmenterSettings(SETTINGS));
    for (const p of [...frames(5, 0.1), ...frames(3, 0.9)]) segmenter.push(p);
    expect(segmenter.kept).toBe(true);
    const total = 8 * FRAME_SAMPLES - 1;
    expect(ends(segmenter.finish(total))).toEqual([
      { start: 3 * FRAME_SAMPLES, end: total, probability: expect.any(Number) as number },
    ]);
  });

  it('closes speech that runs to the end of the audio', () => {
    const spans = ends(run([...frames(3, 0.1), ...frames(10, 0.9)]));
    expect(spans).toEqual([
      { start: 1 * FRAME_SAMPLES, end: 13 * FRAME_SAMPLES, probability: expect.any(Number) as number },
    ]);
  });
});
