import { setTimeout as sleep } from 'node:timers/promises';
import { Job as BullJob, Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';
import type { FinishedChunk, Job, JobError, JobResult, JobStatus, WebhookAttempt } from './job';
import { JOB_STATUSES } from './job';
import { type JobRow, toJob } from './job-row';
import { type JobPage, JobStore, type Lease, type NewJob } from './job-store';

const PREFIX = 'asr:jobs';
/** How long closing waits for BullMQ's own connections before they are dropped. */
const CLOSE_WAIT_MS = 2000;
const QUEUE = 'transcription-jobs';

/** Fields of a job's hash that make up the Job (the result is kept apart: it can be large). */
const FIELDS = [
  'status',
  'tenant',
  'options',
  'source',
  'created_at',
  'started_at',
  'finished_at',
  'duration_s',
  'done_s',
  'runs',
  'error',
  'owner',
  'webhook_url',
  'webhook_state',
  'webhook_next_at',
] as const;

/**
 * A conditional state change of one job, atomic in Redis: applies when the job's status is one of ARGV[3] (comma-
 * separated; empty: any) and, when ARGV[4] is set, the job is held by that owner. Sets the new status (ARGV[5])
 * with its index sets, the field/value pairs from ARGV[8] on (an empty value deletes the field), and the flags in
 * ARGV[7]: runs (count a start), started (first start time), finished (index for retention), webhook (due now,
 * when the job has one), done (progress = the whole recording). Returns {old status, 'ok'}, {old status} when
 * refused, nil for no such job.
 */
const TRANSITION = `
local p, id = ARGV[1], ARGV[2]
local rec = p .. ':rec:' .. id
local status = redis.call('HGET', rec, 'status')
if not status then return nil end
if ARGV[3] ~= '' and not string.find(',' .. ARGV[3] .. ',', ',' .. status .. ',', 1, true) then return {status} end
if ARGV[4] ~= '' and redis.call('HGET', rec, 'owner') ~= ARGV[4] then return {status} end
local now, flags = ARGV[6], ARGV[7]
for i = 8, #ARGV, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', rec, ARGV[i]) else redis.call('HSET', rec, ARGV[i], ARGV[i + 1]) end
end
if ARGV[5] ~= '' and ARGV[5] ~= status then
  redis.call('HSET', rec, 'status', ARGV[5])
  redis.call('SREM', p .. ':status:' .. status, id)
  redis.call('SADD', p .. ':status:' .. ARGV[5], id)
end
if string.find(flags, 'runs', 1, true) then redis.call('HINCRBY', rec, 'runs', 1) end
if string.find(flags, 'started', 1, true) and not redis.call('HGET', rec, 'started_at') then
  redis.call('HSET', rec, 'started_at', now)
end
if string.find(flags, 'finished', 1, true) then redis.call('ZADD', p .. ':finished', now, id) end
if string.find(flags, 'done', 1, true) then
  local total = redis.call('HGET', rec, 'duration_s')
  if total then redis.call('HSET', rec, 'done_s', total) end
end
if string.find(flags, 'webhook', 1, true) and redis.call('HGET', rec, 'webhook_url') then
  redis.call('HSET', rec, 'webhook_state', 'pending', 'webhook_next_at', now)
  redis.call('ZADD', p .. ':webhooks', now, id)
end
return {status, 'ok'}
`;

/** Adds a queued job of tenant ARGV[5] unless ARGV[3] are already queued. */
const CREATE = `
local p, id = ARGV[1], ARGV[2]
if redis.call('SCARD', p .. ':status:queued') >= tonumber(ARGV[3]) then return 0 end
local rec = p .. ':rec:' .. id
for i = 6, #ARGV, 2 do redis.call('HSET', rec, ARGV[i], ARGV[i + 1]) end
redis.call('HSET', rec, 'tenant', ARGV[5])
redis.call('SADD', p .. ':status:queued', id)
redis.call('ZADD', p .. ':created', ARGV[4], id)
redis.call('ZADD', p .. ':created:t:' .. ARGV[5], ARGV[4], id)
return 1
`;

/** The first job whose webhook is due at ARGV[2], held until ARGV[3]. */
const CLAIM_WEBHOOK = `
local p = ARGV[1]
local due = redis.call('ZRANGEBYSCORE', p .. ':webhooks', '-inf', ARGV[2], 'LIMIT', 0, 1)
if #due == 0 then return nil end
redis.call('ZADD', p .. ':webhooks', ARGV[3], due[1])
return due[1]
`;

/** Deletes jobs finished before ARGV[2] (not those with a webhook still to deliver); returns their ids. */
const EXPIRE = `
local p = ARGV[1]
local gone = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', p .. ':finished', '-inf', ARGV[2])) do
  local rec = p .. ':rec:' .. id
  if redis.call('HGET', rec, 'webhook_state') ~= 'pending' then
    local status = redis.call('HGET', rec, 'status')
    if status then redis.call('SREM', p .. ':status:' .. status, id) end
    local tenant = redis.call('HGET', rec, 'tenant')
    if tenant then redis.call('ZREM', p .. ':created:t:' .. tenant, id) end
    redis.call('DEL', rec, p .. ':chunks:' .. id, p .. ':result:' .. id, p .. ':attempts:' .. id)
    redis.call('ZREM', p .. ':finished', id)
    redis.call('ZREM', p .. ':created', id)
    redis.call('ZREM', p .. ':webhooks', id)
    table.insert(gone, id)
  end
end
return gone
`;

interface Transition {
  allowed?: JobStatus[];
  owner?: string;
  status?: JobStatus;
  flags?: ('runs' | 'started' | 'finished' | 'webhook' | 'done')[];
  fields?: Record<string, string | number | null>;
}

type TransitionReply = [JobStatus, 'ok'?] | null;

const num = (value: string | null | undefined): number | null =>
  value === null || value === undefined ? null : Number(value);

/**
 * The scaled-out store: jobs in Redis hashes (with index sets for status, creation, finishing and due webhooks),
 * the work queue in BullMQ. A runner takes a BullMQ job with its lease owner as the lock token and keeps the lock
 * alive while it works; if its process dies, BullMQ's stalled-job check puts the job back in the queue for any
 * replica. Audio is not in Redis: replicas need AUDIO_STORAGE_PATH on shared storage.
 */
export class RedisJobStore extends JobStore {
  readonly kind = 'redis';
  private readonly redis: IORedis;
  private readonly queue: Queue;
  private readonly worker: Worker;
  /** BullMQ jobs this process holds, by job id. */
  private readonly held = new Map<string, BullJob>();

  constructor(url: string, leaseMs: number) {
    super();
    this.redis = new IORedis(url, { maxRetriesPerRequest: null, lazyConnect: false });
    const connection = this.redis;
    this.queue = new Queue(QUEUE, { connection, prefix: `${PREFIX}:bull` });
    this.worker = new Worker(QUEUE, null, {
      connection,
      prefix: `${PREFIX}:bull`,
      autorun: false,
      lockDuration: leaseMs,
      stalledInterval: Math.max(1000, Math.round(leaseMs / 2)),
      // A job whose runner died is put back, however often that happens; only the job decides its outcome.
      maxStalledCount: 1_000_000,
    });
    // Connection trouble is retried by ioredis and shows in readiness (ping); an 'error' event without a
    // listener would end the process instead.
    const remember = (error: Error): void => {
      this.lastError = error.message;
    };
    this.redis.on('error', remember);
    this.queue.on('error', remember);
    this.worker.on('error', remember);
    this.worker.startStalledCheckTimer().catch((error: unknown) => (this.lastError = String(error)));
  }

  /** The latest connection error, for readiness. */
  private lastError: string | undefined;

  async create(job: NewJob, maxQueued: number): Promise<boolean> {
    const now = Date.now();
    const fields: (string | number)[] = [
      'status',
      'queued',
      'options',
      JSON.stringify(job.options),
      'source',
      JSON.stringify(job.source),
      'created_at',
      now,
      'done_s',
      0,
      'runs',
      0,
    ];
    if (job.webhookUrl) fields.push('webhook_url', job.webhookUrl);
    const created = await this.redis.eval(CREATE, 0, PREFIX, job.id, maxQueued, now, job.tenant, ...fields);
    if (created !== 1) return false;
    await this.queue.add('transcribe', { id: job.id }, { jobId: job.id, removeOnComplete: true, removeOnFail: true });
    return true;
  }

  async get(id: string): Promise<Job | undefined> {
    const [values, attempts] = await Promise.all([
      this.redis.hmget(`${PREFIX}:rec:${id}`, ...FIELDS),
      this.redis.lrange(`${PREFIX}:attempts:${id}`, 0, -1),
    ]);
    const field = Object.fromEntries(FIELDS.map((name, i) => [name, values[i] ?? null])) as Record<
      (typeof FIELDS)[number],
      string | null
    >;
    if (field.status === null) return undefined;
    const row: JobRow = {
      id,
      status: field.status as JobStatus,
      tenant: field.tenant,
      options: field.options ?? '{}',
      source: field.source ?? '{}',
      created_at: Number(field.created_at),
      started_at: num(field.started_at),
      finished_at: num(field.finished_at),
      duration_s: num(field.duration_s),
      done_s: Number(field.done_s ?? 0),
      runs: Number(field.runs ?? 0),
      error: field.error,
      owner: field.owner,
      webhook_url: field.webhook_url,
      webhook_state: field.webhook_state as JobRow['webhook_state'],
      webhook_attempts: `[${attempts.join(',')}]`,
      webhook_next_at: num(field.webhook_next_at),
    };
    return toJob(row);
  }

  async list(offset: number, limit: number, status?: JobStatus, tenant?: string): Promise<JobPage> {
    let ids: string[];
    let total: number;
    // Creation times by id: every job, or only the tenant's.
    const created = tenant === undefined ? `${PREFIX}:created` : `${PREFIX}:created:t:${tenant}`;
    if (status) {
      const members = await this.redis.smembers(`${PREFIX}:status:${status}`);
      const scores = members.length > 0 ? await this.redis.zmscore(created, ...members) : [];
      const sorted = members
        .map((id, i) => ({ id, at: scores[i] }))
        .filter((e): e is { id: string; at: string } => e.at !== null && e.at !== undefined)
        .map((e) => ({ id: e.id, at: Number(e.at) }))
        .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1));
      total = sorted.length;
      ids = sorted.slice(offset, offset + limit).map((e) => e.id);
    } else {
      [ids, total] = await Promise.all([
        this.redis.zrevrange(created, offset, offset + limit - 1),
        this.redis.zcard(created),
      ]);
    }
    const jobs = (await Promise.all(ids.map((id) => this.get(id)))).filter((j): j is Job => j !== undefined);
    return { jobs, total };
  }

  tenantJobIds(tenant: string): Promise<string[]> {
    return this.redis.zrange(`${PREFIX}:created:t:${tenant}`, 0, -1);
  }

  async countByStatus(): Promise<Record<JobStatus, number>> {
    const counts = await Promise.all(JOB_STATUSES.map((s) => this.redis.scard(`${PREFIX}:status:${s}`)));
    return Object.fromEntries(JOB_STATUSES.map((s, i) => [s, counts[i]!])) as Record<JobStatus, number>;
  }

  async claim(lease: Lease): Promise<Job | undefined> {
    for (;;) {
      const bull = await this.worker.getNextJob(lease.owner, { block: false });
      if (!bull?.id) return undefined;
      const applied = await this.transition(bull.id, {
        allowed: ['queued', 'running'],
        status: 'running',
        flags: ['runs', 'started'],
        fields: { owner: lease.owner },
      });
      if (applied) {
        this.held.set(bull.id, bull);
        return this.get(bull.id);
      }
      // Cancelled while it waited (or its record expired): nothing to run.
      await bull.moveToCompleted('discarded', lease.owner, false);
    }
  }

  async renew(id: string, lease: Lease): Promise<JobStatus | undefined> {
    await this.held.get(id)?.extendLock(lease.owner, lease.ttlMs);
    return ((await this.redis.hget(`${PREFIX}:rec:${id}`, 'status')) as JobStatus | null) ?? undefined;
  }

  async forget(id: string, owner: string): Promise<void> {
    await this.let(id, owner);
  }

  async release(id: string, owner: string): Promise<void> {
    const bull = this.held.get(id);
    this.held.delete(id);
    await this.transition(id, { allowed: ['running'], owner, status: 'queued', fields: { owner: null } });
    await bull?.moveToWait(owner);
  }

  async setDuration(id: string, owner: string, durationS: number): Promise<void> {
    await this.transition(id, { allowed: ['running'], owner, fields: { duration_s: durationS } });
  }

  async saveChunk(id: string, owner: string, index: number, chunk: FinishedChunk): Promise<void> {
    // Chunks are saved in order by their one holder, so the newest end is the progress.
    if (await this.transition(id, { allowed: ['running'], owner, fields: { done_s: chunk.end } })) {
      await this.redis.hset(`${PREFIX}:chunks:${id}`, String(index), JSON.stringify(chunk));
    }
  }

  async chunks(id: string): Promise<FinishedChunk[]> {
    const all = await this.redis.hgetall(`${PREFIX}:chunks:${id}`);
    return Object.entries(all)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([, chunk]) => JSON.parse(chunk) as FinishedChunk);
  }

  async finish(
    id: string,
    owner: string,
    outcome: { result: JobResult } | { error: JobError },
    webhookDue: boolean,
  ): Promise<boolean> {
    const succeeded = 'result' in outcome;
    // The result first: a job is never succeeded without one.
    if (succeeded) await this.redis.set(`${PREFIX}:result:${id}`, JSON.stringify(outcome.result));
    const applied = await this.transition(id, {
      allowed: ['running'],
      owner,
      status: succeeded ? 'succeeded' : 'failed',
      flags: ['finished', ...(webhookDue ? (['webhook'] as const) : []), ...(succeeded ? (['done'] as const) : [])],
      fields: { finished_at: Date.now(), owner: null, error: succeeded ? null : JSON.stringify(outcome.error) },
    });
    await this.let(id, owner);
    return applied;
  }

  async result(id: string): Promise<JobResult | undefined> {
    const json = await this.redis.get(`${PREFIX}:result:${id}`);
    return json ? (JSON.parse(json) as JobResult) : undefined;
  }

  async cancel(id: string): Promise<JobStatus | undefined> {
    const reply = await this.transitionReply(id, {
      allowed: ['queued', 'running'],
      status: 'cancelled',
      flags: ['finished'],
      fields: { finished_at: Date.now(), owner: null },
    });
    if (reply?.[0] === 'queued' && reply[1] === 'ok') await this.queue.remove(id);
    return reply?.[0];
  }

  async claimWebhook(now: number, holdMs: number): Promise<Job | undefined> {
    const id = (await this.redis.eval(CLAIM_WEBHOOK, 0, PREFIX, now, now + holdMs)) as string | null;
    return id ? this.get(id) : undefined;
  }

  async deferWebhook(id: string, at: number): Promise<void> {
    await this.redis
      .multi()
      .hset(`${PREFIX}:rec:${id}`, 'webhook_next_at', at)
      .zadd(`${PREFIX}:webhooks`, 'XX', at, id)
      .exec();
  }

  async recordWebhookAttempt(
    id: string,
    attempt: WebhookAttempt,
    next: { state: 'pending'; at: number } | { state: 'delivered' | 'failed' },
  ): Promise<void> {
    const multi = this.redis
      .multi()
      .rpush(`${PREFIX}:attempts:${id}`, JSON.stringify(attempt))
      .hset(`${PREFIX}:rec:${id}`, 'webhook_state', next.state);
    if (next.state === 'pending') {
      multi.hset(`${PREFIX}:rec:${id}`, 'webhook_next_at', next.at).zadd(`${PREFIX}:webhooks`, next.at, id);
    } else {
      multi.hdel(`${PREFIX}:rec:${id}`, 'webhook_next_at').zrem(`${PREFIX}:webhooks`, id);
    }
    await multi.exec();
  }

  async expire(before: number): Promise<string[]> {
    return (await this.redis.eval(EXPIRE, 0, PREFIX, before)) as string[];
  }

  async ping(): Promise<void> {
    if (this.redis.status !== 'ready') {
      throw new Error(`Redis is ${this.redis.status}${this.lastError ? ` (${this.lastError})` : ''}`);
    }
    await this.redis.ping();
  }

  /** Closes politely when Redis answers; when it does not, drops the connections instead of waiting for it. */
  async close(): Promise<void> {
    const closing = Promise.allSettled([this.worker.close(true), this.queue.close()]);
    await Promise.race([closing, sleep(CLOSE_WAIT_MS, undefined, { ref: false })]);
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }

  /** Lets go of the BullMQ job this process holds for `id` (its record already says how it ended). */
  private async let(id: string, owner: string): Promise<void> {
    const bull = this.held.get(id);
    this.held.delete(id);
    await bull?.moveToCompleted('done', owner, false);
  }

  private async transition(id: string, change: Transition): Promise<boolean> {
    return (await this.transitionReply(id, change))?.[1] === 'ok';
  }

  private async transitionReply(id: string, change: Transition): Promise<TransitionReply> {
    const fields = Object.entries(change.fields ?? {}).flatMap(([name, value]) => [
      name,
      value === null ? '' : String(value),
    ]);
    return (await this.redis.eval(
      TRANSITION,
      0,
      PREFIX,
      id,
      (change.allowed ?? []).join(','),
      change.owner ?? '',
      change.status ?? '',
      Date.now(),
      (change.flags ?? []).join(','),
      ...fields,
    )) as TransitionReply;
  }
}
