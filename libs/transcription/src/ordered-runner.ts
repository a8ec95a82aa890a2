import { AbortReason } from '@asr/asr';

export interface OrderedRunOptions {
  /** Most items started and not yet delivered at once (below 1 counts as 1). */
  concurrency: number;
  /** The caller's cancel, passed on to every `work` (which is expected to reject when it aborts). */
  signal?: AbortSignal;
}

/**
 * Starts `work` for the items of `source` in their order, with at most `concurrency` of them started and not yet
 * delivered, and hands each result to `deliver` in source order (each delivery awaited before the next). The next
 * item is pulled only when a place is free, so a lazy source (decoding, VAD) runs at most `concurrency` items ahead
 * and memory stays bounded. When the source, a `work` or a `deliver` fails, the work still in flight is aborted
 * (reason `sibling_failed`), the source is closed (a decoder ends its ffmpeg and file now), and that error is thrown.
 */
export async function runInOrder<I, R>(
  source: AsyncIterable<I>,
  options: OrderedRunOptions,
  work: (item: I, signal: AbortSignal) => R | Promise<R>,
  deliver: (result: R, index: number) => void | Promise<void>,
): Promise<void> {
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const limit = Math.max(1, options.concurrency);
  const items = source[Symbol.asyncIterator]();
  const started: Promise<R>[] = [];
  let delivered = 0;
  const deliverOldest = async (): Promise<void> => {
    await deliver(await started.shift()!, delivered);
    delivered += 1;
  };
  try {
    for (;;) {
      const next = await items.next();
      if (next.done) break;
      const result = Promise.resolve(work(next.value, signal));
      // Awaited in order by deliverOldest; this only keeps an early failure from counting as unhandled meanwhile.
      result.catch(() => undefined);
      started.push(result);
      if (started.length >= limit) await deliverOldest();
    }
    while (started.length > 0) await deliverOldest();
  } catch (error) {
    stop.abort(new AbortReason('sibling_failed'));
    throw error;
  } finally {
    await items.return?.().catch(() => undefined);
  }
}
