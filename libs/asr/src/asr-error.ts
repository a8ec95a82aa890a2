/** Every way a transcription can fail; a runtime list so the edge's error table can prove it covers each. */
export const ASR_ERROR_CODES = [
  'unsupported_language',
  'engine_busy',
  'provider_unavailable',
  'provider_error',
  'provider_rejected',
  'provider_timeout',
  'provider_rate_limited',
  'provider_auth_failed',
  'cancelled',
] as const;

export type AsrErrorCode = (typeof ASR_ERROR_CODES)[number];

/**
 * A transcription failure, and when to retry if that helps. It says nothing of HTTP: the error table at the edge
 * (observability) turns the code into a status, a stream's final or a job's error.
 */
export class AsrError extends Error {
  constructor(
    readonly code: AsrErrorCode,
    message: string,
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'AsrError';
  }
}

/** A call refused at once because the provider's circuit is open (ASR_BREAKER_*): a fallback may take it. */
export class CircuitOpenError extends AsrError {
  constructor(message: string, retryAfterS: number) {
    super('provider_unavailable', message, retryAfterS);
    this.name = 'CircuitOpenError';
  }
}
