import type { IncomingMessage } from 'node:http';
import { type OnGatewayConnection, WebSocketGateway } from '@nestjs/websockets';
import type { WebSocket } from 'ws';
import { STREAM_PATH } from './native-protocol';
import { StreamingService } from './streaming.service';

/** `ws(s)://host/api/v1/stream`: every connection becomes a session (see docs/asyncapi.yaml). */
@WebSocketGateway({ path: STREAM_PATH })
export class StreamingGateway implements OnGatewayConnection {
  constructor(private readonly streaming: StreamingService) {}

  handleConnection(socket: WebSocket, request: IncomingMessage): void {
    void this.streaming.open(socket, request);
  }
}
