/** Query parameters that carry credentials (stream tokens, api keys): their values never reach a log line. */
const SECRET_QUERY_PARAMS = /^(token|access_token|api_key|apikey|key|secret|signature)$/i;

export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart < 0) return url;
  const params = new URLSearchParams(url.slice(queryStart + 1));
  for (const name of [...params.keys()]) {
    if (SECRET_QUERY_PARAMS.test(name)) params.set(name, '[REDACTED]');
  }
  return `${url.slice(0, queryStart)}?${params.toString()}`;
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
