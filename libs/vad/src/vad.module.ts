import { Module } from '@nestjs/common';
import { DefaultVadBackendLoader, VadBackendLoader } from './vad-backend-loader';
import { VadService, vadMetricProviders } from './vad.service';

/** The VAD backend, its shared batcher and its metrics; loaded before the app starts listening. */
@Module({
  providers: [...vadMetricProviders, { provide: VadBackendLoader, useClass: DefaultVadBackendLoader }, VadService],
  exports: [VadService],
})
export class VadModule {}
