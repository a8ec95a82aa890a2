/** A Host header as browsers send it: a name or address with an optional port (nothing that could break CSP). */
const PLAIN_HOST = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * Headers for the demo's files. Everything the page loads comes from this server, so the policy allows nothing
 * else. `connect-src` names the WebSocket origins of this host explicitly: `'self'` covers ws:/wss: in current
 * browsers but not in every browser still in use.
 */
export function demoSecurityHeaders(host: string | undefined): Record<string, string> {
  const sockets = host && PLAIN_HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return {
    'content-security-policy': [
      "default-src 'self'",
      `connect-src 'self'${sockets}`,
      "media-src 'self' blob:",
      "img-src 'self' data:",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'permissions-policy': 'microphone=(self), camera=(), geolocation=()',
    'x-frame-options': 'DENY',
  };
}
