import { Module } from '@nestjs/common';
import { ClusterChannel, workerPort } from './cluster-channel';
import { MetricsController } from './metrics.controller';

/** The channel to the primary of `API_WORKERS` (a worker's own process when there is none). */
@Module({
  providers: [{ provide: ClusterChannel, useFactory: () => new ClusterChannel(workerPort()) }],
  exports: [ClusterChannel],
})
export class ClusterModule {}

/** `/metrics`, answering for every worker under `API_WORKERS`; the app imports it, the libs need only the channel. */
@Module({ imports: [ClusterModule], controllers: [MetricsController] })
export class ClusterMetricsModule {}
