import type { LookupAddress, LookupOptions } from 'node:dns';
import { type IncomingMessage, type OutgoingHttpHeaders, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Target } from './target-policy';

export interface PinnedRequest {
  method?: 'GET' | 'POST';
  headers?: OutgoingHttpHeaders;
  body?: string;
  /** Aborts connecting, sending and, once the response is there, its body. */
  signal: AbortSignal;
}

/** A lookup that answers only the address the policy judged, whatever DNS would say now. */
function pinnedLookup(address: string, family: 4 | 6): LookupFunction {
  return (
    _hostname: string,
    options: LookupOptions,
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

/**
 * One HTTP(S) request to `target.url` connected to `target.address` and nowhere else: fetch would resolve the name
 * again, and a DNS answer that changed in between (rebinding) would reach an address the policy never judged. The
 * URL's host name still gives the Host header, TLS SNI and the certificate check. No agent: a pooled socket could be
 * connected to an earlier answer. Redirects are not followed; the response comes back as it is.
 */
export function requestPinned(target: Target, options: PinnedRequest): Promise<IncomingMessage> {
  const send = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      target.url,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        signal: options.signal,
        agent: false,
        lookup: pinnedLookup(target.address, target.family),
      },
      resolve,
    );
    request.on('error', (error) => reject(withoutAddress(error, target.url)));
    request.end(options.body);
  });
}

/**
 * Socket errors name the address dialled ("connect ECONNREFUSED 10.0.0.5:443"), and they end up in job views and
 * webhook attempts: say the URL's host instead, so no message tells a submitter what a name resolves to.
 */
function withoutAddress(error: Error, url: URL): Error {
  const { code, syscall } = error as NodeJS.ErrnoException;
  if (!code || !syscall) return error;
  return Object.assign(new Error(`${syscall} ${code} (${url.host})`), { code });
}

/** Drops a response whose body is not wanted (its errors too: the status is all that was needed). */
export function discard(response: IncomingMessage): void {
  response.on('error', () => undefined);
  response.destroy();
}
