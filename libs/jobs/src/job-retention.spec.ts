import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { fakeOnly } from '../../../test/support/fake-timers';
import { jobResult, jobsConfig, leaseOf, newJob } from '../../../test/support/job-builders';
import { JobFiles } from './job-files';
import { JobRetention } from './job-retention';
import type { JobStore } from './job-store';
import { SqliteJobStore } from './sqlite-job-store';

const HOUR_MS = 3_600_000;

function harness(store: JobStore = new SqliteJobStore(':memory:'), retentionHours = '1') {
  const config = jobsConfig({ JOBS_RETENTION_HOURS: retentionHours });
  const files = new JobFiles(config);
  const lease = leaseOf();
  /** A job with a file in its directory: finished (succeeded) unless `finish` is false. */
  const job = async (finish = true): Promise<string> => {
    const created = newJob();
    await store.create(created, 100);
    mkdirSync(files.directory(created.id), { recursive: true });
    writeFileSync(files.input(created.id), 'audio');
    if (finish) {
      await store.claim(lease, () => false);
      await store.finish(created.id, lease.owner, { result: jobResult() }, false);
    }
    return created.id;
  };
  return { retention: new JobRetention(store, files, config), store, files, job };
}

beforeAll(() => {
  Logger.overrideLogger(false);
});

describe('JobRetention', () => {
  it('deletes jobs finished more than JOBS_RETENTION_HOURS ago, with their files, and nothing else', async () => {
    const h = harness();
    const old = await h.job();
    const waiting = await h.job(false);
    expect(await h.retention.sweep(Date.now() + 0.5 * HOUR_MS)).toBe(0);
    expect(await h.retention.sweep(Date.now() + 2 * HOUR_MS)).toBe(1);
    expect(await h.store.get(old)).toBeUndefined();
    expect(existsSync(h.files.directory(old))).toBe(false);
    expect(await h.store.get(waiting)).toBeDefined();
    expect(existsSync(h.files.input(waiting))).toBe(true);
  });

  it('keeps going when the store cannot be read', async () => {
    const blocker = join(mkdtempSync(join(tmpdir(), 'asr-retention-')), 'a-file');
    writeFileSync(blocker, '');
    const h = harness(new SqliteJobStore(join(blocker, 'jobs.sqlite')));
    await expect(h.retention.sweep()).resolves.toBe(0);
  });

  describe('on its own timer', () => {
    beforeEach(() => fakeOnly('Date', 'setInterval', 'clearInterval'));
    afterEach(() => jest.useRealTimers());

    it('sweeps at start and then every JOBS_RETENTION_HOURS when that is short, until shutdown', async () => {
      // 0.001 h: 3.6 s.
      const h = harness(undefined, '0.001');
      const first = await h.job();
      h.retention.onApplicationBootstrap();
      await new Promise((resolve) => setImmediate(resolve));
      expect(await h.store.get(first)).toBeDefined();
      await jest.advanceTimersByTimeAsync(2 * 3600);
      expect(await h.store.get(first)).toBeUndefined();
      const second = await h.job();
      h.retention.onApplicationShutdown();
      await jest.advanceTimersByTimeAsync(4 * 3600);
      expect(await h.store.get(second)).toBeDefined();
    });
  });
});
