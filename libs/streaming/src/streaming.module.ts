import { Module } from '@nestjs/common';
import { AsrProviderModule } from '@asr/asr';
import { AuthModule } from '@asr/auth';
import { ClusterChannel, ClusterModule } from '@asr/cluster';
import { AppConfig } from '@asr/config';
import { VadModule } from '@asr/vad';
import { StreamSlots, streamSlotsFor } from './stream-slots';
import { StreamingController } from './streaming.controller';
import { StreamingGateway } from './streaming.gateway';
import { StreamingService } from './streaming.service';
import { StreamingStats, streamingMetricProviders } from './streaming-stats';

/** Live transcription over WebSocket at /api/v1/stream, its health and its stats. */
@Module({
  imports: [AuthModule, VadModule, AsrProviderModule, ClusterModule],
  controllers: [StreamingController],
  providers: [
    ...streamingMetricProviders,
    StreamingStats,
    { provide: StreamSlots, inject: [AppConfig, ClusterChannel], useFactory: streamSlotsFor },
    StreamingService,
    StreamingGateway,
  ],
  exports: [StreamingService],
})
export class StreamingModule {}
