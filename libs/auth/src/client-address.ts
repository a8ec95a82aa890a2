import type { IncomingMessage } from 'node:http';
import proxyaddr from '@fastify/proxy-addr';

/** Whether the peer at `address`, `hop` steps from this server, may speak for the client (X-Forwarded-For). */
export type TrustProxy = (address: string, hop: number) => boolean;

/** TRUST_PROXY as one function, given to Fastify for HTTP and used for the stream's handshake, so both agree. */
export function trustProxy(setting: boolean | number | string[]): TrustProxy {
  if (setting === true) return () => true;
  if (setting === false) return () => false;
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return proxyaddr.compile(setting);
}

/** The client's address: the socket's peer, or the forwarded one when the peers in between are trusted. */
export function clientAddress(request: IncomingMessage, trust: TrustProxy): string {
  return proxyaddr(request, trust);
}
