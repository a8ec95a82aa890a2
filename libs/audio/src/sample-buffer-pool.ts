/** The sizes a pool hands out, and how much it may keep free. */
export interface SampleBufferPoolOptions {
  /** Samples of the smallest buffer; each further size class is twice the one before. */
  smallest: number;
  /** Samples a buffer of the largest class must hold at least: larger requests get a fresh, unpooled buffer. */
  largest: number;
  /**
   * Bytes of free buffers kept, over all classes. A buffer given back that does not fit takes the room of free ones
   * of larger classes (rarer), or is left to the collector.
   */
  keepBytes: number;
}

/**
 * Float buffers in size classes (the smallest, then doubling up to the largest), given back and handed out again:
 * the buffers of live utterances, which start at 4 s and double as the speech goes on. At a few hundred streams,
 * fresh ones are tens of MB a second of ArrayBuffers living for seconds, which only a full collection frees, and
 * which set one off every few seconds (V8 counts their memory as external, docs/benchmarks.md). Bounded: free
 * buffers are kept up to `keepBytes`.
 */
export class SampleBufferPool {
  /** Free buffers per class, class k holding `smallest × 2^k` samples. */
  private readonly free: Float32Array[][] = [];
  private idleBytes = 0;

  constructor(private readonly options: SampleBufferPoolOptions) {
    if (!Number.isInteger(options.smallest) || options.smallest < 1) {
      throw new RangeError(`SampleBufferPool: smallest must be a whole number of samples ≥ 1, not ${options.smallest}`);
    }
    for (let size = options.smallest; ; size *= 2) {
      this.free.push([]);
      if (size >= options.largest) break;
    }
  }

  /**
   * A buffer of at least `samples` samples (its contents are what its last user left): the smallest class that
   * holds them, or a fresh buffer of exactly `samples` past the largest class.
   */
  take(samples: number = this.options.smallest): Float32Array {
    const index = this.classOf(samples);
    if (index === undefined) return new Float32Array(samples);
    const buffer = this.free[index]!.pop();
    if (!buffer) return new Float32Array(this.options.smallest * 2 ** index);
    this.idleBytes -= buffer.byteLength;
    return buffer;
  }

  /**
   * `buffer` is not read or written again by whoever gives it back (and is given back once). One of no class's
   * size, or a view, is left to the collector.
   */
  give(buffer: Float32Array): void {
    const index = this.classOf(buffer.length);
    if (index === undefined || buffer.byteOffset !== 0 || buffer.buffer.byteLength !== buffer.byteLength) return;
    if (this.options.smallest * 2 ** index !== buffer.length) return;
    // Free buffers of larger classes make room first: after a burst of long utterances, the common short ones would
    // otherwise find the budget spent on buffers few utterances need.
    for (let larger = this.free.length - 1; larger > index; larger -= 1) {
      while (this.idleBytes + buffer.byteLength > this.options.keepBytes && this.free[larger]!.length > 0) {
        this.idleBytes -= this.free[larger]!.pop()!.byteLength;
      }
    }
    if (this.idleBytes + buffer.byteLength > this.options.keepBytes) return;
    this.free[index]!.push(buffer);
    this.idleBytes += buffer.byteLength;
  }

  /** Free buffers held, over all classes. */
  get idle(): number {
    return this.free.reduce((count, list) => count + list.length, 0);
  }

  /** The smallest class holding `samples`, or undefined past the largest. */
  private classOf(samples: number): number | undefined {
    const index = Math.max(0, Math.ceil(Math.log2(samples / this.options.smallest)));
    return index < this.free.length ? index : undefined;
  }
}
