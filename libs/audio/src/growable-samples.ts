import { TARGET_SAMPLE_RATE } from './pcm';

/**
 * Samples appended at the end of one buffer that doubles as it fills, and can drop from its front. Dropping only
 * moves a start index; the held samples are moved to the front when an append needs the room, so a buffer that
 * drops a second at a time costs O(1) per sample, not a copy of everything held at every drop.
 */
export class GrowableSamples {
  private data: Float32Array;
  private start = 0;
  private end = 0;

  /**
   * `initial`: the capacity in samples (a second of audio unless told), or the buffer to start in. `allocate`: where
   * a larger buffer comes from when it grows (a pool's; it may give more than asked).
   */
  constructor(
    initial: number | Float32Array = TARGET_SAMPLE_RATE,
    private readonly allocate: (samples: number) => Float32Array = (samples) => new Float32Array(samples),
  ) {
    this.data = typeof initial === 'number' ? new Float32Array(Math.max(1, initial)) : initial;
  }

  get length(): number {
    return this.end - this.start;
  }

  append(samples: Float32Array): void {
    if (this.end + samples.length > this.data.length) this.makeRoom(samples.length);
    this.data.set(samples, this.end);
    this.end += samples.length;
  }

  /**
   * A view of everything held; valid until the next append or drop. Without drops it stays valid for good: an
   * append writes past what is held, and a grow copies into a new buffer and leaves the old one untouched (what
   * UtteranceAudio's readers rely on, until it gives its pooled buffers back).
   */
  get samples(): Float32Array {
    return this.data.subarray(this.start, this.end);
  }

  /** A copy of [from, to), clamped to what is held. */
  slice(from: number, to: number): Float32Array {
    const held = this.length;
    return this.data.slice(this.start + Math.max(0, from), this.start + Math.max(0, Math.min(held, to)));
  }

  /** Forgets the first `count` samples. */
  dropFront(count: number): void {
    this.start += Math.min(this.length, count);
    if (this.start === this.end) this.start = this.end = 0;
  }

  /** Moves what is held to the front, into a buffer twice as large when moving alone would not make the room. */
  private makeRoom(incoming: number): void {
    const held = this.length;
    const needed = held + incoming;
    if (needed <= this.data.length) this.data.copyWithin(0, this.start, this.end);
    else {
      const grown = this.allocate(Math.max(this.data.length * 2, needed));
      grown.set(this.data.subarray(this.start, this.end));
      this.data = grown;
    }
    this.start = 0;
    this.end = held;
  }
}
