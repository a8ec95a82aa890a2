import type { IncomingMessage } from 'node:http';
import { Logger } from '@nestjs/common';
import { type OnGatewayConnection, WebSocketGateway } from '@nestjs/websockets';
import type { WebSocket } from 'ws';
import { CLOSE, emptySessionStats } from './protocol';
import { StreamingService } from './streaming.service';

export const STREAM_PATH = '/api/v1/stream';

/** `ws(s)://host/api/v1/stream`: every connection becomes a session (see docs/asyncapi.yaml). */
@WebSocketGateway({ path: STREAM_PATH })
export class StreamingGateway implements OnGatewayConnection {
  private readonly logger = new Logger('Streaming');

  constructor(private readonly streaming: StreamingService) {}

  handleConnection(socket: WebSocket, request: IncomingMessage): void {
    // Unhandled, a rejection here would end the process (Node's default): it ends this connection instead.
    this.streaming.open(socket, request).catch((error: unknown) => this.failed(socket, error));
  }

  private failed(socket: WebSocket, error: unknown): void {
    this.logger.error({ err: error }, 'stream session could not be opened');
    try {
      if (socket.readyState !== socket.OPEN) return;
      socket.send(
        JSON.stringify({
          type: 'error',
          code: 'server_error',
          message: 'the server failed opening this stream; it is logged',
          fatal: true,
        }),
      );
      socket.send(JSON.stringify({ type: 'session.closed', reason: 'server_error', stats: emptySessionStats() }));
      socket.close(CLOSE.internalError, 'server_error');
    } catch {
      socket.terminate();
    }
  }
}
