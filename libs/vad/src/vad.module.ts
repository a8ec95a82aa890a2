import { Global, Module } from '@nestjs/common';
import { StreamingHealthController } from './streaming-health.controller';
import { VadService, vadMetricProviders } from './vad.service';

/** The VAD backend, its shared batcher and its metrics; loaded before the app starts listening. */
@Global()
@Module({
  controllers: [StreamingHealthController],
  providers: [...vadMetricProviders, VadService],
  exports: [VadService],
})
export class VadModule {}
