import { Module } from '@nestjs/common';
import { VadService, vadMetricProviders } from './vad.service';

/** The VAD backend, its shared batcher and its metrics; loaded before the app starts listening. */
@Module({
  providers: [...vadMetricProviders, VadService],
  exports: [VadService],
})
export class VadModule {}
