import { randomBytes } from 'node:crypto';
import { Agent as HttpAgent, type IncomingMessage, request as httpRequest, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { escapeFormName } from './multipart-wav';

/** What the OpenAI SDK's `fetch` option is called with and answers. */
export type FetchLike = (url: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Statuses whose response has no body (a Response refuses one). */
const NO_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * The OpenAI SDK's HTTP transport for remote providers: node:http(s) with keep-alive agents, the multipart body of a
 * transcription sent as one buffer. Measured against the default (undici's fetch, which streams a FormData body
 * through web streams): about 0.7 ms less CPU per call and a third of the event-loop turns, which live streams feel
 * at every final (docs/benchmarks.md, bench/request-path.mjs). Everything else stays the SDK's: the request it
 * builds, its timeout and abort (through `signal`), its errors and response parsing. A body this does not know
 * (a stream) goes to the global fetch unchanged.
 */
export function nodeHttpFetch(): FetchLike {
  // An idle socket goes after 4 s (as undici's do), or sooner when the server's Keep-Alive hint says so: reusing one
  // the server is closing at that moment would fail the request with a reset.
  const keepAlive = { keepAlive: true, timeout: 4000 };
  const agents = { 'http:': new HttpAgent(keepAlive), 'https:': new HttpsAgent(keepAlive) };
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const body = await bodyBytes(init.body);
    if (input instanceof Request || body === UNKNOWN || !(url.protocol === 'http:' || url.protocol === 'https:')) {
      return fetch(input, init);
    }
    const headers = new Headers(init.headers);
    // Answers are read as they come: none compressed (fetch would decode one; this does not).
    if (!headers.has('accept-encoding')) headers.set('accept-encoding', 'identity');
    if (body) {
      if (body.type) headers.set('content-type', body.type);
      headers.set('content-length', String(body.bytes.length));
    }
    const response = await send(url, {
      agent: agents[url.protocol],
      method: init.method ?? 'GET',
      headers: Object.fromEntries(headers),
      ...(init.signal && { signal: init.signal }),
      body: body?.bytes,
    });
    // A redirect (an http → https or trailing-slash one in front of a provider) is followed as fetch follows it:
    // the request is made again through fetch, which has the rules for each status (its body is bytes: it can be).
    if (REDIRECTS.has(response.status) && response.headers.has('location')) return fetch(input, init);
    return response;
  };
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

interface Outgoing extends RequestOptions {
  body: Buffer | undefined;
}

/**
 * One request; resolves with the whole response once its body has arrived. Aborted (the SDK's timeout, or the
 * caller's signal) at any point: an AbortError, what the SDK reads as a timeout or a cancel. A failure before the
 * answer's headers: the system error (the SDK's APIConnectionError, which may be retried). One while the answer's body
 * arrives: a response whose body fails to read, as fetch gives it, so the call is not retried (the server did the
 * work).
 */
function send(url: URL, { body, ...options }: Outgoing): Promise<Response> {
  return new Promise((resolve, reject) => {
    const aborted = (): boolean => options.signal?.aborted === true;
    const abortError = (): DOMException => new DOMException('The request was aborted', 'AbortError');
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (error) => {
        if (aborted()) reject(abortError());
        else resolve(toResponse(response, failingBody(error), false));
      });
      response.on('end', () => resolve(toResponse(response, Buffer.concat(chunks), options.method === 'HEAD')));
    });
    request.on('error', (error) => reject(aborted() ? abortError() : error));
    request.end(body);
  });
}

/** A body that fails when read, with `error`. */
function failingBody(error: Error): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (controller) => controller.error(error) });
}

function toResponse(message: IncomingMessage, bytes: Buffer | ReadableStream<Uint8Array>, head: boolean): Response {
  const status = message.statusCode ?? 502;
  const headers = new Headers();
  for (let i = 0; i + 1 < message.rawHeaders.length; i += 2)
    headers.append(message.rawHeaders[i]!, message.rawHeaders[i + 1]!);
  const empty = head || NO_BODY_STATUSES.has(status);
  return new Response(empty ? null : bytes, { status, statusText: message.statusMessage ?? '', headers });
}

/** A body this transport cannot send as bytes: the global fetch takes it. */
const UNKNOWN = Symbol('unknown body');

/** The request body as bytes, with the content type it implies (multipart's carries its boundary). */
async function bodyBytes(
  body: RequestInit['body'],
): Promise<{ bytes: Buffer; type?: string } | undefined | typeof UNKNOWN> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return { bytes: Buffer.from(body) };
  if (body instanceof FormData) return multipart(body);
  if (body instanceof URLSearchParams) {
    return { bytes: Buffer.from(body.toString()), type: 'application/x-www-form-urlencoded;charset=UTF-8' };
  }
  if (body instanceof Blob)
    return { bytes: Buffer.from(await body.arrayBuffer()), ...(body.type && { type: body.type }) };
  if (body instanceof ArrayBuffer) return { bytes: Buffer.from(body) };
  if (ArrayBuffer.isView(body)) return { bytes: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
  return UNKNOWN;
}

/** multipart/form-data (RFC 7578), its field names and file names escaped as the WHATWG encoder does. */
async function multipart(form: FormData): Promise<{ bytes: Buffer; type: string }> {
  const boundary = `----asr-api-${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [name, value] of form.entries()) {
    const disposition = `--${boundary}\r\nContent-Disposition: form-data; name="${escapeFormName(name)}"`;
    if (typeof value === 'string') {
      parts.push(Buffer.from(`${disposition}\r\n\r\n${value}\r\n`));
      continue;
    }
    const type = value.type || 'application/octet-stream';
    parts.push(
      Buffer.from(`${disposition}; filename="${escapeFormName(value.name)}"\r\nContent-Type: ${type}\r\n\r\n`),
    );
    parts.push(Buffer.from(await value.arrayBuffer()), Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { bytes: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}
