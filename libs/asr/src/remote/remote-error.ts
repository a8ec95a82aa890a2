import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { AsrError } from '../asr-error';
import { retryAfterMs } from './retry-policy';

/** What went wrong upstream, as the status our client gets: 429, 502, 503 or 504, with the cause in the message. */
export function toAsrError(error: unknown, provider: string, timeoutS: number): AsrError {
  if (error instanceof AsrError) return error;
  if (error instanceof APIUserAbortError) return new AsrError('cancelled', 'the request was cancelled');
  if (error instanceof APIConnectionTimeoutError) {
    return new AsrError('provider_timeout', `${provider} did not answer within ASR_TIMEOUT_S=${timeoutS}s`);
  }
  if (error instanceof APIConnectionError) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return new AsrError('provider_unavailable', `${provider} could not be reached${cause}`, 5);
  }
  if (error instanceof APIError && error.status !== undefined) {
    const upstream = `${provider} answered ${error.status}: ${error.message}`;
    const after = retryAfterMs(error);
    const retryAfterS = after === undefined ? undefined : Math.ceil(after / 1000);
    if (error.status === 429) return new AsrError('provider_rate_limited', upstream, retryAfterS ?? 5);
    if (error.status === 401 || error.status === 403) {
      return new AsrError('provider_auth_failed', `${upstream} (check the provider's API key)`);
    }
    if (error.status === 503) return new AsrError('provider_unavailable', upstream, retryAfterS ?? 5);
    if (error.status === 504) return new AsrError('provider_timeout', upstream);
    // The provider refused this request (its audio, its fields): it is working, and says so.
    if (error.status >= 400 && error.status < 500) return new AsrError('provider_rejected', upstream);
    return new AsrError('provider_error', upstream);
  }
  // The SDK fails to parse a malformed body with a plain error.
  const message = error instanceof Error ? error.message : String(error);
  return new AsrError('provider_error', `${provider} sent a response that could not be read: ${message}`);
}
