import type { IncomingMessage } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { WebSocketServer } from 'ws';
import type { HandshakeVerdict } from './live-protocol';

export interface StreamWsAdapterOptions {
  /** Frames above this are cut by `ws` itself (1009 without a message); the session's own, lower limit speaks first. */
  hardMaxPayload: number;
  verify: (request: IncomingMessage) => HandshakeVerdict;
}

/** Subprotocols that name a protocol, not a credential: the one echoed back when a client offers it. */
const PROTOCOL_NAMES = ['realtime', 'token', 'bearer'];
/** OpenAI's browser credential: never echoed. */
const CREDENTIAL_PREFIX = 'openai-insecure-api-key.';

/**
 * The subprotocol the server answers with. Browsers put credentials in subprotocols (OpenAI's
 * `openai-insecure-api-key.<key>`, Deepgram's `token`, `<key>`), and the answer is a response header proxies and
 * logs keep: a protocol name is echoed when one was offered, never a credential. Otherwise the first entry that is
 * not OpenAI's credential; an offer of nothing else gets no subprotocol (a browser then fails the handshake, which
 * is better than a key in a response header).
 */
export function selectSubprotocol(offered: Set<string>): string | false {
  const named = PROTOCOL_NAMES.find((name) => offered.has(name));
  if (named) return named;
  return [...offered].find((entry) => !entry.startsWith(CREDENTIAL_PREFIX)) ?? false;
}

/**
 * The WebSocket adapter for the streaming API on Fastify's server: the handshake is verified before the upgrade
 * (a real HTTP 400 or 503 with the reason), frames are bounded, every frame is left to the session (the stock
 * parser would drop binary audio, and runs each frame through RxJS), and socket errors are one log line, not a
 * stack each.
 */
export class StreamWsAdapter extends WsAdapter {
  private readonly log = new Logger('StreamingSocket');

  constructor(
    app: INestApplicationContext,
    private readonly streamOptions: StreamWsAdapterOptions,
  ) {
    super(app);
  }

  override create(port: number, options: Record<string, unknown> = {}): WebSocketServer {
    return super.create(port, {
      ...options,
      maxPayload: this.streamOptions.hardMaxPayload,
      handleProtocols: selectSubprotocol,
      verifyClient: (
        info: { req: IncomingMessage },
        answer: (ok: boolean, status?: number, reason?: string, headers?: Record<string, string>) => void,
      ) => {
        let verdict: HandshakeVerdict;
        try {
          verdict = this.streamOptions.verify(info.req);
        } catch (error) {
          // Thrown here it would reach the client as the error's own text: logged instead, and a plain 500.
          this.log.error({ err: error }, 'stream handshake verification failed');
          verdict = { ok: false, status: 500, reason: 'the server failed checking this handshake; it is logged' };
        }
        if (verdict.ok) answer(true);
        else answer(false, verdict.status, verdict.reason, verdict.headers);
      },
    }) as WebSocketServer;
  }

  /**
   * No message handlers: every frame goes to its session directly. (The stock binding would still run each frame
   * through an RxJS pipeline and a parser: measurable CPU at hundreds of streams, for nothing.)
   */
  override bindMessageHandlers(): void {
    // Sessions listen to their sockets themselves.
  }

  override bindErrorHandler(server: WebSocketServer): WebSocketServer {
    server.on('connection', (socket) =>
      socket.on('error', (error: Error) => this.log.warn(`stream socket error: ${error.message}`)),
    );
    server.on('error', (error: Error) => this.log.error(`streaming server error: ${error.message}`));
    return server;
  }
}
