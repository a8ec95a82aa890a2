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

  write(samples: Float32Array): void {
    const { data } = this;
    // Only the tail can survive a write longer than the buffer.
    const tail = samples.length > data.length ? samples.subarray(samples.length - data.length) : samples;
    this.written += samples.length - tail.length;
    const at = this.written % data.length;
    // Most writes (a VAD frame) do not wrap: one copy, without a view.
    if (at + tail.length <= data.length) data.set(tail, at);
    else {
      const first = data.length - at;
      data.set(tail.subarray(0, first), at);
      data.set(tail.subarray(first), 0);
    }
    this.written += tail.length;
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
