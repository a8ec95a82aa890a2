import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { type Caller, WebhookSecrets } from '@asr/auth';
import { AppConfig } from '@asr/config';
import { ApiError } from '@asr/observability';
import {
  normaliseLanguage,
  type SpooledUpload,
  toSrt,
  toText,
  toVerboseJson,
  toVtt,
  allWords,
} from '@asr/transcription';
import { FINAL_STATUSES, type Job, type JobOptions, type JobSource, type JobStatus } from './job';
import { JobFiles } from './job-files';
import { JobRunner } from './job-runner';
import { JobStore } from './job-store';
import { type JobView, jobView } from './job-view';
import type { JobUploadFields, ResultFormat } from './jobs.dto';
import { JobStorageQuota } from './job-storage-quota';
import { TargetPolicy } from './target-policy';

/** Retry-After for a full queue: long enough for a job or two to finish. */
const QUEUE_FULL_RETRY_S = 30;
/** Retry-After while the job store is unreachable. */
const STORE_DOWN_RETRY_S = 10;

export interface FormattedResult {
  body: string | object;
  contentType: string;
}

/**
 * Submitting, reading and cancelling jobs; the controller and the CLI's HTTP calls come through here. Every job
 * belongs to the caller's tenant (its key): a caller sees only its own jobs — others' are 404, as if they did not
 * exist — unless it is an admin (API_ADMIN_KEYS, or anyone on an open server).
 */
@Injectable()
export class JobsService {
  constructor(
    private readonly store: JobStore,
    private readonly files: JobFiles,
    private readonly runner: JobRunner,
    private readonly policy: TargetPolicy,
    private readonly secrets: WebhookSecrets,
    private readonly quota: JobStorageQuota,
    private readonly config: AppConfig,
  ) {}

  /** `extra`: options a compatible API adds (Deepgram's response shape for its callback). */
  async submitUpload(
    caller: Caller,
    upload: SpooledUpload,
    fields: JobUploadFields,
    extra: Pick<JobOptions, 'deepgram'> = {},
  ): Promise<JobView> {
    await this.available();
    const id = randomUUID();
    const options = { ...(await this.prepare(fields)), ...extra };
    await this.quota.admit(caller.tenant, upload.bytes);
    await this.files.adoptUpload(id, upload.path);
    return this.enqueue(caller, id, options, { filename: upload.filename, bytes: upload.bytes }, fields.webhook_url);
  }

  async submitUrl(
    caller: Caller,
    url: string,
    fields: Omit<JobUploadFields, 'file'>,
    extra: Pick<JobOptions, 'deepgram'> = {},
  ): Promise<JobView> {
    if (!this.config.jobs.allowUrls) {
      throw new ApiError(
        400,
        'urls_disabled',
        'this server does not fetch audio from URLs (JOBS_ALLOW_URLS=false); upload the file as multipart "file"',
      );
    }
    await this.policy.check(url, 'url');
    await this.available();
    const options = { ...(await this.prepare(fields)), ...extra };
    await this.quota.admit(caller.tenant, 0);
    return this.enqueue(caller, randomUUID(), options, { url }, fields.webhook_url);
  }

  async get(caller: Caller, id: string): Promise<Job> {
    await this.available();
    return this.find(caller, id);
  }

  async list(
    caller: Caller,
    offset: number,
    limit: number,
    status?: JobStatus,
  ): Promise<{ jobs: JobView[]; total: number }> {
    await this.available();
    const page = await this.store.list(offset, limit, status, caller.admin ? undefined : caller.tenant);
    return { jobs: page.jobs.map(jobView), total: page.total };
  }

  async result(caller: Caller, id: string, format: ResultFormat): Promise<FormattedResult> {
    const job = await this.get(caller, id);
    if (job.status !== 'succeeded') {
      const why = job.error ? `: ${job.error.message}` : '';
      throw new ApiError(
        409,
        'job_not_finished',
        `job ${id} is ${job.status}${why}; its result exists once it has succeeded`,
      );
    }
    const result = (await this.store.result(id))!;
    const { transcript } = result;
    switch (format) {
      case 'json':
        return {
          contentType: 'application/json; charset=utf-8',
          body: {
            job_id: id,
            ...transcript,
            ...(job.options.wordTimestamps ? { words: allWords(transcript) } : {}),
            provider: result.provider,
            model: result.model,
            processing_ms: result.processingMs,
          },
        };
      case 'verbose_json':
        return {
          contentType: 'application/json; charset=utf-8',
          body: toVerboseJson(transcript, new Set(job.options.wordTimestamps ? ['word', 'segment'] : ['segment'])),
        };
      case 'srt':
        return { contentType: 'application/x-subrip; charset=utf-8', body: toSrt(transcript) };
      case 'vtt':
        return { contentType: 'text/vtt; charset=utf-8', body: toVtt(transcript) };
      case 'text':
        return { contentType: 'text/plain; charset=utf-8', body: toText(transcript) };
    }
  }

  async cancel(caller: Caller, id: string): Promise<JobView> {
    await this.available();
    // Looked up first: a cancel of another tenant's job must change nothing (and say only 404).
    await this.find(caller, id);
    const before = await this.store.cancel(id);
    if (before === undefined) await this.find(caller, id);
    if (before && FINAL_STATUSES.has(before)) {
      throw new ApiError(
        409,
        'job_finished',
        `job ${id} already ${before}; only queued or running jobs can be cancelled`,
      );
    }
    this.runner.abortLocal(id);
    return jobView(await this.find(caller, id));
  }

  /** The job, or 404 when there is none or it is another tenant's (the answers are the same on purpose). */
  private async find(caller: Caller, id: string): Promise<Job> {
    const job = await this.store.get(id);
    if (!job || !(caller.admin || job.tenant === caller.tenant))
      throw new ApiError(404, 'job_not_found', `no job ${id} (finished jobs are kept JOBS_RETENTION_HOURS)`);
    return job;
  }

  /** A store that does not answer (Redis down, storage broken) is a 503 at once, not a request left hanging. */
  private async available(): Promise<void> {
    try {
      await this.store.ping();
    } catch (error) {
      throw new ApiError(
        503,
        'jobs_unavailable',
        `the job store does not answer (${error instanceof Error ? error.message : String(error)}); try again later`,
        { 'retry-after': String(STORE_DOWN_RETRY_S) },
      );
    }
  }

  /** Validates what every submission shares; refuses a webhook the server could not sign or may not call. */
  private async prepare(fields: Omit<JobUploadFields, 'file'>): Promise<JobOptions> {
    if (fields.webhook_url !== undefined) {
      if (!this.secrets.available) {
        throw new ApiError(
          400,
          'webhooks_unavailable',
          'webhooks are signed with keys derived from SECRET_KEY and this server has none set; submit without webhook_url and poll',
        );
      }
      await this.policy.check(fields.webhook_url, 'webhook_url');
    }
    return {
      language: normaliseLanguage(fields.language),
      prompt: fields.prompt,
      wordTimestamps: fields.timestamps === 'word',
      ...(fields.keep_audio === 'true' ? { keepAudio: true } : {}),
    };
  }

  private async enqueue(
    caller: Caller,
    id: string,
    options: JobOptions,
    source: JobSource,
    webhookUrl?: string,
  ): Promise<JobView> {
    const created = await this.store.create(
      { id, tenant: caller.tenant, options, source, webhookUrl },
      this.config.jobs.maxQueued,
    );
    if (!created) {
      await this.files.remove(id);
      throw new ApiError(
        503,
        'queue_full',
        `${this.config.jobs.maxQueued} jobs are already waiting (JOBS_MAX_QUEUED); try again later`,
        { 'retry-after': String(QUEUE_FULL_RETRY_S) },
      );
    }
    this.runner.wake();
    return jobView((await this.store.get(id))!);
  }
}
