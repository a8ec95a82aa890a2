import { loadConfigOrThrow } from '@asr/config';
import { RateLimiter } from './rate-limiter';

const T0 = 1_000_000;
const limiter = (perMinute: number): RateLimiter =>
  new RateLimiter(loadConfigOrThrow({ RATE_LIMIT_PER_MINUTE: String(perMinute) }));

/** How many of `count` requests at `nowMs` get through. */
function admitted(rate: RateLimiter, caller: string, count: number, nowMs: number): number {
  let ok = 0;
  for (let i = 0; i < count; i += 1) if (rate.take(caller, nowMs).ok) ok += 1;
  return ok;
}

describe('RateLimiter', () => {
  it('lets a burst of the whole minute’s allowance through, then refuses with the wait for one more', () => {
    const rate = limiter(60);
    expect(admitted(rate, 'ip:a', 60, T0)).toBe(60);
    expect(rate.take('ip:a', T0)).toEqual({ ok: false, retryAfterS: 1 });
  });

  it.each([
    { perMinute: 60, elapsedMs: 1000, refilled: 1 },
    { perMinute: 60, elapsedMs: 999, refilled: 0 },
    { perMinute: 60, elapsedMs: 30_000, refilled: 30 },
    { perMinute: 60, elapsedMs: 600_000, refilled: 60 },
    { perMinute: 6, elapsedMs: 10_000, refilled: 1 },
  ])('refills evenly: $perMinute/min, $elapsedMs ms later, $refilled more', ({ perMinute, elapsedMs, refilled }) => {
    const rate = limiter(perMinute);
    admitted(rate, 'ip:a', perMinute, T0);
    expect(admitted(rate, 'ip:a', perMinute + 1, T0 + elapsedMs)).toBe(refilled);
  });

  it('says how long until the next request would pass', () => {
    const rate = limiter(6);
    admitted(rate, 'ip:a', 6, T0);
    expect(rate.take('ip:a', T0)).toEqual({ ok: false, retryAfterS: 10 });
    expect(rate.take('ip:a', T0 + 4000)).toEqual({ ok: false, retryAfterS: 6 });
  });

  it('keeps each caller’s allowance apart', () => {
    const rate = limiter(2);
    expect(admitted(rate, 'key:a', 3, T0)).toBe(2);
    expect(admitted(rate, 'key:b', 3, T0)).toBe(2);
  });

  it('limits nothing when RATE_LIMIT_PER_MINUTE is 0', () => {
    expect(admitted(limiter(0), 'ip:a', 10_000, T0)).toBe(10_000);
  });

  it('gives a caller quiet for a minute its whole allowance again', () => {
    const rate = limiter(3);
    admitted(rate, 'ip:quiet', 3, T0);
    admitted(rate, 'ip:busy', 3, T0);
    expect(admitted(rate, 'ip:busy', 1, T0 + 60_000)).toBe(1);
    expect(admitted(rate, 'ip:quiet', 4, T0 + 60_000)).toBe(3);
  });

  it('never lets a burst exceed one minute’s allowance, however long the caller was quiet', () => {
    const rate = limiter(60);
    admitted(rate, 'ip:a', 61, T0);
    admitted(rate, 'ip:a', 2, T0 + 1000);
    // Another caller's request a minute on sweeps the buckets; ip:a's is not full yet and stays.
    admitted(rate, 'ip:b', 1, T0 + 60_000);
    // 118 s after ip:a last drained its bucket: refilled to the cap of 60, not to 118.
    expect(admitted(rate, 'ip:a', 200, T0 + 119_000)).toBe(60);
  });
});
