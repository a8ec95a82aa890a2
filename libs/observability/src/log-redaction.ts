/**
 * Query parameters that carry credentials (stream tokens, api keys, signed-URL signatures): their values never
 * reach a log line. Matched whole and case-insensitively.
 */
const SECRET_QUERY_PARAMS =
  /^(token|access_token|refresh_token|id_token|api_key|apikey|key|secret|client_secret|password|signature|sig|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential)$/i;

const REDACTED = '[REDACTED]';

/**
 * A URL (a request path with its query, or an absolute URL) for a log line: credential-like query values and any
 * `user:password@` are replaced. Every log line that carries a URL goes through here.
 */
export function redactUrl(url: string): string {
  const withoutUserInfo = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, `$1${REDACTED}@`);
  const queryStart = withoutUserInfo.indexOf('?');
  if (queryStart < 0) return withoutUserInfo;
  const fragmentStart = withoutUserInfo.indexOf('#', queryStart);
  const queryEnd = fragmentStart < 0 ? withoutUserInfo.length : fragmentStart;
  const params = new URLSearchParams(withoutUserInfo.slice(queryStart + 1, queryEnd));
  for (const name of new Set(params.keys())) {
    if (SECRET_QUERY_PARAMS.test(name)) params.set(name, REDACTED);
  }
  return `${withoutUserInfo.slice(0, queryStart)}?${params.toString()}${withoutUserInfo.slice(queryEnd)}`;
}

/** pino `redact` paths: a second line of defence behind the request serializer, which drops headers altogether. */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'authorization',
  'apiKey',
  'api_key',
  '*.apiKey',
  '*.authorization',
];
