import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { leaseOf, newJob } from '../../../test/support/job-builders';
import { behavesAsAJobStore } from '../../../test/support/job-store-contract';
import { SqliteJobStore } from './sqlite-job-store';

const scratch = (): string => mkdtempSync(join(tmpdir(), 'asr-sqlite-store-'));

describe('SqliteJobStore (in memory)', () => {
  behavesAsAJobStore(() => Promise.resolve(new SqliteJobStore(':memory:')));
});

describe('SqliteJobStore takes over orphans', () => {
  const first = leaseOf('host-a:101:aaaa', 60_000);
  const second = leaseOf('host-b:202:bbbb', 60_000);
  let store: SqliteJobStore;

  beforeEach(() => {
    store = new SqliteJobStore(':memory:');
  });

  afterEach(() => store.close());

  it('takes a running job whose lease ran out, ahead of the queue, and counts the new start', async () => {
    const [orphan, waiting] = [newJob(), newJob()];
    await store.create(orphan, 10);
    await store.claim(leaseOf(first.owner, 1), () => false);
    await store.create(waiting, 10);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await store.claim(second, () => false)).toMatchObject({ id: orphan.id, runs: 2, runner: 'host-b:202' });
    expect((await store.claim(second, () => false))?.id).toBe(waiting.id);
  });

  it('takes a job whose holder is dead at once, never one it holds itself or a live holder does', async () => {
    const job = newJob();
    await store.create(job, 10);
    await store.claim(first, () => false);
    const asked: string[] = [];
    expect(await store.claim(second, (owner) => (asked.push(owner), false))).toBeUndefined();
    expect(asked).toEqual([first.owner]);
    expect(await store.claim(first, () => true)).toBeUndefined();
    expect(await store.claim(second, (owner) => owner === first.owner)).toMatchObject({ id: job.id, runs: 2 });
  });

  it('ignores a release or a finish from a runner that lost the job to another', async () => {
    const job = newJob();
    await store.create(job, 10);
    await store.claim(first, () => false);
    await store.claim(second, (owner) => owner === first.owner);
    await store.release(job.id, first.owner);
    expect(await store.finish(job.id, first.owner, { error: { code: 'late', message: 'too late' } }, true)).toBe(false);
    expect(await store.get(job.id)).toMatchObject({ status: 'running', runner: 'host-b:202' });
  });
});

describe('SqliteJobStore on disk', () => {
  it('creates its directory on first use, and two stores on one file see the same jobs (API_WORKERS)', async () => {
    const file = join(scratch(), 'nested', 'jobs.sqlite');
    const one = new SqliteJobStore(file);
    const two = new SqliteJobStore(file);
    const job = newJob();
    await one.create(job, 10);
    expect((await two.claim(leaseOf(), () => false))?.id).toBe(job.id);
    expect((await one.get(job.id))?.status).toBe('running');
    await Promise.all([one.close(), two.close()]);
    // Closed stores open again when next used.
    expect((await one.get(job.id))?.runs).toBe(1);
    await one.close();
  });

  it('adds the tenant column to a database of an older release; its jobs belong to no tenant', async () => {
    const file = join(scratch(), 'jobs.sqlite');
    const old = new Database(file);
    old.exec(`CREATE TABLE jobs (id TEXT PRIMARY KEY, status TEXT NOT NULL, options TEXT NOT NULL, source TEXT NOT NULL,
      created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER, duration_s REAL,
      done_s REAL NOT NULL DEFAULT 0, runs INTEGER NOT NULL DEFAULT 0, error TEXT, result TEXT, owner TEXT,
      lease_until INTEGER, webhook_url TEXT, webhook_state TEXT, webhook_attempts TEXT NOT NULL DEFAULT '[]',
      webhook_next_at INTEGER)`);
    old
      .prepare(`INSERT INTO jobs (id, status, options, source, created_at) VALUES ('old-job', 'queued', ?, '{}', 1)`)
      .run(JSON.stringify({ wordTimestamps: false }));
    old.close();

    const store = new SqliteJobStore(file);
    const job = await store.get('old-job');
    expect(job).toMatchObject({ id: 'old-job', status: 'queued', createdAt: 1 });
    expect(job).not.toHaveProperty('tenant');
    const fresh = newJob({ tenant: 'team-c' });
    await store.create(fresh, 10);
    expect(await store.tenantJobIds('team-c')).toEqual([fresh.id]);
    await store.close();
    // Opening it again (another process, a restart) finds the column there already.
    const again = new SqliteJobStore(file);
    expect((await again.get(fresh.id))?.tenant).toBe('team-c');
    await again.close();
  });

  it('reports a storage problem when used, not when built', async () => {
    const blocker = join(scratch(), 'a-file');
    writeFileSync(blocker, 'not a directory');
    const store = new SqliteJobStore(join(blocker, 'jobs.sqlite'));
    await expect(async () => store.ping()).rejects.toThrow(/EEXIST|ENOTDIR/);
    await store.close();
  });
});
