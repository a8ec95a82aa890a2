import type { IncomingHttpHeaders } from 'node:http';

/** The live protocols, each reading its own clients' credentials where those clients send them. */
export type LiveProtocolName = 'native' | 'realtime' | 'deepgram';

/** What a handshake presents: nothing, one credential, or something that cannot be read as one (and why). */
export type PresentedCredential =
  { kind: 'none' } | { kind: 'credential'; value: string } | { kind: 'malformed'; reason: string };

/** OpenAI's browser SDK offers `realtime` then this prefix followed by the (ephemeral) key. */
const OPENAI_KEY_PROTOCOL = 'openai-insecure-api-key.';
/** Deepgram's browser SDK offers the pair `token`, `<key>` (or `bearer`, `<short-lived token>`). */
const DEEPGRAM_MARKERS = new Set(['token', 'bearer']);

export const MALFORMED_AUTHORIZATION = 'the Authorization header must be "Bearer <API key>" or "Token <API key>"';

/** The key a request presents: `Authorization: Bearer <key>`, `Authorization: Token <key>` or `X-API-Key: <key>`. */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (authorization) {
    const match = /^(?:Bearer|Token)\s+(\S+)\s*$/i.exec(authorization);
    return match ? match[1] : undefined;
  }
  const header = headers['x-api-key'];
  return typeof header === 'string' && header.trim() ? header.trim() : undefined;
}

/** The subprotocols a handshake offers, in order (Node joins repeated headers with commas). */
export function offeredSubprotocols(headers: IncomingHttpHeaders): string[] {
  const header = headers['sec-websocket-protocol'];
  if (header === undefined) return [];
  return header
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

function subprotocolCredential(protocol: 'realtime' | 'deepgram', offered: readonly string[]): PresentedCredential {
  if (protocol === 'realtime') {
    const keys = offered.filter((name) => name.startsWith(OPENAI_KEY_PROTOCOL));
    if (keys.length === 0) return { kind: 'none' };
    if (keys.length > 1)
      return {
        kind: 'malformed',
        reason: `give one "${OPENAI_KEY_PROTOCOL}<key>" subprotocol (${keys.length} offered)`,
      };
    const value = keys[0]!.slice(OPENAI_KEY_PROTOCOL.length);
    return value
      ? { kind: 'credential', value }
      : { kind: 'malformed', reason: `the "${OPENAI_KEY_PROTOCOL}" subprotocol carries no key` };
  }
  const markers = offered.flatMap((name, index) => (DEEPGRAM_MARKERS.has(name.toLowerCase()) ? [index] : []));
  if (markers.length === 0) return { kind: 'none' };
  if (markers.length > 1)
    return { kind: 'malformed', reason: 'give one credential pair ("token", "<key>") in the subprotocols' };
  const value = offered[markers[0]! + 1];
  return value === undefined
    ? { kind: 'malformed', reason: `the "${offered[markers[0]!]}" subprotocol must be followed by the key` }
    : { kind: 'credential', value };
}

/**
 * The one credential an OpenAI Realtime or Deepgram handshake presents: in a header (servers and SDKs in Node) or in
 * the subprotocols (browsers, which cannot set headers). Both at once are refused: which one was checked would be
 * left to whoever reads the request next.
 */
export function handshakeCredential(
  protocol: 'realtime' | 'deepgram',
  headers: IncomingHttpHeaders,
): PresentedCredential {
  const key = presentedKey(headers);
  if (headers.authorization !== undefined && key === undefined)
    return { kind: 'malformed', reason: MALFORMED_AUTHORIZATION };
  const offered = subprotocolCredential(protocol, offeredSubprotocols(headers));
  if (key === undefined) return offered;
  if (offered.kind !== 'none')
    return {
      kind: 'malformed',
      reason: 'send one credential: the Authorization header or the subprotocols, not both',
    };
  return { kind: 'credential', value: key };
}
