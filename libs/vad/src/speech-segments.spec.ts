import { TARGET_SAMPLE_RATE } from '@asr/audio';
import { ScriptedVadBackend, scriptedAudio } from '../../../test/support/scripted-vad';
import { segmenterSettings } from './segmenter';
import { type SpeechSegment, speechSegments } from './speech-segments';
import { FRAME_SAMPLES } from './vad-backend';
import { VadBatcher } from './vad-batcher';

const SETTINGS = segmenterSettings({
  threshold: 0.5,
  negThreshold: 0.35,
  minSilenceMs: 100,
  minSpeechMs: 64,
  speechPadMs: 64,
  maxSpeechS: 30,
});

/** Frames: 20 of silence, 10 of speech at 0.9, 30 of silence, 8 of speech at 0.7, 20 of silence. */
const SCRIPT = [
  ...Array<number>(20).fill(0.05),
  ...Array<number>(10).fill(0.9),
  ...Array<number>(30).fill(0.1),
  ...Array<number>(8).fill(0.7),
  ...Array<number>(20).fill(0.05),
];

async function segmentsOf(lanes: number, withProbabilities: boolean): Promise<SpeechSegment[]> {
  const backend = new ScriptedVadBackend();
  const batcher = new VadBatcher(backend, 64);
  const audio = scriptedAudio(SCRIPT);
  async function* blocks(): AsyncGenerator<Float32Array> {
    // Blocks of 0.1 s, not aligned with frames, as a decoder hands them on (a turn of the event loop each).
    for (let at = 0; at < audio.length; at += TARGET_SAMPLE_RATE / 10) {
      await Promise.resolve();
      yield audio.subarray(at, at + TARGET_SAMPLE_RATE / 10);
    }
  }
  const out: SpeechSegment[] = [];
  for await (const segment of speechSegments(blocks(), batcher, {
    settings: SETTINGS,
    withAudio: false,
    withProbabilities,
    lanes,
  }))
    out.push(segment);
  expect(backend.openStates).toBe(0);
  return out;
}

describe('speechSegments frame probabilities', () => {
  it.each([1, 4])('gives each span the probability of every frame it overlaps, in order (%i lanes)', async (lanes) => {
    const segments = await segmentsOf(lanes, true);
    expect(segments).toHaveLength(2);
    for (const segment of segments) {
      const first = Math.floor(segment.start / FRAME_SAMPLES);
      const last = Math.ceil(segment.end / FRAME_SAMPLES);
      expect(Array.from(segment.probabilities!)).toEqual(SCRIPT.slice(first, last).map((p) => Math.fround(p)));
    }
    // The padded first span starts two frames before its speech: silence, then speech.
    expect(segments[0]!.probabilities![0]).toBeCloseTo(0.05, 5);
    expect(Math.max(...segments[1]!.probabilities!)).toBeCloseTo(0.7, 5);
  });

  it('leaves them out unless asked', async () => {
    const segments = await segmentsOf(1, false);
    expect(segments).toHaveLength(2);
    expect(segments.every((s) => s.probabilities === undefined)).toBe(true);
  });
});
