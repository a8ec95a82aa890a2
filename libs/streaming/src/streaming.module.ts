import { Module } from '@nestjs/common';
import { AuthModule } from '@asr/auth';
import { StreamingController } from './streaming.controller';
import { StreamingGateway } from './streaming.gateway';
import { StreamingService } from './streaming.service';
import { StreamingStats, streamingMetricProviders } from './streaming-stats';

/** Live transcription over WebSocket at /api/v1/stream, its health and its stats. */
@Module({
  imports: [AuthModule],
  controllers: [StreamingController],
  providers: [...streamingMetricProviders, StreamingStats, StreamingService, StreamingGateway],
  exports: [StreamingService],
})
export class StreamingModule {}
