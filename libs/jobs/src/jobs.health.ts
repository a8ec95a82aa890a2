import { Injectable } from '@nestjs/common';
import { type ComponentHealth, ContributesHealth, type HealthContributor } from '@asr/observability';
import { JobStore } from './job-store';

/** Readiness includes the job store: a service that cannot record jobs must not take them. */
@ContributesHealth()
@Injectable()
export class JobsHealth implements HealthContributor {
  readonly healthKey = 'jobs';

  constructor(private readonly store: JobStore) {}

  async checkHealth(): Promise<ComponentHealth> {
    try {
      await this.store.ping();
      const counts = await this.store.countByStatus();
      return { status: 'up', store: this.store.kind, queued: counts.queued, running: counts.running };
    } catch (error) {
      return {
        status: 'down',
        store: this.store.kind,
        message: `the job store does not answer: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
  }
}
