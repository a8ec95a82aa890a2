import { mkdirSync } from 'node:fs';
import type { Provider } from '@nestjs/common';
import { JobFiles } from './job-files';
import { JobStore } from './job-store';
import { SqliteJobStore } from './sqlite-job-store';

/** The one place the job store is chosen. */
export const jobStoreProvider: Provider = {
  provide: JobStore,
  inject: [JobFiles],
  useFactory: (files: JobFiles): JobStore => {
    mkdirSync(files.root, { recursive: true });
    return new SqliteJobStore(files.database);
  },
};
