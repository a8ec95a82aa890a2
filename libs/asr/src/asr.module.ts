import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@asr/config';
import { AsrHealth } from './asr.health';
import { AsrMetrics, asrMetricProviders } from './asr-metrics';
import { AsrProvider } from './asr-provider';
import { createAsrProvider } from './asr-provider.factory';

/** Provides the configured AsrProvider (chosen in createAsrProvider) and releases it on shutdown. */
@Module({
  providers: [
    { provide: AsrProvider, inject: [AppConfig], useFactory: createAsrProvider },
    AsrHealth,
    AsrMetrics,
    ...asrMetricProviders,
  ],
  exports: [AsrProvider, AsrMetrics],
})
export class AsrProviderModule implements OnApplicationShutdown {
  constructor(@Inject(AsrProvider) private readonly provider: AsrProvider) {}

  async onApplicationShutdown(): Promise<void> {
    await this.provider.close();
  }
}
