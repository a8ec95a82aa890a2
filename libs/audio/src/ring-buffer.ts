/**
 * The most recent `capacity` samples of an unbounded stream, addressed by absolute sample index (0 = the first
 * sample ever written). Fixed memory: writing never allocates.
 */
export class RingBuffer {
  private readonly data: Float32Array;
  private written = 0;

  constructor(readonly capacity: number) {
    this.data = new Float32Array(Math.max(1, capacity));
  }

  /** Absolute index one past the last sample written. */
  get end(): number {
    return this.written;
  }

  /** Absolute index of the oldest sample still held. */
  get start(): number {
    return Math.max(0, this.written - this.data.length);
  }

  /** Copied sample by sample, not through views: this runs for every VAD frame of every stream. */
  write(samples: Float32Array): void {
    const { data } = this;
    // Only the tail can survive a write longer than the buffer.
    const skip = Math.max(0, samples.length - data.length);
    this.written += skip;
    for (let i = skip, at = this.written % data.length; i < samples.length; i += 1) {
      data[at] = samples[i]!;
      at = at + 1 === data.length ? 0 : at + 1;
    }
    this.written += samples.length - skip;
  }

  /** A copy of samples [from, to), clamped to what is still held. */
  read(from: number, to: number = this.written): Float32Array {
    const start = Math.max(from, this.start);
    const end = Math.min(to, this.written);
    const out = new Float32Array(Math.max(0, end - start));
    for (let copied = 0; copied < out.length;) {
      const at = (start + copied) % this.data.length;
      const run = Math.min(out.length - copied, this.data.length - at);
      out.set(this.data.subarray(at, at + run), copied);
      copied += run;
    }
    return out;
  }
}
