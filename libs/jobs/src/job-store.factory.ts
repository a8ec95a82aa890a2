import type { Provider } from '@nestjs/common';
import { AppConfig } from '@asr/config';
import { JobFiles } from './job-files';
import { JobStore } from './job-store';
import { RedisJobStore } from './redis-job-store';
import { SqliteJobStore } from './sqlite-job-store';

/** The one place the job store is chosen: BullMQ on Redis when REDIS_URL is set, SQLite otherwise. */
export const jobStoreProvider: Provider = {
  provide: JobStore,
  inject: [JobFiles, AppConfig],
  useFactory: (files: JobFiles, config: AppConfig): JobStore => {
    if (config.jobs.redisUrl) return new RedisJobStore(config.jobs.redisUrl, config.jobs.leaseS * 1000);
    return new SqliteJobStore(files.database);
  },
};
