import type { VadBatcher } from './vad-batcher';
import { FRAME_SAMPLES, type VadStreamState } from './vad-backend';
import { Segmenter, type SegmenterSettings, type SpeechSpan } from './segmenter';

export interface SpeechSegment extends SpeechSpan {
  /** The span's audio (16 kHz mono), when asked for. */
  samples?: Float32Array;
}

/** Audio from `base` on, growing at the end and dropped from the front when no span can need it. */
class RetainedAudio {
  private data = new Float32Array(16_000 * 4);
  private length = 0;
  base = 0;

  append(block: Float32Array): void {
    if (this.length + block.length > this.data.length) {
      const grown = new Float32Array(Math.max(this.data.length * 2, this.length + block.length));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(block, this.length);
    this.length += block.length;
  }

  slice(start: number, end: number): Float32Array {
    return this.data.slice(Math.max(0, start - this.base), Math.max(0, Math.min(this.length, end - this.base)));
  }

  dropBefore(at: number): void {
    const drop = Math.min(this.length, at - this.base);
    if (drop < 16_000) return; // compact in steps of a second or more
    this.data.copyWithin(0, drop, this.length);
    this.length -= drop;
    this.base += drop;
  }
}

/**
 * The speech spans of a recording, as it is decoded: frames of 512 samples through the shared batcher (this
 * stream's state kept here), the segmenter over their probabilities, and — with `withAudio` — each span's samples.
 * Time spent waiting for inference is added to `timing.vadMs`.
 */
export async function* speechSegments(
  blocks: AsyncIterable<Float32Array>,
  batcher: VadBatcher,
  state: VadStreamState,
  settings: SegmenterSettings,
  withAudio: boolean,
  timing: { vadMs: number } = { vadMs: 0 },
): AsyncGenerator<SpeechSegment> {
  const segmenter = new Segmenter(settings);
  const audio = new RetainedAudio();
  const frame = new Float32Array(FRAME_SAMPLES);
  let filled = 0;
  let total = 0;
  const emit = (open: SpeechSpan): SpeechSegment => {
    const span = { ...open, end: Math.min(open.end, total) };
    return withAudio ? { ...span, samples: audio.slice(span.start, span.end) } : span;
  };
  for await (const block of blocks) {
    if (withAudio) audio.append(block);
    total += block.length;
    let offset = 0;
    while (offset < block.length) {
      const take = Math.min(FRAME_SAMPLES - filled, block.length - offset);
      frame.set(block.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled < FRAME_SAMPLES) break;
      filled = 0;
      const submitted = performance.now();
      const probability = await batcher.submit({ samples: frame, state });
      timing.vadMs += performance.now() - submitted;
      for (const event of segmenter.push(probability)) {
        if (event.type === 'speech-end') yield emit(event.span);
      }
      if (withAudio) audio.dropBefore(segmenter.neededFrom);
    }
  }
  if (filled > 0) {
    // The last partial frame, padded with silence, so speech that runs to the end is seen.
    frame.fill(0, filled);
    const probability = await batcher.submit({ samples: frame, state });
    for (const event of segmenter.push(probability)) if (event.type === 'speech-end') yield emit(event.span);
  }
  for (const event of segmenter.finish(total)) if (event.type === 'speech-end') yield emit(event.span);
}
