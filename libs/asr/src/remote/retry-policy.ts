import { setTimeout as sleep } from 'node:timers/promises';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';

export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest Retry-After that is waited out; a longer one fails at once with it passed on. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: Omit<RetryPolicy, 'maxRetries'> = {
  baseDelayMs: 250,
  maxDelayMs: 8000,
  maxRetryAfterMs: 30_000,
};

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

/**
 * Retry connect failures, 429 and 502/503/504 — never a timeout: the audio was sent and may be in work upstream,
 * and a second copy would only double the bill and the wait.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof APIConnectionTimeoutError) return false;
  if (error instanceof APIUserAbortError) return false;
  if (error instanceof APIConnectionError) return true;
  const status = asApiError(error)?.status;
  return status !== undefined && RETRYABLE_STATUS.has(status);
}

/** `instanceof` narrows the SDK's generic error class to APIError<any, …>; this keeps its declared types. */
export function asApiError(error: unknown): APIError | undefined {
  return error instanceof APIError ? (error as APIError) : undefined;
}

/** Retry-After in ms (seconds or an HTTP date), when the provider sent one. */
export function retryAfterMs(error: unknown, now = Date.now()): number | undefined {
  const value = asApiError(error)?.headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential backoff with full jitter, or the provider's Retry-After when it gave one. */
export function delayBeforeRetry(error: unknown, attempt: number, policy: RetryPolicy, random = Math.random): number {
  const told = retryAfterMs(error);
  if (told !== undefined) return told;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return ceiling / 2 + random() * (ceiling / 2);
}

export async function withRetries<T>(
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
  call: (attempt: number) => Promise<T>,
  onRetry: (error: unknown, attempt: number, delayMs: number) => void = () => undefined,
): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call(attempt);
    } catch (error) {
      if (attempt >= policy.maxRetries || !isRetryable(error) || signal?.aborted) throw error;
      const delay = delayBeforeRetry(error, attempt, policy);
      if (delay > policy.maxRetryAfterMs) throw error;
      onRetry(error, attempt + 1, delay);
      await sleep(delay, undefined, { signal });
    }
  }
}
