import { AsrError } from './asr-error';

interface Waiter<T> {
  resolve: (item: T) => void;
  reject: (error: Error) => void;
}

/**
 * A fixed set of exclusive resources (decoders, request slots) with a bounded wait queue. A full queue answers
 * at once with `engine_busy` (503 + Retry-After) instead of letting requests pile up; an aborted wait leaves the
 * queue.
 */
export class SlotPool<T> {
  private readonly free: T[] = [];
  private readonly waiters: Waiter<T>[] = [];

  constructor(
    private readonly maxWaiting: number,
    private readonly retryAfterS = 2,
  ) {}

  get available(): number {
    return this.free.length;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  add(item: T): void {
    this.release(item);
  }

  /** A free item now, or undefined: never waits (a live stream skips partials rather than queue). */
  tryAcquire(): T | undefined {
    return this.free.pop();
  }

  acquire(signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new AsrError('cancelled', 'the request was cancelled'));
    const item = this.free.pop();
    if (item !== undefined) return Promise.resolve(item);
    if (this.waiters.length >= this.maxWaiting) {
      return Promise.reject(
        new AsrError('engine_busy', 'the speech engine is at capacity; retry shortly', this.retryAfterS),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = { resolve, reject };
      this.waiters.push(waiter);
      signal?.addEventListener(
        'abort',
        () => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          reject(new AsrError('cancelled', 'the request was cancelled'));
        },
        { once: true },
      );
    });
  }

  release(item: T): void {
    const next = this.waiters.shift();
    if (next) next.resolve(item);
    else this.free.push(item);
  }

  /** Removes and returns every free item (for shutdown). */
  drain(): T[] {
    return this.free.splice(0);
  }
}

/** Runs `work` holding one item of the pool. */
export async function withSlot<T, R>(
  pool: SlotPool<T>,
  signal: AbortSignal | undefined,
  work: (item: T) => Promise<R>,
): Promise<R> {
  const item = await pool.acquire(signal);
  try {
    return await work(item);
  } finally {
    pool.release(item);
  }
}
