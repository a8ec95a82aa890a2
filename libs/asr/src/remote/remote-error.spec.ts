import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { AsrError, type AsrErrorCode } from '../asr-error';
import { toAsrError } from './remote-error';

const upstream = (status: number, headers: Record<string, string> = {}): APIError =>
  APIError.generate(status, { message: `fake ${status}` }, undefined, new Headers(headers));

describe('toAsrError', () => {
  it.each<[string, unknown, AsrErrorCode, number | undefined]>([
    ['a cancel by our own signal', new APIUserAbortError(), 'cancelled', undefined],
    ['a timeout', new APIConnectionTimeoutError(), 'provider_timeout', undefined],
    ['a refused connection', new APIConnectionError({ message: 'Connection error.' }), 'provider_unavailable', 5],
    ['429 without Retry-After', upstream(429), 'provider_rate_limited', 5],
    ['429 with Retry-After: 12', upstream(429, { 'retry-after': '12' }), 'provider_rate_limited', 12],
    ['429 with Retry-After: 1.2', upstream(429, { 'retry-after': '1.2' }), 'provider_rate_limited', 2],
    ['401', upstream(401), 'provider_auth_failed', undefined],
    ['403', upstream(403), 'provider_auth_failed', undefined],
    ['503 without Retry-After', upstream(503), 'provider_unavailable', 5],
    ['503 with Retry-After: 30', upstream(503, { 'retry-after': '30' }), 'provider_unavailable', 30],
    ['504', upstream(504), 'provider_timeout', undefined],
    ['400', upstream(400), 'provider_rejected', undefined],
    ['413', upstream(413), 'provider_rejected', undefined],
    ['500', upstream(500), 'provider_error', undefined],
    ['502', upstream(502), 'provider_error', undefined],
    ['an unreadable body', new SyntaxError('Unexpected end of JSON input'), 'provider_error', undefined],
    ['a thrown string', 'weird', 'provider_error', undefined],
  ])('maps %s to %s', (_what, error, code, retryAfterS) => {
    const mapped = toAsrError(error, 'openai', 30);
    expect(mapped).toBeInstanceOf(AsrError);
    expect({ code: mapped.code, retryAfterS: mapped.retryAfterS }).toEqual({ code, retryAfterS });
  });

  it('says who answered what, and what to check', () => {
    expect(toAsrError(upstream(401), 'fireworks', 30).message).toMatch(
      /^fireworks answered 401: .*check the provider's API key/,
    );
    expect(toAsrError(new APIConnectionTimeoutError(), 'openai', 45).message).toContain('ASR_TIMEOUT_S=45s');
    expect(toAsrError(new SyntaxError('bad json'), 'openai', 30).message).toContain('could not be read: bad json');
  });

  it('names the cause of a failed connection', () => {
    const refused = new APIConnectionError({ message: 'Connection error.', cause: new Error('connect ECONNREFUSED') });
    expect(toAsrError(refused, 'openai', 30).message).toBe('openai could not be reached: connect ECONNREFUSED');
  });

  it('leaves an AsrError as it is', () => {
    const original = new AsrError('engine_busy', 'busy', 2);
    expect(toAsrError(original, 'openai', 30)).toBe(original);
  });
});
