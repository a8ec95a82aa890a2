import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gauge, Histogram } from 'prom-client';
import { type AppConfig, loadConfigOrThrow, type RawEnvironment } from '@asr/config';
import type { FinishedChunk, JobResult, JobStatus } from '../../libs/jobs/src/job';
import type { JobStore, Lease, NewJob } from '../../libs/jobs/src/job-store';
import { JobsMetrics } from '../../libs/jobs/src/jobs-metrics';
import { waitFor } from './wait';

/** A validated configuration (defaults plus `env`) whose storage lies in a fresh temp directory. */
export function jobsConfig(env: RawEnvironment = {}, dir = mkdtempSync(join(tmpdir(), 'asr-jobs-'))): AppConfig {
  return loadConfigOrThrow(
    { AUDIO_STORAGE_PATH: join(dir, 'audio'), TEMP_STORAGE_PATH: join(dir, 'tmp'), ...env },
    dir,
  );
}

let jobNumber = 0;

/** A submission as the service makes it; ids count up, so creation order is also id order. */
export function newJob(overrides: Partial<NewJob> = {}): NewJob {
  jobNumber += 1;
  return {
    id: `job-${String(jobNumber).padStart(4, '0')}`,
    tenant: 'team-a',
    options: { language: 'en', wordTimestamps: false },
    source: { filename: 'talk.wav', bytes: 1000 },
    ...overrides,
  };
}

/** A runner's lease: `host:pid:random`, as runners write it. */
export function leaseOf(owner = 'host-a:101:aaaa', ttlMs = 60_000): Lease {
  return { owner, ttlMs };
}

export function finishedChunk(start: number, end: number, text: string): FinishedChunk {
  return { start, end, language: 'en', segments: [{ id: 0, start, end, text }] };
}

export function jobResult(text = 'hello world'): JobResult {
  return {
    transcript: { text, language: 'en', duration: 2, segments: [{ id: 0, start: 0, end: 2, text }] },
    provider: 'scripted',
    model: 'scripted-model',
    processingMs: 12,
  };
}

/** The jobs' metrics on their own registry-less instruments, readable by the test. */
export function jobsMetrics(): {
  metrics: JobsMetrics;
  jobs: Gauge<string>;
  duration: Histogram<string>;
  queueDepth: Gauge<string>;
} {
  const jobs = new Gauge({ name: 'asr_jobs', help: 'jobs', labelNames: ['status'], registers: [] });
  const duration = new Histogram({
    name: 'asr_job_duration_seconds',
    help: 'd',
    labelNames: ['status'],
    registers: [],
  });
  const queueDepth = new Gauge({ name: 'asr_job_queue_depth', help: 'q', registers: [] });
  return { metrics: new JobsMetrics(jobs, duration, queueDepth), jobs, duration, queueDepth };
}

/** How many jobs finished with `status`, as the duration histogram counted them. */
export async function finishedCount(duration: Histogram<string>, status: JobStatus): Promise<number> {
  const { values } = await duration.get();
  return values.find((v) => v.metricName?.endsWith('_count') && v.labels.status === status)?.value ?? 0;
}

/** Polls the store (every 5 ms) until the job is in one of `statuses`; returns it then. */
export async function untilStatus(store: JobStore, id: string, ...statuses: JobStatus[]): Promise<void> {
  const reached = async (): Promise<boolean> => {
    const job = await store.get(id);
    return job !== undefined && statuses.includes(job.status);
  };
  await waitFor(reached, {
    what: `job ${id} to be ${statuses.join(' or ')}`,
    timeoutMs: 5000,
    everyMs: 5,
  });
}
