/** Samples appended at the end of one buffer that doubles as it fills, and can drop from its front. */
export class GrowableSamples {
  private data: Float32Array;
  private used = 0;

  constructor(initialCapacity = 16_000) {
    this.data = new Float32Array(Math.max(1, initialCapacity));
  }

  get length(): number {
    return this.used;
  }

  append(samples: Float32Array): void {
    if (this.used + samples.length > this.data.length) {
      const grown = new Float32Array(Math.max(this.data.length * 2, this.used + samples.length));
      grown.set(this.data.subarray(0, this.used));
      this.data = grown;
    }
    this.data.set(samples, this.used);
    this.used += samples.length;
  }

  /** A view of everything held; valid until the next append or drop. */
  get samples(): Float32Array {
    return this.data.subarray(0, this.used);
  }

  /** A copy of [from, to), clamped to what is held. */
  slice(from: number, to: number): Float32Array {
    return this.data.slice(Math.max(0, from), Math.max(0, Math.min(this.used, to)));
  }

  /** Forgets the first `count` samples (moving the rest to the front). */
  dropFront(count: number): void {
    const drop = Math.min(this.used, count);
    this.data.copyWithin(0, drop, this.used);
    this.used -= drop;
  }
}
