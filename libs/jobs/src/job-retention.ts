import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@asr/config';
import { JobFiles } from './job-files';
import { JobStore } from './job-store';

const SWEEP_MS = 10 * 60 * 1000;

/** Deletes finished jobs (record, audio, result) JOBS_RETENTION_HOURS after they finished. */
@Injectable()
export class JobRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('jobs');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: JobStore,
    private readonly files: JobFiles,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    void this.sweep();
    // A short retention (tests, small disks) is swept at its own pace.
    this.timer = setInterval(() => void this.sweep(), Math.min(SWEEP_MS, this.config.jobs.retentionS * 1000));
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async sweep(now: number = Date.now()): Promise<number> {
    try {
      const expired = await this.store.expire(now - this.config.jobs.retentionS * 1000);
      for (const id of expired) await this.files.remove(id);
      if (expired.length > 0) this.logger.log(`removed ${expired.length} expired job(s)`);
      return expired.length;
    } catch (error) {
      this.logger.error({ err: error }, 'could not remove expired jobs');
      return 0;
    }
  }
}
