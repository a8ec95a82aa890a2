import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { AbortReason } from '@asr/asr';
import { OPEN_TENANT, WebhookSecrets } from '@asr/auth';
import { AppConfig } from '@asr/config';
import type { Job, WebhookAttempt } from './job';
import { JobStore } from './job-store';
import type { jobView } from './job-view';
import { discard, requestPinned } from './pinned-http';
import { TargetPolicy } from './target-policy';
import { WebhookPayloads } from './webhook-payloads';

const POLL_MS = 250;
/** When a webhook whose receiver already has WEBHOOK_PER_HOST deliveries in flight is due again. */
const BUSY_RECEIVER_DEFER_MS = 1000;

/** The body of a job's webhook call: a Standard Webhooks event (Deepgram callbacks have their own: WebhookPayloads). */
export interface WebhookEvent {
  type: 'job.succeeded' | 'job.failed';
  timestamp: string;
  data: ReturnType<typeof jobView>;
}

/** Scheme, host and port: what WEBHOOK_PER_HOST counts per. */
function receiverOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/**
 * Delivers job webhooks from the store (so a restart loses none): a POST with the job's summary (WebhookPayloads), signed the
 * Standard Webhooks way (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of
 * "id.timestamp.body" keyed with the submitting key's webhook secret>`, derived from SECRET_KEY for that key alone);
 * a receiver rejects stale timestamps against replay. Anything but
 * a 2xx is retried after WEBHOOK_RETRY_BASE_S, doubling, up to WEBHOOK_MAX_ATTEMPTS; every attempt is on the job.
 *
 * Up to WEBHOOK_CONCURRENCY deliveries are in flight at once, at most WEBHOOK_PER_HOST to one receiver, each cut
 * at WEBHOOK_TIMEOUT_S: a receiver that hangs holds its own share of slots, never every slot.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('webhooks');
  private timer: NodeJS.Timeout | undefined;
  private claiming = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly perReceiver = new Map<string, number>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly store: JobStore,
    private readonly policy: TargetPolicy,
    private readonly secrets: WebhookSecrets,
    private readonly config: AppConfig,
    private readonly payloads: WebhookPayloads,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.deliverDue(), POLL_MS);
  }

  /** Deliveries in flight are cut and put back due (no attempt counted): the next start sends them again. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.stopping.abort(new AbortReason('shutdown'));
    await Promise.allSettled([...this.inFlight]);
  }

  private async deliverDue(): Promise<void> {
    if (this.claiming || this.stopping.signal.aborted) return;
    this.claiming = true;
    try {
      const { webhookConcurrency, webhookPerHost, webhookTimeoutS } = this.config.jobs;
      const holdMs = (webhookTimeoutS + 5) * 1000;
      while (!this.stopping.signal.aborted && this.inFlight.size < webhookConcurrency) {
        const job = await this.store.claimWebhook(Date.now(), holdMs);
        if (!job) break;
        const receiver = receiverOf(job.webhook!.url);
        if ((this.perReceiver.get(receiver) ?? 0) >= webhookPerHost) {
          await this.store.deferWebhook(job.id, Date.now() + BUSY_RECEIVER_DEFER_MS);
          continue;
        }
        this.start(job, receiver);
      }
    } catch (error) {
      this.logger.error({ err: error }, 'webhook delivery failed');
    } finally {
      this.claiming = false;
    }
  }

  private start(job: Job, receiver: string): void {
    this.perReceiver.set(receiver, (this.perReceiver.get(receiver) ?? 0) + 1);
    const delivery = this.deliver(job)
      .catch((error: unknown) => this.logger.error({ err: error, job: job.id }, 'webhook delivery failed'))
      .finally(() => {
        const left = (this.perReceiver.get(receiver) ?? 1) - 1;
        if (left > 0) this.perReceiver.set(receiver, left);
        else this.perReceiver.delete(receiver);
        this.inFlight.delete(delivery);
        void this.deliverDue();
      });
    this.inFlight.add(delivery);
  }

  private async deliver(job: Job): Promise<void> {
    const webhook = job.webhook!;
    const attempt: WebhookAttempt = { at: new Date().toISOString() };
    const timeoutS = this.config.jobs.webhookTimeoutS;
    // One timer for the whole attempt: the lookup, connecting, sending the body and the receiver's answer.
    const timeout = AbortSignal.timeout(timeoutS * 1000);
    const signal = AbortSignal.any([this.stopping.signal, timeout]);
    try {
      const target = await this.policy.pick(webhook.url, 'webhook_url', signal);
      const body = JSON.stringify(await this.payloads.bodyOf(job, attempt.at));
      const response = await requestPinned(target, {
        method: 'POST',
        signal,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'asr-api-service webhooks',
          ...this.signatureHeaders(job, body),
        },
        body,
      });
      const status = response.statusCode ?? 0;
      // The status is the answer; the receiver's body is never read.
      discard(response);
      attempt.status = status;
      if (status < 200 || status >= 300) attempt.error = `the receiver answered HTTP ${status}`;
    } catch (error) {
      if (this.stopping.signal.aborted) {
        await this.store.deferWebhook(job.id, Date.now());
        return;
      }
      attempt.error = timeout.aborted
        ? `the receiver did not answer within WEBHOOK_TIMEOUT_S=${timeoutS} s`
        : error instanceof Error
          ? error.message
          : String(error);
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

  /**
   * The Standard Webhooks headers for `body`, signed with the secret of the job's key (what that key reads from
   * GET /api/v1/auth/webhook-secret), never with SECRET_KEY itself.
   */
  private signatureHeaders(job: Job, body: string): Record<string, string> {
    const signer = new StandardWebhook(this.secrets.keyFor(job.tenant ?? OPEN_TENANT), { format: 'raw' });
    const id = `msg_${job.id}`;
    const now = new Date();
    return {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': signer.sign(id, now, body),
    };
  }
}
