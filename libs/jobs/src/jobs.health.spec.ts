import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leaseOf, newJob } from '../../../test/support/job-builders';
import { JobsHealth } from './jobs.health';
import { SqliteJobStore } from './sqlite-job-store';

describe('JobsHealth', () => {
  it('is up with the store it uses and the jobs waiting and running', async () => {
    const store = new SqliteJobStore(':memory:');
    for (const job of [newJob(), newJob(), newJob()]) await store.create(job, 10);
    await store.claim(leaseOf(), () => false);
    expect(await new JobsHealth(store).checkHealth()).toEqual({ status: 'up', store: 'sqlite', queued: 2, running: 1 });
  });

  it('is down, saying why, when the store does not answer', async () => {
    const blocker = join(mkdtempSync(join(tmpdir(), 'asr-health-')), 'a-file');
    writeFileSync(blocker, '');
    const health = await new JobsHealth(new SqliteJobStore(join(blocker, 'jobs.sqlite'))).checkHealth();
    expect(health).toMatchObject({ status: 'down', store: 'sqlite' });
    expect(health.message).toMatch(/^the job store does not answer: EEXIST/);
  });
});
