import type { IncomingMessage } from 'node:http';
import { type OnGatewayConnection, WebSocketGateway } from '@nestjs/websockets';
import type { WebSocket } from 'ws';
import { StreamingService } from '../streaming.service';
import { REALTIME_PATH } from './realtime-protocol';

/** `wss://host/v1/realtime?intent=transcription`: OpenAI Realtime transcription sessions (docs/asyncapi-realtime.yaml). */
@WebSocketGateway({ path: REALTIME_PATH })
export class RealtimeGateway implements OnGatewayConnection {
  constructor(private readonly streaming: StreamingService) {}

  handleConnection(socket: WebSocket, request: IncomingMessage): void {
    void this.streaming.open(socket, request);
  }
}
