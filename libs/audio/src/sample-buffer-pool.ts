/**
 * Float buffers of one size, given back and handed out again: the 4 s buffer each live utterance starts with. At a
 * few hundred streams that is tens of MB a second of ArrayBuffers living for seconds, which only a full collection
 * frees, and which set one off every few seconds (V8 counts their memory as external). Bounded: past `keep` free
 * buffers, one given back is left to the collector.
 */
export class SampleBufferPool {
  private readonly free: Float32Array[] = [];

  constructor(
    readonly size: number,
    private readonly keep: number,
  ) {}

  /** A buffer of `size` samples (its contents are what its last user left). */
  take(): Float32Array {
    return this.free.pop() ?? new Float32Array(this.size);
  }

  /** `buffer` is not read or written again by whoever gives it back. */
  give(buffer: Float32Array): void {
    if (buffer.length === this.size && buffer.byteOffset === 0 && this.free.length < this.keep) this.free.push(buffer);
  }

  get idle(): number {
    return this.free.length;
  }
}
