import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { AppConfig } from '@asr/config';
import type { Job, WebhookAttempt } from './job';
import { JobStore } from './job-store';
import { jobView } from './job-view';
import { TargetPolicy } from './target-policy';

const POLL_MS = 250;

/** The body of every webhook call: a Standard Webhooks event. */
export interface WebhookEvent {
  type: 'job.succeeded' | 'job.failed';
  timestamp: string;
  data: ReturnType<typeof jobView>;
}

/**
 * Delivers job webhooks from the store (so a restart loses none): a POST with the job's summary, signed the
 * Standard Webhooks way (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of
 * "id.timestamp.body" keyed with SECRET_KEY>`); a receiver rejects stale timestamps against replay. Anything but
 * a 2xx is retried after WEBHOOK_RETRY_BASE_S, doubling, up to WEBHOOK_MAX_ATTEMPTS; every attempt is on the job.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('webhooks');
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private readonly signer: StandardWebhook | undefined;

  constructor(
    private readonly store: JobStore,
    private readonly policy: TargetPolicy,
    private readonly config: AppConfig,
  ) {
    const key = config.security.secretKey;
    this.signer = key ? new StandardWebhook(Buffer.from(key, 'utf8'), { format: 'raw' }) : undefined;
  }

  get canSign(): boolean {
    return this.signer !== undefined;
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.deliverDue(), POLL_MS);
  }

  beforeApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async deliverDue(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const holdMs = (this.config.jobs.webhookTimeoutS + 5) * 1000;
      for (let job = await this.store.claimWebhook(Date.now(), holdMs); job;) {
        await this.deliver(job);
        job = await this.store.claimWebhook(Date.now(), holdMs);
      }
    } catch (error) {
      this.logger.error({ err: error }, 'webhook delivery failed');
    } finally {
      this.busy = false;
    }
  }

  private async deliver(job: Job): Promise<void> {
    const webhook = job.webhook!;
    const attempt: WebhookAttempt = { at: new Date().toISOString() };
    try {
      await this.policy.check(webhook.url, 'webhook_url');
      const event: WebhookEvent = {
        type: job.status === 'succeeded' ? 'job.succeeded' : 'job.failed',
        timestamp: attempt.at,
        data: jobView(job),
      };
      const body = JSON.stringify(event);
      const id = `msg_${job.id}`;
      const now = new Date();
      if (!this.signer) throw new Error('SECRET_KEY is not set; webhooks cannot be signed');
      const response = await fetch(webhook.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.jobs.webhookTimeoutS * 1000),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'asr-api-service webhooks',
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': this.signer.sign(id, now, body),
        },
        body,
      });
      attempt.status = response.status;
      await response.body?.cancel();
      if (!response.ok) attempt.error = `the receiver answered HTTP ${response.status}`;
    } catch (error) {
      attempt.error = error instanceof Error ? error.message : String(error);
    }
    const made = webhook.attempts.length + 1;
    if (!attempt.error) {
      await this.store.recordWebhookAttempt(job.id, attempt, { state: 'delivered' });
      return;
    }
    if (made >= this.config.jobs.webhookMaxAttempts) {
      this.logger.warn({ job: job.id, attempts: made, error: attempt.error }, 'webhook given up');
      await this.store.recordWebhookAttempt(job.id, attempt, { state: 'failed' });
      return;
    }
    const waitMs = this.config.jobs.webhookRetryBaseS * 1000 * 2 ** (made - 1);
    await this.store.recordWebhookAttempt(job.id, attempt, { state: 'pending', at: Date.now() + waitMs });
  }
}
