import { TARGET_SAMPLE_RATE } from '@asr/audio';
import type { FinishedChunk } from './chunk-merger';
import { ResumedChunks } from './resumed-chunks';
import type { SpeechChunk } from './speech-chunks';

function chunkAt(originalStart: number, duration: number): SpeechChunk {
  return {
    samples: new Float32Array(Math.round(duration * TARGET_SAMPLE_RATE)),
    pieces: [{ chunkStart: 0, originalStart, duration }],
  };
}

function finished(start: number, end: number, text: string): FinishedChunk {
  return { start, end, language: 'en', segments: [{ id: 0, start, end, text }] };
}

describe('ResumedChunks', () => {
  it('hands out finished chunks in order while the cuts match (to the saved millisecond)', () => {
    const resumed = new ResumedChunks([finished(1, 3, 'a'), finished(4, 6.5, 'b')]);
    expect(resumed.take(chunkAt(1.0004, 1.9996))?.segments[0]?.text).toBe('a');
    expect(resumed.take(chunkAt(4, 2.5))?.segments[0]?.text).toBe('b');
    expect(resumed.take(chunkAt(7, 1))).toBeUndefined();
  });

  it('ends the reuse at the first chunk cut differently, even if a later one would match', () => {
    const resumed = new ResumedChunks([finished(1, 3, 'a'), finished(4, 6, 'b')]);
    expect(resumed.take(chunkAt(1, 2.5))).toBeUndefined();
    expect(resumed.take(chunkAt(4, 2))).toBeUndefined();
  });

  it("does not change the caller's list", () => {
    const saved = [finished(1, 3, 'a')];
    new ResumedChunks(saved).take(chunkAt(1, 2));
    expect(saved).toHaveLength(1);
  });
});
