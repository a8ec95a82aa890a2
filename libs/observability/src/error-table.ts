/** The native stream's answer: the utterance's final comes with empty text and the error's code; the stream goes on. */
export type StreamOutcome = 'final_error';
/** A job's answer: it fails for good, recording the error's code and message (no job failure is retried). */
export type JobOutcome = 'failed';

/** What each edge does with one domain error code. */
export interface ErrorMapping {
  /** The status REST answers with; absent: the error never reaches a route (were it to, it would be a 500). */
  readonly http?: number;
  /** REST adds Retry-After from the error's `retryAfterS`. */
  readonly retryAfter?: true;
  /** Absent: a final it fails says `transcription_failed`, as any unknown failure does. */
  readonly stream?: StreamOutcome;
  readonly job: JobOutcome;
}

/**
 * The one place that maps domain errors to the edges. AsrError, AudioError, DownloadError and StorageQuotaError
 * carry a code and no HTTP; they share no base class (audio imports nothing of ours but config), so the table is
 * keyed by code, and a unit test in apps/asr-api proves it covers every lib's code list exactly. Framings added
 * later (other stream protocols) add their column here.
 */
export const ERROR_TABLE = {
  // libs/asr: AsrError
  unsupported_language: { http: 400, stream: 'final_error', job: 'failed' },
  engine_busy: { http: 503, retryAfter: true, stream: 'final_error', job: 'failed' },
  provider_unavailable: { http: 503, retryAfter: true, stream: 'final_error', job: 'failed' },
  provider_error: { http: 502, stream: 'final_error', job: 'failed' },
  provider_rejected: { http: 502, stream: 'final_error', job: 'failed' },
  provider_timeout: { http: 504, stream: 'final_error', job: 'failed' },
  provider_rate_limited: { http: 429, retryAfter: true, stream: 'final_error', job: 'failed' },
  provider_auth_failed: { http: 502, stream: 'final_error', job: 'failed' },
  // nginx's "client closed request": only a client still listening sees it.
  cancelled: { http: 499, stream: 'final_error', job: 'failed' },
  // libs/audio: AudioError (a stream's audio is PCM the session decodes itself: none reach a final)
  empty_audio: { http: 400, job: 'failed' },
  invalid_audio: { http: 400, job: 'failed' },
  unsupported_format: { http: 415, job: 'failed' },
  audio_too_long: { http: 413, job: 'failed' },
  decode_ratio_exceeded: { http: 413, job: 'failed' },
  upload_too_large: { http: 413, job: 'failed' },
  decode_timeout: { http: 422, job: 'failed' },
  decoder_unavailable: { http: 503, job: 'failed' },
  // libs/jobs: DownloadError (runs only) and StorageQuotaError (a submission past the quota, or a run's decode)
  fetch_failed: { job: 'failed' },
  download_timeout: { job: 'failed' },
  download_too_slow: { job: 'failed' },
  download_too_large: { job: 'failed' },
  storage_quota_exceeded: { http: 413, job: 'failed' },
} as const satisfies Record<string, ErrorMapping>;

export type DomainErrorCode = keyof typeof ERROR_TABLE;

/** An error the table knows: any Error whose `code` is one of its keys. */
interface DomainError extends Error {
  code: DomainErrorCode;
  retryAfterS?: unknown;
}

function isDomainError(error: unknown): error is DomainError {
  if (!(error instanceof Error) || !('code' in error) || typeof error.code !== 'string') return false;
  return Object.hasOwn(ERROR_TABLE, error.code);
}

function mappingOf(error: DomainError): ErrorMapping {
  return ERROR_TABLE[error.code];
}

/** What a domain error carries to a stream's final or a job's record. */
export interface CodedFailure {
  code: string;
  message: string;
}

export interface HttpErrorAnswer extends CodedFailure {
  status: number;
  headers: Record<string, string>;
}

/** The REST answer to `error`, or undefined when it is not a domain error that reaches a route. */
export function httpAnswerOf(error: unknown): HttpErrorAnswer | undefined {
  if (!isDomainError(error)) return undefined;
  const { http, retryAfter } = mappingOf(error);
  if (http === undefined) return undefined;
  const headers: Record<string, string> =
    retryAfter && typeof error.retryAfterS === 'number' ? { 'retry-after': String(error.retryAfterS) } : {};
  return { status: http, code: error.code, message: error.message, headers };
}

/** The error a native stream's final carries for `error`, or undefined when the table gives it none. */
export function streamFinalErrorOf(error: unknown): CodedFailure | undefined {
  if (!isDomainError(error) || mappingOf(error).stream !== 'final_error') return undefined;
  return { code: error.code, message: error.message };
}

/** What a job failed by `error` records, or undefined when it is not a domain error. */
export function jobFailureOf(error: unknown): CodedFailure | undefined {
  if (!isDomainError(error) || mappingOf(error).job !== 'failed') return undefined;
  return { code: error.code, message: error.message };
}
