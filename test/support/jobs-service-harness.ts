import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Caller, WebhookSecrets } from '@asr/auth';
import type { AppConfig, RawEnvironment } from '@asr/config';
import type { SpooledUpload } from '@asr/transcription';
import type { JobResult } from '../../libs/jobs/src/job';
import { JobFiles } from '../../libs/jobs/src/job-files';
import type { JobRunner } from '../../libs/jobs/src/job-runner';
import { JobStorageQuota } from '../../libs/jobs/src/job-storage-quota';
import type { JobStore } from '../../libs/jobs/src/job-store';
import { JobsService } from '../../libs/jobs/src/jobs.service';
import { SqliteJobStore } from '../../libs/jobs/src/sqlite-job-store';
import { TargetPolicy } from '../../libs/jobs/src/target-policy';
import { jobsConfig, leaseOf, newJob } from './job-builders';
import { scripted } from './scripted-resolver';

export const SECRET_KEY = 'a-test-secret-key-of-thirty-two-characters';
export const teamA: Caller = { id: 'key:team-a', authenticated: true, tenant: 'team-a', admin: false };
export const teamB: Caller = { id: 'key:team-b', authenticated: true, tenant: 'team-b', admin: false };
export const admin: Caller = { id: 'key:ops', authenticated: true, tenant: 'ops', admin: true };

/** The runner as the service uses it: told to wake, told to abort; anything else it is asked is a TypeError. */
export class RecordingRunner {
  wakes = 0;
  readonly aborted: string[] = [];
  wake(): void {
    this.wakes += 1;
  }
  abortLocal(id: string): void {
    this.aborted.push(id);
  }
}

export interface ServiceHarness {
  service: JobsService;
  store: JobStore;
  files: JobFiles;
  config: AppConfig;
  runner: RecordingRunner;
  /** A spooled upload of `bytes` bytes, as the controller hands it over. */
  upload(bytes?: number): SpooledUpload;
}

/**
 * The real JobsService over an in-memory SQLite store and a temp directory, URLs allowed (audio.example.test
 * resolves to a public address, 127.0.0.1 is allowed), webhooks signable, and a runner that only records.
 */
export function serviceHarness(
  env: RawEnvironment = {},
  store: JobStore = new SqliteJobStore(':memory:'),
): ServiceHarness {
  const config = jobsConfig({ SECRET_KEY, JOBS_ALLOW_URLS: 'true', ...env });
  const files = new JobFiles(config);
  const runner = new RecordingRunner();
  const policy = new TargetPolicy(['127.0.0.1'], scripted({ 'audio.example.test': ['93.184.216.34'] }));
  const service = new JobsService(
    store,
    files,
    runner as unknown as JobRunner,
    policy,
    new WebhookSecrets(config),
    new JobStorageQuota(store, files, config),
    config,
  );
  const spool = mkdtempSync(join(tmpdir(), 'asr-spool-'));
  let uploads = 0;
  return {
    service,
    store,
    files,
    config,
    runner,
    upload: (bytes = 1000) => {
      uploads += 1;
      const path = join(spool, `upload-${uploads}`);
      writeFileSync(path, Buffer.alloc(bytes));
      return { fields: {}, filename: 'talk.wav', bytes, path, remove: () => Promise.resolve() };
    },
  };
}

/** Takes the store's oldest queued job (it must be `id`) to the end: succeeded with a result, or failed. */
export async function finish(
  store: JobStore,
  id: string,
  outcome: { result: JobResult } | { error: { code: string; message: string } },
): Promise<void> {
  const lease = leaseOf();
  const claimed = await store.claim(lease, () => false);
  if (claimed?.id !== id) throw new Error(`expected to claim ${id}: finish jobs before queueing others`);
  await store.finish(id, lease.owner, outcome, false);
}

/** Stores a job of `tenant` and takes it to the end (see `finish`). */
export async function finishedJob(
  store: JobStore,
  tenant: string,
  outcome: { result: JobResult } | { error: { code: string; message: string } },
  wordTimestamps = false,
): Promise<string> {
  const job = newJob({ tenant, options: { wordTimestamps } });
  await store.create(job, 100);
  await finish(store, job.id, outcome);
  return job.id;
}
