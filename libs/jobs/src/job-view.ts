import { roundSeconds } from '@asr/audio';
import type { Job, WebhookAttempt } from './job';

/** A job as the API, the CLI and webhooks show it: times as ISO strings, progress in seconds of audio. */
export interface JobView {
  id: string;
  status: Job['status'];
  created_at: string;
  started_at?: string;
  finished_at?: string;
  progress: { done_seconds: number; total_seconds?: number; fraction?: number };
  runs: number;
  runner?: string;
  options: { language?: string; prompt?: string; timestamps: 'segment' | 'word' };
  source: Job['source'];
  error?: Job['error'];
  webhook?: {
    url: string;
    state: string;
    attempts: WebhookAttempt[];
    next_attempt_at?: string;
  };
  links: { self: string; result: string; events: string };
}

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

export function jobView(job: Job): JobView {
  const total = job.durationS;
  return {
    id: job.id,
    status: job.status,
    created_at: iso(job.createdAt)!,
    ...(job.startedAt !== undefined ? { started_at: iso(job.startedAt) } : {}),
    ...(job.finishedAt !== undefined ? { finished_at: iso(job.finishedAt) } : {}),
    progress: {
      done_seconds: roundSeconds(job.doneS),
      ...(total !== undefined
        ? { total_seconds: roundSeconds(total), fraction: total > 0 ? Math.min(1, roundSeconds(job.doneS / total)) : 1 }
        : {}),
    },
    runs: job.runs,
    ...(job.runner ? { runner: job.runner } : {}),
    options: {
      ...(job.options.language ? { language: job.options.language } : {}),
      ...(job.options.prompt ? { prompt: job.options.prompt } : {}),
      timestamps: job.options.wordTimestamps ? 'word' : 'segment',
    },
    source: job.source,
    ...(job.error ? { error: job.error } : {}),
    ...(job.webhook
      ? {
          webhook: {
            url: job.webhook.url,
            state: job.webhook.state,
            attempts: job.webhook.attempts,
            ...(job.webhook.nextAttemptAt !== undefined ? { next_attempt_at: iso(job.webhook.nextAttemptAt) } : {}),
          },
        }
      : {}),
    links: {
      self: `/api/v1/jobs/${job.id}`,
      result: `/api/v1/jobs/${job.id}/result`,
      events: `/api/v1/jobs/${job.id}/events`,
    },
  };
}
