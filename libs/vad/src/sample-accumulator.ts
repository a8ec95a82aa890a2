import { FRAME_SAMPLES } from './vad-backend';

/**
 * Samples gathered into a fixed-size buffer from blocks of any length — one VAD frame, or a window of many:
 * `fill` takes what fits, `full` says the buffer is ready, `padToFrames` zero-fills a last partial frame.
 */
export class SampleAccumulator {
  readonly buffer: Float32Array;
  filled = 0;

  constructor(size: number) {
    this.buffer = new Float32Array(size);
  }

  get full(): boolean {
    return this.filled === this.buffer.length;
  }

  /**
   * Copies as much of `samples` from index `from` on as fits; returns how many. A block that fits whole is copied
   * without a view of it (most client frames).
   */
  fill(samples: Float32Array, from = 0): number {
    const take = Math.min(this.buffer.length - this.filled, samples.length - from);
    this.buffer.set(from === 0 && take === samples.length ? samples : samples.subarray(from, from + take), this.filled);
    this.filled += take;
    return take;
  }

  /** Zero-fills up to the next frame boundary; returns how many frames the buffer now holds. */
  padToFrames(): number {
    const frames = Math.ceil(this.filled / FRAME_SAMPLES);
    this.buffer.fill(0, this.filled, frames * FRAME_SAMPLES);
    return frames;
  }

  /** Starts over; the buffer keeps its contents until the next `fill`. */
  clear(): void {
    this.filled = 0;
  }
}
