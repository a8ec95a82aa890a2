import IORedis from 'ioredis';
import { jobsConfig, leaseOf, newJob } from '../../../test/support/job-builders';
import { behavesAsAJobStore } from '../../../test/support/job-store-contract';
import { type RedisServer, startRedis } from '../../../test/support/redis';
import { JobFiles } from './job-files';
import { JobStore } from './job-store';
import { jobStoreProvider } from './job-store.factory';
import { RedisJobStore } from './redis-job-store';
import { SqliteJobStore } from './sqlite-job-store';

/**
 * Long enough that no case outlives its BullMQ lock; short because BullMQ's stalled check (every LEASE_MS / 2) can
 * leave its timer running after a store closes moments after it opened, holding the test process that long.
 */
const LEASE_MS = 3000;

/** One redis-server for the whole file; each case starts from an empty database. */
let redis: RedisServer;
let admin: IORedis;

beforeAll(async () => {
  redis = await startRedis();
  admin = new IORedis(redis.url);
});

afterAll(async () => {
  await admin.quit();
  await redis.stop();
});

describe('RedisJobStore against a real redis-server', () => {
  behavesAsAJobStore(async () => {
    await admin.flushall();
    return new RedisJobStore(redis.url, LEASE_MS);
  });
});

describe('RedisJobStore', () => {
  it('keeps a job queued in BullMQ until it is claimed, and drops it from the queue when cancelled', async () => {
    await admin.flushall();
    const store = new RedisJobStore(redis.url, LEASE_MS);
    try {
      const [kept, dropped] = [newJob(), newJob()];
      await store.create(kept, 10);
      await store.create(dropped, 10);
      await store.cancel(dropped.id);
      // A second process (another replica) takes from the same queue.
      const replica = new RedisJobStore(redis.url, LEASE_MS);
      try {
        expect((await replica.claim(leaseOf('host-b:202:bbbb')))?.id).toBe(kept.id);
        expect(await replica.claim(leaseOf('host-b:202:bbbb'))).toBeUndefined();
      } finally {
        await replica.close();
      }
    } finally {
      await store.close();
    }
  });
});

describe('jobStoreProvider', () => {
  const build = (env: Record<string, string>): JobStore => {
    const config = jobsConfig(env);
    if (!('useFactory' in jobStoreProvider)) throw new Error('jobStoreProvider is expected to be a factory');
    return jobStoreProvider.useFactory(new JobFiles(config), config) as JobStore;
  };

  it('chooses Redis when REDIS_URL is set, SQLite under AUDIO_STORAGE_PATH otherwise', async () => {
    const sqlite = build({});
    expect(sqlite).toBeInstanceOf(SqliteJobStore);
    expect(sqlite.kind).toBe('sqlite');
    await sqlite.close();
    const onRedis = build({ REDIS_URL: redis.url, JOBS_LEASE_S: String(LEASE_MS / 1000) });
    try {
      expect(onRedis).toBeInstanceOf(RedisJobStore);
      // Commands wait for the connection; readiness (ping) says down until it is there.
      expect((await onRedis.countByStatus()).queued).toBe(0);
      await expect(onRedis.ping()).resolves.toBeUndefined();
    } finally {
      await onRedis.close();
    }
  });
});
