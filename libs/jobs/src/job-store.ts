import type { FinishedChunk, Job, JobError, JobOptions, JobResult, JobSource, JobStatus, WebhookAttempt } from './job';

export interface NewJob {
  id: string;
  /** Who owns it (Caller.tenant). */
  tenant: string;
  options: JobOptions;
  source: JobSource;
  webhookUrl?: string;
}

export interface JobPage {
  jobs: Job[];
  total: number;
}

/** How a runner marks the jobs it holds: only the holder may save progress or finish a job. */
export interface Lease {
  owner: string;
  /** How long the lease lasts without a renewal, in ms. */
  ttlMs: number;
}

/**
 * Where jobs live, behind one interface: the embedded SQLite store (one machine, any number of processes) or
 * Redis. Every state change is a single atomic step, so two processes never both run one job and a cancel is
 * never overwritten by a finishing runner.
 */
export abstract class JobStore {
  abstract readonly kind: string;

  /** Adds a queued job unless `maxQueued` are already waiting; false when full. */
  abstract create(job: NewJob, maxQueued: number): Promise<boolean>;
  abstract get(id: string): Promise<Job | undefined>;
  /** Newest first; only `tenant`'s jobs when it is given (undefined: everyone's, for admins). */
  abstract list(offset: number, limit: number, status?: JobStatus, tenant?: string): Promise<JobPage>;
  /** Ids of every job `tenant` has stored (for its storage quota). */
  abstract tenantJobIds(tenant: string): Promise<string[]>;
  abstract countByStatus(): Promise<Record<JobStatus, number>>;

  /**
   * Takes the oldest queued job, or a running one whose holder is gone (its lease ran out, or `isDead` says its
   * process no longer exists), for `lease.owner`; it becomes running with `runs` increased.
   */
  abstract claim(lease: Lease, isDead: (owner: string) => boolean): Promise<Job | undefined>;
  /** Extends the lease; returns the job's status now (a runner learns of a cancel from it). */
  abstract renew(id: string, lease: Lease): Promise<JobStatus | undefined>;
  /** The holder stops working on a job that was cancelled under it; the queue lets go of it. */
  abstract forget(id: string, owner: string): Promise<void>;
  /** running → queued again for the holder (it is shutting down); finished chunks stay. */
  abstract release(id: string, owner: string): Promise<void>;
  abstract setDuration(id: string, owner: string, durationS: number): Promise<void>;
  abstract saveChunk(id: string, owner: string, index: number, chunk: FinishedChunk): Promise<void>;
  abstract chunks(id: string): Promise<FinishedChunk[]>;
  /** running → succeeded or failed, only for the holder; false when the job was cancelled (or taken) meanwhile. */
  abstract finish(
    id: string,
    owner: string,
    outcome: { result: JobResult } | { error: JobError },
    webhookDue: boolean,
  ): Promise<boolean>;
  abstract result(id: string): Promise<JobResult | undefined>;
  /** queued or running → cancelled; returns the status it had (undefined: no such job). */
  abstract cancel(id: string): Promise<JobStatus | undefined>;

  /** A job whose webhook is due, held for `holdMs` so another process does not send it at the same time. */
  abstract claimWebhook(now: number, holdMs: number): Promise<Job | undefined>;
  /** Puts a claimed webhook back, due at `at`, with no attempt recorded (its receiver was busy). */
  abstract deferWebhook(id: string, at: number): Promise<void>;
  abstract recordWebhookAttempt(
    id: string,
    attempt: WebhookAttempt,
    next: { state: 'pending'; at: number } | { state: 'delivered' | 'failed' },
  ): Promise<void>;

  /** Deletes finished jobs older than `before` (ms since the epoch); returns their ids (their files go too). */
  abstract expire(before: number): Promise<string[]>;
  /** A cheap query that proves the store answers (readiness). */
  abstract ping(): Promise<void>;
  abstract close(): Promise<void>;
}
