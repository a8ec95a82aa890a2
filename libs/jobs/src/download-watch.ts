/** The span JOBS_DOWNLOAD_MIN_RATE is averaged over. */
export const RATE_WINDOW_MS = 10_000;

/**
 * Every way a URL job's download (or a decode past the key's storage quota) fails a job: a runtime list, so a test
 * can prove the edge's error table covers each.
 */
export const DOWNLOAD_ERROR_CODES = [
  'fetch_failed',
  'download_timeout',
  'download_too_slow',
  'download_too_large',
  'storage_quota_exceeded',
] as const;

export type DownloadErrorCode = (typeof DOWNLOAD_ERROR_CODES)[number];

/** Why a URL job's download failed; the code becomes the job's error code. */
export class DownloadError extends Error {
  constructor(
    readonly code: DownloadErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface DownloadLimits {
  /** The whole download: lookups, connecting, redirects and the body. */
  deadlineMs: number;
  /** Bytes per second over each window after the first; 0: none. */
  minRate: number;
  /** What the limits are called in messages (the settings that set them). */
  names: { deadline: string; minRate: string };
  windowMs?: number;
}

/**
 * One download's deadline and minimum rate: `signal` aborts with a DownloadError when either is broken (and with
 * the caller's reason when `outer` aborts). The first window is not judged: it holds the connection set-up, the
 * server's first byte and TCP's slow start. Counting each window (not the average so far) means a server cannot
 * bank a fast start and then trickle.
 */
export class DownloadWatch {
  readonly signal: AbortSignal;
  private readonly limiter = new AbortController();
  private readonly deadline: NodeJS.Timeout;
  private readonly ticker: NodeJS.Timeout | undefined;
  private windowBytes = 0;
  private windows = 0;

  constructor(outer: AbortSignal, limits: DownloadLimits) {
    this.signal = AbortSignal.any([outer, this.limiter.signal]);
    const deadlineS = limits.deadlineMs / 1000;
    this.deadline = setTimeout(
      () => this.fail('download_timeout', `the download did not finish within ${limits.names.deadline}=${deadlineS} s`),
      limits.deadlineMs,
    );
    const windowMs = limits.windowMs ?? RATE_WINDOW_MS;
    if (limits.minRate > 0) {
      this.ticker = setInterval(() => {
        this.windows += 1;
        const rate = this.windowBytes / (windowMs / 1000);
        this.windowBytes = 0;
        if (this.windows > 1 && rate < limits.minRate) {
          this.fail(
            'download_too_slow',
            `the server sent ${Math.round(rate)} B/s over ${windowMs / 1000} s, below ${limits.names.minRate}=${limits.minRate}`,
          );
        }
      }, windowMs);
    }
  }

  /** The limit that cut the download, if one did. */
  get failure(): DownloadError | undefined {
    const reason: unknown = this.limiter.signal.reason;
    return reason instanceof DownloadError ? reason : undefined;
  }

  received(bytes: number): void {
    this.windowBytes += bytes;
  }

  stop(): void {
    clearTimeout(this.deadline);
    clearInterval(this.ticker);
  }

  private fail(code: DownloadErrorCode, message: string): void {
    this.stop();
    this.limiter.abort(new DownloadError(code, message));
  }
}
