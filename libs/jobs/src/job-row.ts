import { type Job, type JobError, type JobStatus, runnerOf, type WebhookAttempt } from './job';

/** A job as both stores keep it: flat fields, JSON for the nested ones (SQLite columns, Redis hash fields). */
export interface JobRow {
  id: string;
  status: JobStatus;
  tenant: string | null;
  options: string;
  source: string;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  duration_s: number | null;
  done_s: number;
  runs: number;
  error: string | null;
  owner: string | null;
  webhook_url: string | null;
  webhook_state: 'pending' | 'delivered' | 'failed' | null;
  webhook_attempts: string;
  webhook_next_at: number | null;
}

export function toJob(row: JobRow): Job {
  return {
    id: row.id,
    status: row.status,
    ...(row.tenant !== null ? { tenant: row.tenant } : {}),
    options: JSON.parse(row.options) as Job['options'],
    source: JSON.parse(row.source) as Job['source'],
    createdAt: row.created_at,
    ...(row.started_at !== null ? { startedAt: row.started_at } : {}),
    ...(row.finished_at !== null ? { finishedAt: row.finished_at } : {}),
    ...(row.duration_s !== null ? { durationS: row.duration_s } : {}),
    doneS: row.done_s,
    runs: row.runs,
    ...(row.owner !== null && row.status === 'running' ? { runner: runnerOf(row.owner) } : {}),
    ...(row.error !== null ? { error: JSON.parse(row.error) as JobError } : {}),
    ...(row.webhook_url !== null
      ? {
          webhook: {
            url: row.webhook_url,
            state: row.webhook_state ?? 'pending',
            attempts: JSON.parse(row.webhook_attempts) as WebhookAttempt[],
            ...(row.webhook_next_at !== null && row.webhook_state === 'pending'
              ? { nextAttemptAt: row.webhook_next_at }
              : {}),
          },
        }
      : {}),
  };
}
