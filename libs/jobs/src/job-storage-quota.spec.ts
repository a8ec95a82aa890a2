import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import type { RawEnvironment } from '@asr/config';
import { jobsConfig, newJob } from '../../../test/support/job-builders';
import { JobFiles } from './job-files';
import { JobStorageQuota, StorageQuotaError } from './job-storage-quota';
import { SqliteJobStore } from './sqlite-job-store';

const KIB = 1024;
/** 256 KiB once written as 16-bit samples. */
const BLOCK_SAMPLES = 128 * KIB;

function harness(env: RawEnvironment) {
  const config = jobsConfig(env);
  const store = new SqliteJobStore(':memory:');
  const files = new JobFiles(config);
  /** A job of `tenant` holding `bytes` on disk; returns its id. */
  const jobHolding = async (tenant: string, bytes: number): Promise<string> => {
    const job = newJob({ tenant });
    await store.create(job, 100);
    await mkdir(files.directory(job.id), { recursive: true });
    await writeFile(files.input(job.id), Buffer.alloc(bytes));
    return job.id;
  };
  return { quota: new JobStorageQuota(store, files, config), files, jobHolding };
}

/** How many of `count` blocks a capped decode passes before it fails, writing each to the job's audio file. */
async function blocksPassed(
  h: ReturnType<typeof harness>,
  id: string,
  tenant: string,
  count: number,
): Promise<{ passed: number; error?: unknown }> {
  async function* decoded(): AsyncGenerator<Float32Array> {
    // As a decoder gives them: one block at a time, each when it is ready.
    for (let i = 0; i < count; i += 1) yield await Promise.resolve(new Float32Array(BLOCK_SAMPLES));
  }
  let passed = 0;
  try {
    for await (const block of h.quota.capped(decoded(), tenant)) {
      await appendFile(h.files.audio(id), Buffer.alloc(block.length * 2));
      passed += 1;
    }
    return { passed };
  } catch (error) {
    return { passed, error };
  }
}

describe('JobStorageQuota', () => {
  it('sets no limit when JOBS_STORAGE_QUOTA_MB is 0', async () => {
    const h = harness({ JOBS_STORAGE_QUOTA_MB: '0' });
    const id = await h.jobHolding('team-a', 10 * KIB);
    expect(await h.quota.remaining('team-a')).toBe(Infinity);
    await expect(h.quota.admit('team-a', 10 ** 12)).resolves.toBeUndefined();
    expect(await blocksPassed(h, id, 'team-a', 8)).toEqual({ passed: 8 });
  });

  it("counts what the key's own jobs hold on disk, and nobody else's", async () => {
    const h = harness({ JOBS_STORAGE_QUOTA_MB: '1' });
    await h.jobHolding('team-a', 300 * KIB);
    await h.jobHolding('team-a', 100 * KIB);
    await h.jobHolding('team-b', 900 * KIB);
    expect(await h.quota.remaining('team-a')).toBe(1024 * KIB - 400 * KIB);
    expect(await h.quota.remaining('team-c')).toBe(1024 * KIB);
  });

  it.each([
    ['a submission that fits', 600 * KIB, undefined],
    ['one byte too many', 624 * KIB + 1, /already hold 0.4 MB of JOBS_STORAGE_QUOTA_MB=1/],
  ])('admits %s, refuses more', async (_, bytes, refusal) => {
    const h = harness({ JOBS_STORAGE_QUOTA_MB: '1' });
    await h.jobHolding('team-a', 400 * KIB);
    const admitted = h.quota.admit('team-a', bytes);
    if (refusal) await expect(admitted).rejects.toThrow(refusal);
    else await expect(admitted).resolves.toBeUndefined();
  });

  it('refuses even an empty submission (a URL job) once the quota is used up', async () => {
    const h = harness({ JOBS_STORAGE_QUOTA_MB: '1' });
    await h.jobHolding('team-a', 1024 * KIB);
    await expect(h.quota.admit('team-a', 0)).rejects.toBeInstanceOf(StorageQuotaError);
  });

  it.each([
    ['a key with nothing else stored', 0, 0, 4],
    ["a key whose job's input already holds half", 512 * KIB, 0, 2],
    ["a key beside another key's large job", 0, 900 * KIB, 4],
  ])('fails the decode of %s where it would pass the quota', async (_, inputBytes, otherBytes, passed) => {
    const h = harness({ JOBS_STORAGE_QUOTA_MB: '1' });
    const id = await h.jobHolding('team-a', inputBytes);
    await h.jobHolding('team-b', otherBytes);
    const outcome = await blocksPassed(h, id, 'team-a', 8);
    expect(outcome.passed).toBe(passed);
    expect(outcome.error).toBeInstanceOf(StorageQuotaError);
    expect(outcome.error).toMatchObject({ code: 'storage_quota_exceeded' });
  });
});
