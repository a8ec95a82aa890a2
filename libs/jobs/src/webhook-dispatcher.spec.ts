import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { WebhookSecrets } from '@asr/auth';
import type { RawEnvironment } from '@asr/config';
import { fakeOnly } from '../../../test/support/fake-timers';
import { jobResult, jobsConfig, leaseOf, newJob } from '../../../test/support/job-builders';
import { waitFor } from '../../../test/support/wait';
import type { Job } from './job';
import { JobFiles } from './job-files';
import type { JobStore } from './job-store';
import { SqliteJobStore } from './sqlite-job-store';
import { TargetPolicy } from './target-policy';
import { WebhookDispatcher, type WebhookEvent } from './webhook-dispatcher';
import { WebhookPayloads } from './webhook-payloads';

/** What the receiver does with one request: answer with a status, or hold it until the test lets it go. */
type Reply = number | 'hold';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP receiver on 127.0.0.1 that answers from a script and counts requests open at once. */
class Receiver {
  readonly received: Received[] = [];
  open = 0;
  maxOpen = 0;
  private readonly held: ServerResponse[] = [];
  private readonly server: Server;

  constructor(private readonly replies: (index: number) => Reply) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const index = this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString() }) - 1;
        this.open += 1;
        this.maxOpen = Math.max(this.maxOpen, this.open);
        res.on('close', () => (this.open -= 1));
        const reply = this.replies(index);
        if (reply === 'hold') this.held.push(res);
        else res.writeHead(reply).end('ignored');
      });
    });
  }

  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  release(status = 204): void {
    for (const res of this.held.splice(0)) res.writeHead(status).end();
  }

  async stop(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const SECRET_KEY = 'a-test-secret-key-of-thirty-two-characters';
const BASE_S = 0.01;

interface Harness {
  store: JobStore;
  dispatcher: WebhookDispatcher;
  secrets: WebhookSecrets;
  /** Stores a job that finished (succeeded unless `failed`) with its webhook due now; returns its id. */
  finished(url: string, failed?: boolean): Promise<string>;
  webhook(id: string): Promise<NonNullable<Job['webhook']>>;
  /**
   * Polls (every 5 ms of real time) until `condition`, moving the dispatcher's clock on by 250 ms (one poll) each
   * time no delivery is in flight: a delivery in flight is held in the store well past now, and the clock stands
   * still under it, so the times it records are exact.
   */
  driveUntil(condition: () => boolean | Promise<boolean>, what: string): Promise<void>;
}

/** A claimed webhook is held for WEBHOOK_TIMEOUT_S + 5 s; a retry or a busy receiver's deferral is due sooner. */
const HELD_MS = 5000;

function harness(env: RawEnvironment = {}): Harness {
  const config = jobsConfig({
    SECRET_KEY,
    WEBHOOK_RETRY_BASE_S: String(BASE_S),
    // Generous, so a loaded machine never turns a slow answer into a timeout; the timeout case sets its own.
    WEBHOOK_TIMEOUT_S: '2',
    WEBHOOK_MAX_ATTEMPTS: '3',
    ...env,
  });
  const store = new SqliteJobStore(':memory:');
  const secrets = new WebhookSecrets(config);
  const payloads = new WebhookPayloads(store, new JobFiles(config));
  const dispatcher = new WebhookDispatcher(store, new TargetPolicy(['127.0.0.1']), secrets, config, payloads);
  const lease = leaseOf();
  const ids: string[] = [];
  const webhook = async (id: string): Promise<NonNullable<Job['webhook']>> => (await store.get(id))!.webhook!;
  const inFlight = async (): Promise<boolean> => {
    const now = Date.now();
    const webhooks = await Promise.all(ids.map(webhook));
    return webhooks.some((w) => w.state === 'pending' && (w.nextAttemptAt ?? 0) - now > HELD_MS);
  };
  return {
    store,
    dispatcher,
    secrets,
    webhook,
    driveUntil: (condition, what) =>
      waitFor(
        async () => {
          if (await condition()) return true;
          if (!(await inFlight())) jest.advanceTimersByTime(250);
          return false;
        },
        { what, timeoutMs: 5000, everyMs: 5 },
      ),
    finished: async (url, failed = false) => {
      const job = newJob({ webhookUrl: url });
      ids.push(job.id);
      await store.create(job, 100);
      await store.claim(lease, () => false);
      const outcome = failed ? { error: { code: 'provider_error', message: 'no' } } : { result: jobResult() };
      await store.finish(job.id, lease.owner, outcome, true);
      return job.id;
    },
  };
}

describe('WebhookDispatcher', () => {
  const receivers: Receiver[] = [];
  const dispatchers: WebhookDispatcher[] = [];

  async function receiver(replies: (index: number) => Reply): Promise<[Receiver, string]> {
    const started = new Receiver(replies);
    receivers.push(started);
    return [started, await started.start()];
  }

  function running(env?: RawEnvironment): Harness {
    const h = harness(env);
    dispatchers.push(h.dispatcher);
    h.dispatcher.onApplicationBootstrap();
    return h;
  }

  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  beforeEach(() => {
    // The dispatcher's poll and the clock it schedules retries by are the test's; sockets and timeouts are real.
    fakeOnly('Date', 'setInterval', 'clearInterval');
  });

  afterEach(async () => {
    for (const dispatcher of dispatchers.splice(0)) await dispatcher.beforeApplicationShutdown();
    for (const started of receivers.splice(0)) await started.stop();
    jest.useRealTimers();
  });

  it.each([
    [false, 'job.succeeded'],
    [true, 'job.failed'],
  ] as const)('POSTs the job signed with its own key’s secret (failed: %s → %s)', async (failed, type) => {
    const [hooks, url] = await receiver(() => 204);
    const h = running();
    const id = await h.finished(url, failed);
    await h.driveUntil(async () => (await h.webhook(id)).state === 'delivered', 'the delivery');

    expect(hooks.received).toHaveLength(1);
    const { headers, body } = hooks.received[0]!;
    expect(headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'asr-api-service webhooks',
      'webhook-id': `msg_${id}`,
    });
    const event = new Webhook(h.secrets.shownFor('team-a')).verify(
      body,
      headers as Record<string, string>,
    ) as WebhookEvent;
    expect(event.type).toBe(type);
    expect(event.data).toMatchObject({ id, status: failed ? 'failed' : 'succeeded' });
    expect(Number(headers['webhook-timestamp'])).toBe(Math.floor(Date.parse(event.timestamp) / 1000));
    // Another key's secret does not verify it.
    expect(() => new Webhook(h.secrets.shownFor('team-b')).verify(body, headers as Record<string, string>)).toThrow();
    const webhook = await h.webhook(id);
    expect(webhook.attempts).toEqual([{ at: event.timestamp, status: 204 }]);
    expect(webhook.nextAttemptAt).toBeUndefined();
  });

  it('retries anything but a 2xx after WEBHOOK_RETRY_BASE_S, doubling, and gives up after WEBHOOK_MAX_ATTEMPTS', async () => {
    const [hooks, url] = await receiver(() => 503);
    const h = running();
    const id = await h.finished(url);
    for (const attempt of [1, 2]) {
      await h.driveUntil(async () => (await h.webhook(id)).attempts.length === attempt, `attempt ${attempt}`);
      const webhook = await h.webhook(id);
      expect(webhook.state).toBe('pending');
      const last = webhook.attempts[attempt - 1]!;
      expect(last).toMatchObject({ status: 503, error: 'the receiver answered HTTP 503' });
      expect(webhook.nextAttemptAt! - Date.parse(last.at)).toBe(BASE_S * 1000 * 2 ** (attempt - 1));
    }
    await h.driveUntil(async () => (await h.webhook(id)).state === 'failed', 'giving up');
    expect((await h.webhook(id)).attempts).toHaveLength(3);
    expect(hooks.received).toHaveLength(3);
  });

  it('cuts a receiver that does not answer at WEBHOOK_TIMEOUT_S, and tries again', async () => {
    const [hooks, url] = await receiver((index) => (index === 0 ? 'hold' : 200));
    const h = running({ WEBHOOK_TIMEOUT_S: '0.1' });
    const id = await h.finished(url);
    await h.driveUntil(async () => (await h.webhook(id)).state === 'delivered', 'the second attempt');
    const { attempts } = await h.webhook(id);
    expect(attempts.map((a) => a.error ?? a.status)).toEqual([
      'the receiver did not answer within WEBHOOK_TIMEOUT_S=0.1 s',
      200,
    ]);
    expect(hooks.received).toHaveLength(2);
  });

  it('records a target the policy refuses, or one that refuses the connection, as a failed attempt', async () => {
    const [, url] = await receiver(() => 204);
    const closed = new Receiver(() => 204);
    const gone = await closed.start();
    await closed.stop();
    const h = running({ WEBHOOK_MAX_ATTEMPTS: '1' });
    const refused = await h.finished('http://10.1.2.3/hooks');
    const unreachable = await h.finished(gone);
    const fine = await h.finished(url);
    await h.driveUntil(async () => (await h.webhook(fine)).state === 'delivered', 'the good delivery');
    await h.driveUntil(async () => (await h.webhook(unreachable)).state === 'failed', 'the refused connection');
    await h.driveUntil(async () => (await h.webhook(refused)).state === 'failed', 'the refused target');
    expect((await h.webhook(refused)).attempts[0]!.error).toMatch(/^webhook_url: this address is not allowed/);
    expect((await h.webhook(unreachable)).attempts[0]!.error).toMatch(/ECONNREFUSED/);
  });

  it('keeps WEBHOOK_CONCURRENCY deliveries in flight, at most WEBHOOK_PER_HOST to one receiver', async () => {
    const [slow, slowUrl] = await receiver((index) => (index < 2 ? 'hold' : 204));
    const [other, otherUrl] = await receiver(() => 'hold');
    const h = running({ WEBHOOK_CONCURRENCY: '3', WEBHOOK_PER_HOST: '2' });
    const toSlow = [await h.finished(slowUrl), await h.finished(slowUrl), await h.finished(slowUrl)];
    const toOther = await h.finished(otherUrl);
    await h.driveUntil(() => slow.open === 2 && other.open === 1, 'three deliveries in flight');
    // Two are held while in flight (WEBHOOK_TIMEOUT_S + 5 s); the third was put back for a second later, with no
    // attempt counted.
    const webhooks = await Promise.all(toSlow.map((id) => h.webhook(id)));
    expect(webhooks.map((w) => w.nextAttemptAt! - Date.now()).sort((a, b) => a - b)).toEqual([1000, 7000, 7000]);
    expect(webhooks.flatMap((w) => w.attempts)).toEqual([]);

    slow.release();
    other.release();
    for (const id of [...toSlow, toOther]) {
      await h.driveUntil(async () => (await h.webhook(id)).state === 'delivered', `delivery of ${id}`);
    }
    expect(slow.maxOpen).toBe(2);
    expect(slow.received).toHaveLength(3);
    expect(other.received).toHaveLength(1);
  });

  it('at shutdown cuts deliveries in flight and puts them back due, with no attempt counted', async () => {
    const [hooks, url] = await receiver(() => 'hold');
    const h = harness();
    h.dispatcher.onApplicationBootstrap();
    const id = await h.finished(url);
    await h.driveUntil(() => hooks.open === 1, 'the delivery to start');
    const before = Date.now();
    await h.dispatcher.beforeApplicationShutdown();
    const webhook = await h.webhook(id);
    expect(webhook).toMatchObject({ state: 'pending', attempts: [] });
    expect(webhook.nextAttemptAt).toBe(before);
    // Stopped: its poll sends nothing more.
    jest.advanceTimersByTime(1000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(hooks.received).toHaveLength(1);
  });
});
