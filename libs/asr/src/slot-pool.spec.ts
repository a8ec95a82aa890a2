import { AsrError } from './asr-error';
import { SlotPool, withSlot } from './slot-pool';

function poolOf(items: string[], maxWaiting = 4, retryAfterS?: number): SlotPool<string> {
  const pool = new SlotPool<string>(maxWaiting, retryAfterS);
  for (const item of items) pool.add(item);
  return pool;
}

/** Settles pending promise callbacks, so a test can see which waiters have been served. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('SlotPool', () => {
  it('hands out free items at once and counts what is left', async () => {
    const pool = poolOf(['a', 'b']);
    const first = await pool.acquire();
    const second = await pool.acquire();
    expect(new Set([first, second])).toEqual(new Set(['a', 'b']));
    expect(pool.available).toBe(0);
    pool.release(first);
    expect(pool.available).toBe(1);
  });

  it('serves waiters in arrival order as items come back', async () => {
    const pool = poolOf(['only']);
    const held = await pool.acquire();
    const served: string[] = [];
    const waits = ['first', 'second', 'third'].map((who) =>
      pool.acquire().then((item) => {
        served.push(who);
        return item;
      }),
    );
    expect(pool.waiting).toBe(3);
    pool.release(held);
    await settle();
    expect(served).toEqual(['first']);
    pool.release(await waits[0]!);
    pool.release(await waits[1]!);
    await waits[2];
    expect(served).toEqual(['first', 'second', 'third']);
    expect(pool.waiting).toBe(0);
    expect(pool.available).toBe(0);
  });

  it.each([
    { maxWaiting: 0, retryAfterS: undefined, expectedRetry: 2 },
    { maxWaiting: 2, retryAfterS: 7, expectedRetry: 7 },
  ])(
    'answers engine_busy at once when $maxWaiting callers already wait (Retry-After $expectedRetry s)',
    async ({ maxWaiting, retryAfterS, expectedRetry }) => {
      const pool = poolOf(['x'], maxWaiting, retryAfterS);
      await pool.acquire();
      const waiting = Array.from({ length: maxWaiting }, () => pool.acquire());
      await expect(pool.acquire()).rejects.toMatchObject({ code: 'engine_busy', retryAfterS: expectedRetry });
      expect(pool.waiting).toBe(maxWaiting);
      for (let i = 0; i < maxWaiting; i += 1) pool.release('x');
      await Promise.all(waiting);
    },
  );

  it('refuses an already-aborted caller without taking an item', async () => {
    const pool = poolOf(['a']);
    const aborted = AbortSignal.abort();
    await expect(pool.acquire(aborted)).rejects.toBeInstanceOf(AsrError);
    await expect(pool.acquire(aborted)).rejects.toMatchObject({ code: 'cancelled' });
    expect(pool.available).toBe(1);
  });

  it('drops an aborted waiter from the queue, so the next release goes to the one behind it', async () => {
    const pool = poolOf(['a']);
    const held = await pool.acquire();
    const controller = new AbortController();
    const abandoned = pool.acquire(controller.signal);
    const patient = pool.acquire();
    controller.abort();
    await expect(abandoned).rejects.toMatchObject({ code: 'cancelled' });
    expect(pool.waiting).toBe(1);
    pool.release(held);
    await expect(patient).resolves.toBe('a');
  });

  it('tryAcquire never waits: an item or undefined', () => {
    const pool = poolOf(['a']);
    expect(pool.tryAcquire()).toBe('a');
    expect(pool.tryAcquire()).toBeUndefined();
    expect(pool.waiting).toBe(0);
  });

  it('drain takes every free item, not the held ones', async () => {
    const pool = poolOf(['a', 'b', 'c']);
    const held = await pool.acquire();
    const drained = pool.drain();
    expect(drained).toHaveLength(2);
    expect(drained).not.toContain(held);
    expect(pool.available).toBe(0);
  });
});

describe('withSlot', () => {
  it('holds an item for the work and gives it back after success or failure', async () => {
    const pool = poolOf(['a']);
    await expect(
      withSlot(pool, undefined, (item) => {
        expect(pool.available).toBe(0);
        return Promise.resolve(`done with ${item}`);
      }),
    ).resolves.toBe('done with a');
    expect(pool.available).toBe(1);
    await expect(withSlot(pool, undefined, () => Promise.reject(new Error('work failed')))).rejects.toThrow(
      'work failed',
    );
    expect(pool.available).toBe(1);
  });

  it('does not run the work when the wait is cancelled', async () => {
    const pool = poolOf([]);
    const work = jest.fn(() => Promise.resolve('ran'));
    await expect(withSlot(pool, AbortSignal.abort(), work)).rejects.toMatchObject({ code: 'cancelled' });
    expect(work).not.toHaveBeenCalled();
  });
});
