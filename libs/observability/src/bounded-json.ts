/**
 * Limits on JSON from clients, checked before it is parsed. `JSON.parse` itself copes with any depth, but what
 * follows it does not: `JSON.stringify`, `String(array)`, class-transformer and class-validator recurse, and a
 * stack overflow in a WebSocket listener takes the whole process down. So the depth is measured first, by a
 * loop (no recursion), and nothing deeper than `maxDepth` is ever parsed.
 */
export interface JsonBounds {
  /** Nesting of objects and arrays; `{}` and `[]` are depth 1. */
  maxDepth: number;
  /** UTF-8 bytes of the text. */
  maxBytes: number;
}

/** Every JSON document the API takes (control messages, job requests) is flat: 32 levels leave room for clients. */
export const CLIENT_JSON_MAX_DEPTH = 32;

export type JsonRefusal = { code: 'json_too_large' | 'json_too_deep' | 'invalid_json'; reason: string };

export type BoundedJsonResult = { ok: true; value: unknown } | ({ ok: false } & JsonRefusal);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
/** A parser's message quotes the input; a client sees at most this much of it. */
const MAX_REASON_CHARS = 200;

/**
 * Why `text` may not be parsed, or undefined when it is within `bounds`. Scans UTF-8 bytes (a string is encoded
 * first, once it is known to be small enough): the bytes of a multi-byte character are never ASCII, so quotes and
 * brackets are found as in the text. Exact for valid JSON; for invalid JSON it may misjudge the depth, which
 * JSON.parse then refuses anyway. About 1.2 ms per MB on one core.
 */
export function checkJsonBounds(text: string | Uint8Array, bounds: JsonBounds): JsonRefusal | undefined {
  const tooLarge: JsonRefusal = { code: 'json_too_large', reason: `JSON over ${bounds.maxBytes} bytes is refused` };
  // A string has at least as many bytes as characters: a long one is refused before it is encoded.
  if (text.length > bounds.maxBytes) return tooLarge;
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  if (bytes.length > bounds.maxBytes) return tooLarge;
  if (nestsDeeperThan(bytes, bounds.maxDepth))
    return { code: 'json_too_deep', reason: `JSON nested more than ${bounds.maxDepth} levels deep is refused` };
  return undefined;
}

/**
 * One loop over the bytes outside strings, stopping at the first level past `maxDepth`. A string is skipped in one
 * native search for its closing quote (a base64 audio string is most of a Realtime append's bytes).
 */
function nestsDeeperThan(bytes: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  for (let i = 0; i < bytes.length; i += 1) {
    const c = bytes[i];
    if (c === QUOTE) {
      i = closingQuote(bytes, i + 1);
      if (i < 0) return false;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth += 1;
      if (depth > maxDepth) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth -= 1;
    }
  }
  return false;
}

/** The index of the quote that ends the string starting at `from` (one not escaped by a backslash), or -1. */
function closingQuote(bytes: Uint8Array, from: number): number {
  for (let at = bytes.indexOf(QUOTE, from); at >= 0; at = bytes.indexOf(QUOTE, at + 1)) {
    let backslashes = 0;
    while (at - backslashes - 1 >= from && bytes[at - backslashes - 1] === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return at;
  }
  return -1;
}

/**
 * Client text to a JSON value, or why not: too large, too deep (both checked before parsing), or not JSON. Given
 * bytes (a WebSocket frame as it came), the bounds are checked on them and only then are they decoded, once.
 */
export function parseBoundedJson(text: string | Buffer, bounds: JsonBounds): BoundedJsonResult {
  const refusal = checkJsonBounds(text, bounds);
  if (refusal) return { ok: false, ...refusal };
  try {
    return { ok: true, value: JSON.parse(typeof text === 'string' ? text : text.toString('utf8')) as unknown };
  } catch (error) {
    const detail = error instanceof Error ? error.message.slice(0, MAX_REASON_CHARS) : 'unparseable';
    return { ok: false, code: 'invalid_json', reason: `not valid JSON: ${detail}` };
  }
}

/**
 * A client value for an error message, never its whole self: strings cut to `maxChars`, numbers and the like as
 * they are, objects and arrays named by their kind (stringifying a value the client chose is how the stack
 * overflow got in).
 */
export function describeClientValue(value: unknown, maxChars = 40): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > maxChars ? `${value.slice(0, maxChars)}…` : value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  if (typeof value === 'function') return 'a function';
  return String(value);
}
