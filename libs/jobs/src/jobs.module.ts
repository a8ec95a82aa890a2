import { Module, type OnApplicationShutdown } from '@nestjs/common';
import { AsrProviderModule } from '@asr/asr';
import { AppConfig } from '@asr/config';
import { AudioModule } from '@asr/audio';
import { AuthModule } from '@asr/auth';
import { TranscriptionModule } from '@asr/transcription';
import { ListenController } from './deepgram/listen.controller';
import { JobFiles } from './job-files';
import { JobRetention } from './job-retention';
import { JobRunner } from './job-runner';
import { JobStorageQuota } from './job-storage-quota';
import { JobStore } from './job-store';
import { jobStoreProvider } from './job-store.factory';
import { JobsController } from './jobs.controller';
import { JobsHealth } from './jobs.health';
import { JobsMetrics, jobMetricProviders } from './jobs-metrics';
import { JobsService } from './jobs.service';
import { TargetPolicy } from './target-policy';
import { UrlFetcher } from './url-fetcher';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookPayloads } from './webhook-payloads';

/**
 * Transcription jobs for long recordings: the API, the runner, webhooks, retention and the store; and Deepgram's
 * prerecorded API, whose callbacks are jobs.
 */
@Module({
  imports: [TranscriptionModule, AudioModule, AuthModule, AsrProviderModule],
  controllers: [JobsController, ListenController],
  providers: [
    ...jobMetricProviders,
    JobsMetrics,
    JobFiles,
    jobStoreProvider,
    {
      provide: TargetPolicy,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => new TargetPolicy(config.jobs.allowedHosts),
    },
    UrlFetcher,
    JobRunner,
    WebhookPayloads,
    WebhookDispatcher,
    JobRetention,
    JobStorageQuota,
    JobsService,
    JobsHealth,
  ],
  exports: [JobsService],
})
export class JobsModule implements OnApplicationShutdown {
  constructor(private readonly store: JobStore) {}

  /** After the runner has handed its jobs back (beforeApplicationShutdown). */
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
