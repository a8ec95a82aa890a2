import { readFileSync } from 'node:fs';
import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AppConfig } from '@asr/config';

/**
 * The Node server under Fastify: plain HTTP, or HTTPS when TLS_CERT_FILE and TLS_KEY_FILE are set. The WebSocket
 * adapter upgrades on this same server, so with TLS every live protocol is `wss:` on the same port (the `openai`
 * SDK's realtime client dials nothing else). Under API_WORKERS each worker builds its own from the same files; the
 * primary hands out raw TCP connections, and the handshake happens in the worker.
 */
export function createListener(config: AppConfig, handler: RequestListener): Server | HttpsServer {
  // A client that trickles its headers, or its body, is cut off instead of holding a connection (408). Node
  // checks these every `connectionsCheckingInterval` (30 s by default): once a second keeps the limits honest.
  const limits: ServerOptions = {
    headersTimeout: config.api.headersTimeoutS * 1000,
    requestTimeout: config.api.requestTimeoutS * 1000,
    connectionsCheckingInterval: 1000,
  };
  const tls = config.api.tls;
  if (!tls) return createServer(limits, handler);
  return createHttpsServer(
    {
      ...limits,
      // Config only checked the files: key material stays out of AppConfig, which half the app is given.
      cert: readFileSync(tls.certFile),
      key: readFileSync(tls.keyFile),
      // The headers timeout starts once the handshake is done: a peer that opens a socket and never completes the
      // handshake is cut off as soon as a slow sender of headers would be (Node's default is 120 s).
      handshakeTimeout: config.api.headersTimeoutS * 1000,
    },
    handler,
  );
}
