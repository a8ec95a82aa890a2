import { Module } from '@nestjs/common';
import { AsrProviderModule } from '@asr/asr';
import { AuthModule } from '@asr/auth';
import { ClusterChannel, ClusterModule } from '@asr/cluster';
import { AppConfig } from '@asr/config';
import { VadModule } from '@asr/vad';
import { DeepgramGateway } from './deepgram/deepgram.gateway';
import { DeepgramProtocol } from './deepgram/deepgram-protocol';
import { type LiveProtocol, LiveProtocols } from './live-protocol';
import { NativeProtocol } from './native-protocol';
import { RealtimeGateway } from './realtime/realtime.gateway';
import { RealtimeProtocol } from './realtime/realtime-protocol';
import { StreamSlots, streamSlotsFor } from './stream-slots';
import { StreamingController } from './streaming.controller';
import { StreamingGateway } from './streaming.gateway';
import { StreamingService } from './streaming.service';
import { StreamingStats, streamingMetricProviders } from './streaming-stats';

/** Live transcription over WebSocket: the native protocol at /api/v1/stream, its health and its stats. */
@Module({
  imports: [AuthModule, VadModule, AsrProviderModule, ClusterModule],
  controllers: [StreamingController],
  providers: [
    ...streamingMetricProviders,
    StreamingStats,
    { provide: StreamSlots, inject: [AppConfig, ClusterChannel], useFactory: streamSlotsFor },
    NativeProtocol,
    DeepgramProtocol,
    RealtimeProtocol,
    // Every protocol the server speaks; each has its gateway (its path) and its handshake.
    {
      provide: LiveProtocols,
      inject: [NativeProtocol, DeepgramProtocol, RealtimeProtocol],
      useFactory: (...all: LiveProtocol[]) => new LiveProtocols(all),
    },
    StreamingService,
    StreamingGateway,
    DeepgramGateway,
    RealtimeGateway,
  ],
  exports: [StreamingService],
})
export class StreamingModule {}
