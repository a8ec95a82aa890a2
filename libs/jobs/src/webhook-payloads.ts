import { Injectable } from '@nestjs/common';
import { listenCallbackBody } from './deepgram/listen-callback';
import type { Job } from './job';
import { JobFiles } from './job-files';
import { JobStore } from './job-store';
import { jobView } from './job-view';
import type { WebhookEvent } from './webhook-dispatcher';

/**
 * What a finished job's webhook says: a Standard Webhooks event with the job's summary, or, for a job submitted
 * as a Deepgram request with a `callback`, the body Deepgram sends its callbacks (the response itself).
 */
@Injectable()
export class WebhookPayloads {
  constructor(
    private readonly store: JobStore,
    private readonly files: JobFiles,
  ) {}

  async bodyOf(job: Job, at: string): Promise<object> {
    if (job.options.deepgram)
      return listenCallbackBody(
        job,
        job.status === 'succeeded' ? await this.store.result(job.id) : undefined,
        await this.files.readDigest(job.id),
      );
    const event: WebhookEvent = {
      type: job.status === 'succeeded' ? 'job.succeeded' : 'job.failed',
      timestamp: at,
      data: jobView(job),
    };
    return event;
  }
}
