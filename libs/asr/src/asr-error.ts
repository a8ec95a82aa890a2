export type AsrErrorCode =
  | 'unsupported_language'
  | 'engine_busy'
  | 'provider_unavailable'
  | 'provider_error'
  | 'provider_rejected'
  | 'provider_timeout'
  | 'provider_rate_limited'
  | 'provider_auth_failed'
  | 'cancelled';

const STATUS: Record<AsrErrorCode, number> = {
  unsupported_language: 400,
  engine_busy: 503,
  provider_unavailable: 503,
  provider_error: 502,
  provider_rejected: 502,
  provider_timeout: 504,
  provider_rate_limited: 429,
  provider_auth_failed: 502,
  cancelled: 499,
};

/** A transcription failure with the HTTP status the edge answers with, and when to retry if that helps. */
export class AsrError extends Error {
  readonly status: number;

  constructor(
    readonly code: AsrErrorCode,
    message: string,
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'AsrError';
    this.status = STATUS[code];
  }
}

/** A call refused at once because the provider's circuit is open (ASR_BREAKER_*): a fallback may take it. */
export class CircuitOpenError extends AsrError {
  constructor(message: string, retryAfterS: number) {
    super('provider_unavailable', message, retryAfterS);
    this.name = 'CircuitOpenError';
  }
}
