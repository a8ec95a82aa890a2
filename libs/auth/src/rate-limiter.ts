import { Injectable } from '@nestjs/common';
import { AppConfig } from '@asr/config';

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export type RateVerdict = { ok: true } | { ok: false; retryAfterS: number };

/**
 * RATE_LIMIT_PER_MINUTE per caller as a token bucket: a burst of the whole minute's allowance, refilled evenly, so a
 * steady client never sees the window edge that a fixed per-minute counter has. Per process (see docs/security.md).
 */
@Injectable()
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly capacity: number;
  private readonly perMs: number;
  private lastSweepMs = 0;

  constructor(config: AppConfig) {
    this.capacity = config.security.rateLimitPerMinute;
    this.perMs = this.capacity / 60_000;
  }

  take(callerId: string, nowMs = Date.now()): RateVerdict {
    if (this.capacity === 0) return { ok: true };
    this.sweep(nowMs);
    const bucket = this.buckets.get(callerId) ?? { tokens: this.capacity, updatedMs: nowMs };
    bucket.tokens = Math.min(this.capacity, bucket.tokens + (nowMs - bucket.updatedMs) * this.perMs);
    bucket.updatedMs = nowMs;
    this.buckets.set(callerId, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000)) };
  }

  /** Forgets callers whose bucket has refilled: one entry per address would otherwise grow without bound. */
  private sweep(nowMs: number): void {
    if (nowMs - this.lastSweepMs < 60_000) return;
    this.lastSweepMs = nowMs;
    for (const [id, bucket] of this.buckets)
      if (bucket.tokens + (nowMs - bucket.updatedMs) * this.perMs >= this.capacity) this.buckets.delete(id);
  }
}
