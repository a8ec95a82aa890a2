import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { delayBeforeRetry, isRetryable, retryAfterMs, withRetries } from './retry-policy';

const status = (code: number, headers: Record<string, string> = {}): APIError =>
  APIError.generate(code, { message: `status ${code}` }, undefined, new Headers(headers));

describe('retry policy', () => {
  it('retries connect errors, 429 and 502/503/504; never timeouts or other statuses', () => {
    expect(isRetryable(new APIConnectionError({ message: 'ECONNREFUSED' }))).toBe(true);
    for (const code of [429, 502, 503, 504]) expect(isRetryable(status(code))).toBe(true);
    for (const code of [400, 401, 404, 500]) expect(isRetryable(status(code))).toBe(false);
    expect(isRetryable(new APIConnectionTimeoutError())).toBe(false);
    expect(isRetryable(new APIUserAbortError())).toBe(false);
    expect(isRetryable(new Error('other'))).toBe(false);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterMs(status(429, { 'retry-after': '3' }))).toBe(3000);
    const now = Date.parse('2026-11-29T12:00:00Z');
    expect(retryAfterMs(status(503, { 'retry-after': 'Sun, 29 Nov 2026 12:00:05 GMT' }), now)).toBe(5000);
    expect(retryAfterMs(status(503))).toBeUndefined();
  });

  it('backs off exponentially with jitter, capped', () => {
    const policy = { maxRetries: 5, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 30_000 };
    expect(delayBeforeRetry(status(503), 0, policy, () => 0)).toBe(50);
    expect(delayBeforeRetry(status(503), 0, policy, () => 1)).toBe(100);
    expect(delayBeforeRetry(status(503), 3, policy, () => 1)).toBe(800);
    expect(delayBeforeRetry(status(503), 10, policy, () => 1)).toBe(1000);
    expect(delayBeforeRetry(status(429, { 'retry-after': '2' }), 0, policy, () => 0)).toBe(2000);
  });

  it('stops after maxRetries and passes on a Retry-After longer than it waits', async () => {
    const policy = { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 1000 };
    let calls = 0;
    await expect(
      withRetries(policy, undefined, () => {
        calls += 1;
        return Promise.reject(status(503));
      }),
    ).rejects.toMatchObject({ status: 503 });
    expect(calls).toBe(3);
    calls = 0;
    await expect(
      withRetries(policy, undefined, () => {
        calls += 1;
        return Promise.reject(status(429, { 'retry-after': '60' }));
      }),
    ).rejects.toMatchObject({ status: 429 });
    expect(calls).toBe(1);
  });

  it('retries until a call succeeds, telling onRetry which attempt comes after what wait', async () => {
    const policy = { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 1000 };
    const retries: [number, number][] = [];
    const attempts: number[] = [];
    const result = await withRetries(
      policy,
      undefined,
      (attempt) => {
        attempts.push(attempt);
        return attempt < 2 ? Promise.reject(status(502, { 'retry-after': '0' })) : Promise.resolve('third time');
      },
      (_error, attempt, delayMs) => retries.push([attempt, delayMs]),
    );
    expect(result).toBe('third time');
    expect(attempts).toEqual([0, 1, 2]);
    expect(retries).toEqual([
      [1, 0],
      [2, 0],
    ]);
  });

  it('never retries once the caller has gone, and stops waiting when it goes mid-wait', async () => {
    const policy = { maxRetries: 3, baseDelayMs: 10_000, maxDelayMs: 10_000, maxRetryAfterMs: 30_000 };
    const unavailable = jest.fn(() => Promise.reject(status(503)));
    await expect(withRetries(policy, AbortSignal.abort(), unavailable)).rejects.toMatchObject({ status: 503 });
    expect(unavailable).toHaveBeenCalledTimes(1);
    const controller = new AbortController();
    const waiting = withRetries(
      policy,
      controller.signal,
      () => Promise.reject(status(503)),
      () => setImmediate(() => controller.abort()),
    );
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
  });
});
