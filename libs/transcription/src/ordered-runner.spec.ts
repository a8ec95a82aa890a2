import { AbortReason, abortKindOf } from '@asr/asr';
import { runInOrder } from './ordered-runner';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A lazy source of 0..count-1 that records how far it was pulled and whether it was closed. */
function countingSource(
  count: number,
  failAt?: number,
): { items: AsyncIterable<number>; pulled: () => number; closed: () => boolean } {
  let pulled = 0;
  let closed = false;
  async function* items(): AsyncGenerator<number> {
    try {
      for (let i = 0; i < count; i += 1) {
        await Promise.resolve();
        if (i === failAt) throw new Error(`source failed at ${i}`);
        pulled += 1;
        yield i;
      }
    } finally {
      closed = true;
    }
  }
  return { items: items(), pulled: () => pulled, closed: () => closed };
}

/** `work` that also records the signal each call was given. */
function recordingSignals<R>(
  signals: AbortSignal[],
  work: (i: number, signal: AbortSignal) => R | Promise<R>,
): (i: number, signal: AbortSignal) => R | Promise<R> {
  return (i, signal) => {
    signals.push(signal);
    return work(i, signal);
  };
}

/** Lets every pending microtask and promise callback run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
}

describe('runInOrder', () => {
  it('delivers results in source order when later work finishes first', async () => {
    const source = countingSource(5);
    const answers = Array.from({ length: 5 }, () => deferred<string>());
    const delivered: [string, number][] = [];
    const run = runInOrder(
      source.items,
      { concurrency: 5 },
      (i) => answers[i]!.promise,
      (result, index) => void delivered.push([result, index]),
    );
    await settle();
    for (const i of [4, 2, 3, 1]) answers[i]!.resolve(`r${i}`);
    await settle();
    expect(delivered).toEqual([]);
    answers[0]!.resolve('r0');
    await run;
    expect(delivered).toEqual([
      ['r0', 0],
      ['r1', 1],
      ['r2', 2],
      ['r3', 3],
      ['r4', 4],
    ]);
    expect(source.closed()).toBe(true);
  });

  it('never has more than `concurrency` items started and not yet delivered, and pulls no further ahead', async () => {
    const source = countingSource(12);
    let open = 0;
    let most = 0;
    let mostAhead = 0;
    let delivered = 0;
    await runInOrder(
      source.items,
      { concurrency: 3 },
      async (i) => {
        open += 1;
        most = Math.max(most, open);
        mostAhead = Math.max(mostAhead, source.pulled() - delivered);
        // Uneven latencies, so completions come out of order.
        for (let k = 0; k < (i * 7) % 5; k += 1) await Promise.resolve();
        return i;
      },
      (result, index) => {
        expect(result).toBe(index);
        open -= 1;
        delivered += 1;
      },
    );
    expect(delivered).toBe(12);
    expect(most).toBe(3);
    expect(mostAhead).toBe(3);
  });

  it('treats a concurrency below 1 as one at a time', async () => {
    let open = 0;
    let most = 0;
    await runInOrder(
      countingSource(4).items,
      { concurrency: 0 },
      async (i) => {
        open += 1;
        most = Math.max(most, open);
        await Promise.resolve();
        return i;
      },
      () => void (open -= 1),
    );
    expect(most).toBe(1);
  });

  it('takes plain values from work as well as promises (a chunk reused from an earlier run)', async () => {
    const delivered: number[] = [];
    await runInOrder(
      countingSource(4).items,
      { concurrency: 2 },
      (i) => (i % 2 === 0 ? i * 10 : Promise.resolve(i * 10)),
      (result) => void delivered.push(result),
    );
    expect(delivered).toEqual([0, 10, 20, 30]);
  });

  it('on a failed work: stops delivering, aborts the work in flight, pulls nothing more and closes the source', async () => {
    const source = countingSource(10);
    const answers = Array.from({ length: 10 }, () => deferred<number>());
    const signals: AbortSignal[] = [];
    const delivered: number[] = [];
    const run = runInOrder(
      source.items,
      { concurrency: 3 },
      recordingSignals(signals, (i) => answers[i]!.promise),
      (result) => void delivered.push(result),
    );
    await settle();
    expect(signals).toHaveLength(3);
    answers[2]!.resolve(2);
    answers[0]!.reject(new Error('provider failed'));
    await expect(run).rejects.toThrow('provider failed');
    expect(delivered).toEqual([]);
    expect(signals.map((s) => abortKindOf(s))).toEqual(['sibling_failed', 'sibling_failed', 'sibling_failed']);
    expect(source.pulled()).toBe(3);
    expect(source.closed()).toBe(true);
  });

  it('on a failed delivery: aborts the rest and closes the source', async () => {
    const source = countingSource(10);
    const signals: AbortSignal[] = [];
    const run = runInOrder(
      source.items,
      { concurrency: 2 },
      recordingSignals(signals, (i) => i),
      (result) => {
        if (result === 1) throw new Error('could not save chunk 1');
      },
    );
    await expect(run).rejects.toThrow('could not save chunk 1');
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(source.pulled()).toBe(3);
    expect(source.closed()).toBe(true);
  });

  it('on a failed source: aborts the work in flight and throws the source error', async () => {
    const source = countingSource(10, 2);
    const signals: AbortSignal[] = [];
    const run = runInOrder(
      source.items,
      { concurrency: 4 },
      recordingSignals(signals, () => new Promise<number>(() => undefined)),
      () => undefined,
    );
    await expect(run).rejects.toThrow('source failed at 2');
    expect(signals).toHaveLength(2);
    expect(signals.every((s) => abortKindOf(s) === 'sibling_failed')).toBe(true);
  });

  it("passes the caller's abort, with its reason, to the work in flight; the run ends with the work's error", async () => {
    const source = countingSource(10);
    const caller = new AbortController();
    const signals: AbortSignal[] = [];
    const run = runInOrder(
      source.items,
      { concurrency: 2, signal: caller.signal },
      recordingSignals(
        signals,
        (_i, signal) =>
          new Promise<number>((_resolve, reject) =>
            signal.addEventListener('abort', () => reject(new Error('work cancelled')), { once: true }),
          ),
      ),
      () => undefined,
    );
    await settle();
    caller.abort(new AbortReason('client_gone'));
    await expect(run).rejects.toThrow('work cancelled');
    expect(signals.map((s) => abortKindOf(s))).toEqual(['client_gone', 'client_gone']);
    expect(source.pulled()).toBe(2);
    expect(source.closed()).toBe(true);
  });
});
