import type { IncomingMessage } from 'node:http';
import { type OnGatewayConnection, WebSocketGateway } from '@nestjs/websockets';
import type { WebSocket } from 'ws';
import { StreamingService } from '../streaming.service';
import { DEEPGRAM_LISTEN_PATH } from './deepgram-protocol';

/** `ws(s)://host/v1/listen`: Deepgram's live API; every connection becomes a session (docs/asyncapi-deepgram.yaml). */
@WebSocketGateway({ path: DEEPGRAM_LISTEN_PATH })
export class DeepgramGateway implements OnGatewayConnection {
  constructor(private readonly streaming: StreamingService) {}

  handleConnection(socket: WebSocket, request: IncomingMessage): void {
    void this.streaming.open(socket, request);
  }
}
