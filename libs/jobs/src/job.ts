import type { Transcript } from '@asr/asr';
import type { FinishedChunk } from '@asr/transcription';
import type { ListenResponseOptions } from './deepgram/listen-options';

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** A job in one of these states never changes again (only retention deletes it). */
export const FINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled']);

/** What the submitter asked for; the same fields as a REST transcription. */
export interface JobOptions {
  language?: string;
  prompt?: string;
  wordTimestamps: boolean;
  /** Keep the input and decoded audio after the job succeeds (they count against the key's storage quota). */
  keepAudio?: boolean;
  /** Submitted through Deepgram's POST /v1/listen with a `callback`: the callback gets Deepgram's response shape. */
  deepgram?: ListenResponseOptions;
}

/** Where the audio came from: an upload (its file name) or a URL the runner fetches. */
export interface JobSource {
  filename?: string;
  url?: string;
  bytes?: number;
}

export interface JobError {
  code: string;
  message: string;
}

export interface WebhookAttempt {
  /** ISO time of the attempt. */
  at: string;
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  error?: string;
}

export type WebhookState = 'pending' | 'delivered' | 'failed';

export interface Webhook {
  url: string;
  state: WebhookState;
  attempts: WebhookAttempt[];
  /** When the next attempt is due (ms since the epoch), while pending. */
  nextAttemptAt?: number;
}

/** One job as stored. Times are ms since the epoch. */
export interface Job {
  id: string;
  status: JobStatus;
  /** The key (its name) that submitted the job, OPEN_TENANT on an open server; absent for jobs stored before tenancy. */
  tenant?: string;
  options: JobOptions;
  source: JobSource;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** Seconds of audio in the recording, known once it is decoded. */
  durationS?: number;
  /** Seconds of the recording transcribed so far (the end of the last finished chunk). */
  doneS: number;
  /** How many times a runner started on it (more than one: it was resumed after a restart). */
  runs: number;
  /** Which process runs it (`host:pid`), while it runs. */
  runner?: string;
  error?: JobError;
  webhook?: Webhook;
}

/** A finished job's transcript, with who made it. */
export interface JobResult {
  transcript: Transcript;
  provider: string;
  model: string;
  processingMs: number;
}

export type { FinishedChunk };

/** `host:pid` of a lease owner `host:pid:random`. */
export function runnerOf(owner: string): string {
  return owner.split(':').slice(0, 2).join(':');
}
