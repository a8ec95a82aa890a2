import type { JobStore } from '../../libs/jobs/src/job-store';
import { finishedChunk, jobResult, leaseOf, newJob } from './job-builders';

const holder = leaseOf('host-a:101:aaaa');
const other = leaseOf('host-b:202:bbbb');
const never = (): boolean => false;
const failure = { error: { code: 'provider_error', message: 'the provider failed' } };

/**
 * What every JobStore promises, whichever engine keeps the jobs: the SQLite and Redis specs both run these cases
 * against a fresh, empty store from `open` (closed after each case).
 */
export function behavesAsAJobStore(open: () => Promise<JobStore>): void {
  let store: JobStore;

  beforeEach(async () => {
    store = await open();
  });

  afterEach(() => store.close());

  /** A job created and claimed by `holder`, with its webhook when `webhookUrl` is given. */
  async function running(webhookUrl?: string): Promise<string> {
    const job = newJob({ webhookUrl });
    await store.create(job, 100);
    const claimed = await store.claim(holder, never);
    if (claimed?.id !== job.id) throw new Error(`expected to claim ${job.id}, got ${claimed?.id}`);
    return job.id;
  }

  it('keeps a submission as a queued job with what was asked, and knows no other', async () => {
    const before = Date.now();
    const job = newJob({
      tenant: 'team-b',
      options: { language: 'de', prompt: 'names', wordTimestamps: true, keepAudio: true },
      source: { url: 'https://audio.example.test/talk.mp3' },
      webhookUrl: 'https://hooks.example.test/done',
    });
    expect(await store.create(job, 10)).toBe(true);
    const stored = await store.get(job.id);
    expect(stored).toEqual({
      id: job.id,
      status: 'queued',
      tenant: 'team-b',
      options: job.options,
      source: job.source,
      createdAt: expect.any(Number) as number,
      doneS: 0,
      runs: 0,
      webhook: { url: 'https://hooks.example.test/done', state: 'pending', attempts: [] },
    });
    expect(stored!.createdAt).toBeGreaterThanOrEqual(before);
    expect(stored!.createdAt).toBeLessThanOrEqual(Date.now());
    expect(await store.get('no-such-job')).toBeUndefined();
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('refuses a submission once maxQueued jobs wait, counting only queued ones', async () => {
    const [a, b, c] = [newJob(), newJob(), newJob()];
    expect(await store.create(a, 2)).toBe(true);
    expect(await store.create(b, 2)).toBe(true);
    expect(await store.create(c, 2)).toBe(false);
    expect(await store.get(c.id)).toBeUndefined();
    await store.claim(holder, never);
    expect(await store.create(c, 2)).toBe(true);
  });

  it("lists newest first, by page, status and tenant, and counts each tenant's and status's jobs", async () => {
    const a = newJob({ tenant: 'team-a' });
    const b = newJob({ tenant: 'team-b' });
    const c = newJob({ tenant: 'team-a' });
    for (const job of [a, b, c]) await store.create(job, 100);
    await store.claim(holder, never);
    const ids = async (...args: Parameters<JobStore['list']>): Promise<[string[], number]> => {
      const page = await store.list(...args);
      return [page.jobs.map((j) => j.id), page.total];
    };
    expect(await ids(0, 2)).toEqual([[c.id, b.id], 3]);
    expect(await ids(2, 2)).toEqual([[a.id], 3]);
    expect(await ids(0, 10, 'queued', 'team-a')).toEqual([[c.id], 1]);
    expect(await ids(0, 10, undefined, 'team-a')).toEqual([[c.id, a.id], 2]);
    expect(await ids(0, 10, 'running')).toEqual([[a.id], 1]);
    expect(await ids(0, 10, 'running', 'team-b')).toEqual([[], 0]);
    expect(await ids(0, 10, undefined, 'team-z')).toEqual([[], 0]);
    expect((await store.tenantJobIds('team-a')).sort()).toEqual([a.id, c.id]);
    expect(await store.tenantJobIds('team-z')).toEqual([]);
    expect(await store.countByStatus()).toEqual({ queued: 2, running: 1, succeeded: 0, failed: 0, cancelled: 0 });
  });

  it('hands each queued job to one runner, oldest first, marking who runs it', async () => {
    const [a, b] = [newJob(), newJob()];
    await store.create(a, 100);
    await store.create(b, 100);
    const first = await store.claim(holder, never);
    expect(first).toMatchObject({ id: a.id, status: 'running', runs: 1, runner: 'host-a:101' });
    expect(first!.startedAt).toBeGreaterThanOrEqual(first!.createdAt);
    expect((await store.claim(other, never))?.id).toBe(b.id);
    expect(await store.claim(holder, never)).toBeUndefined();
    expect(await store.renew(a.id, holder)).toBe('running');
    expect(await store.renew('no-such-job', holder)).toBeUndefined();
  });

  it('lets only the holder save progress, and gives the chunks back in index order', async () => {
    const id = await running();
    await store.setDuration(id, other.owner, 99);
    expect((await store.get(id))!.durationS).toBeUndefined();
    await store.setDuration(id, holder.owner, 30);
    // Eleven chunks: index 10 must come after 9, not after 1.
    const chunks = Array.from({ length: 11 }, (_, i) => finishedChunk(i * 2, i * 2 + 1.5, `part ${i}`));
    for (const [index, chunk] of chunks.entries()) await store.saveChunk(id, holder.owner, index, chunk);
    await store.saveChunk(id, other.owner, 11, finishedChunk(25, 26, 'not the holder'));
    expect(await store.chunks(id)).toEqual(chunks);
    expect(await store.get(id)).toMatchObject({ durationS: 30, doneS: 21.5 });
    expect(await store.chunks('no-such-job')).toEqual([]);
  });

  it('finishes a job for its holder only: succeeded, with its result, all of it done, its webhook due', async () => {
    const id = await running('https://hooks.example.test/done');
    await store.setDuration(id, holder.owner, 12);
    await store.saveChunk(id, holder.owner, 0, finishedChunk(0, 4, 'first'));
    const before = Date.now();
    expect(await store.finish(id, holder.owner, { result: jobResult('all of it') }, true)).toBe(true);
    const job = (await store.get(id))!;
    expect(job).toMatchObject({ status: 'succeeded', doneS: 12, runs: 1 });
    expect(job.runner).toBeUndefined();
    expect(job.error).toBeUndefined();
    expect(job.finishedAt).toBeGreaterThanOrEqual(before);
    expect(job.webhook).toMatchObject({ state: 'pending', attempts: [] });
    expect(job.webhook!.nextAttemptAt).toBeGreaterThanOrEqual(job.finishedAt!);
    expect(await store.result(id)).toEqual(jobResult('all of it'));
    expect(await store.finish(id, holder.owner, failure, true)).toBe(false);
    expect((await store.get(id))!.status).toBe('succeeded');
    expect(await store.countByStatus()).toMatchObject({ running: 0, succeeded: 1 });
  });

  it('records a failure with its error and the progress it made; no result, and no webhook when none was asked', async () => {
    const id = await running();
    await store.setDuration(id, holder.owner, 12);
    await store.saveChunk(id, holder.owner, 0, finishedChunk(0, 4, 'first'));
    expect(await store.finish(id, holder.owner, failure, true)).toBe(true);
    const job = (await store.get(id))!;
    expect(job).toMatchObject({ status: 'failed', error: failure.error, doneS: 4 });
    expect(job.webhook).toBeUndefined();
    expect(await store.result(id)).toBeUndefined();
  });

  it('puts a released job back in the queue with its finished chunks, for the next runner', async () => {
    const id = await running();
    const started = (await store.get(id))!.startedAt;
    await store.saveChunk(id, holder.owner, 0, finishedChunk(0, 4, 'first'));
    await store.release(id, holder.owner);
    const queued = (await store.get(id))!;
    expect(queued.status).toBe('queued');
    expect(queued.runner).toBeUndefined();
    const again = await store.claim(other, never);
    expect(again).toMatchObject({ id, status: 'running', runs: 2, runner: 'host-b:202', startedAt: started });
    expect(await store.chunks(id)).toEqual([finishedChunk(0, 4, 'first')]);
  });

  it('cancels queued and running jobs, says what each was, and never hands a cancelled job out', async () => {
    const runningId = await running();
    const queued = newJob();
    await store.create(queued, 100);
    expect(await store.cancel(queued.id)).toBe('queued');
    expect(await store.cancel(runningId)).toBe('running');
    expect(await store.cancel(runningId)).toBe('cancelled');
    expect(await store.cancel('no-such-job')).toBeUndefined();
    const cancelled = (await store.get(runningId))!;
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.finishedAt).toBeGreaterThan(0);
    expect(cancelled.runner).toBeUndefined();
    // The runner learns of it at its next renewal, then lets go; its late finish changes nothing.
    expect(await store.renew(runningId, holder)).toBe('cancelled');
    await store.forget(runningId, holder.owner);
    expect(await store.finish(runningId, holder.owner, { result: jobResult() }, true)).toBe(false);
    expect(await store.claim(other, never)).toBeUndefined();
    expect(await store.countByStatus()).toMatchObject({ queued: 0, running: 0, cancelled: 2 });
  });

  it('leaves a finished job as it is when asked to cancel it', async () => {
    const id = await running();
    await store.finish(id, holder.owner, { result: jobResult() }, false);
    expect(await store.cancel(id)).toBe('succeeded');
    expect((await store.get(id))!.status).toBe('succeeded');
  });

  it('hands a due webhook out once per hold, and puts a deferred one back for later', async () => {
    const id = await running('https://hooks.example.test/done');
    const quiet = await running();
    await store.finish(quiet, holder.owner, { result: jobResult() }, true);
    const now = Date.now() + 1000;
    expect(await store.claimWebhook(now - 60_000, 5000)).toBeUndefined();
    await store.finish(id, holder.owner, { result: jobResult() }, true);
    expect((await store.claimWebhook(now, 5000))?.id).toBe(id);
    expect(await store.claimWebhook(now, 5000)).toBeUndefined();
    expect((await store.claimWebhook(now + 5000, 5000))?.id).toBe(id);
    await store.deferWebhook(id, now + 100_000);
    expect(await store.claimWebhook(now + 99_999, 5000)).toBeUndefined();
    expect((await store.get(id))!.webhook).toMatchObject({
      state: 'pending',
      attempts: [],
      nextAttemptAt: now + 100_000,
    });
    expect((await store.claimWebhook(now + 100_000, 5000))?.id).toBe(id);
  });

  it.each(['delivered', 'failed'] as const)(
    'keeps every webhook attempt on the job, then stops at %s',
    async (final) => {
      const id = await running('https://hooks.example.test/done');
      await store.finish(id, holder.owner, { result: jobResult() }, true);
      const retryAt = Date.now() + 60_000;
      const first = { at: new Date().toISOString(), status: 503, error: 'the receiver answered HTTP 503' };
      await store.recordWebhookAttempt(id, first, { state: 'pending', at: retryAt });
      expect((await store.get(id))!.webhook).toEqual({
        url: 'https://hooks.example.test/done',
        state: 'pending',
        attempts: [first],
        nextAttemptAt: retryAt,
      });
      expect(await store.claimWebhook(retryAt - 1, 5000)).toBeUndefined();
      expect((await store.claimWebhook(retryAt, 5000))?.id).toBe(id);
      const second = {
        at: new Date().toISOString(),
        ...(final === 'delivered' ? { status: 204 } : { error: 'timeout' }),
      };
      await store.recordWebhookAttempt(id, second, { state: final });
      expect((await store.get(id))!.webhook).toEqual({
        url: 'https://hooks.example.test/done',
        state: final,
        attempts: [first, second],
      });
      expect(await store.claimWebhook(retryAt + 3_600_000, 5000)).toBeUndefined();
    },
  );

  it('expires finished jobs older than the cutoff with all they hold, but not a webhook still to deliver', async () => {
    const succeeded = await running();
    await store.saveChunk(succeeded, holder.owner, 0, finishedChunk(0, 1, 'gone'));
    await store.finish(succeeded, holder.owner, { result: jobResult() }, true);
    const hooked = await running('https://hooks.example.test/done');
    await store.finish(hooked, holder.owner, failure, true);
    const cancelled = await running();
    await store.cancel(cancelled);
    const stillRunning = await running();
    const queued = newJob();
    await store.create(queued, 100);

    expect(await store.expire(0)).toEqual([]);
    const cutoff = Date.now() + 1000;
    expect((await store.expire(cutoff)).sort()).toEqual([succeeded, cancelled].sort());
    expect(await store.get(succeeded)).toBeUndefined();
    expect(await store.result(succeeded)).toBeUndefined();
    expect(await store.chunks(succeeded)).toEqual([]);
    expect((await store.tenantJobIds('team-a')).sort()).toEqual([hooked, stillRunning, queued.id].sort());
    expect((await store.list(0, 10)).total).toBe(3);

    await store.recordWebhookAttempt(hooked, { at: new Date().toISOString(), status: 200 }, { state: 'delivered' });
    expect(await store.expire(cutoff)).toEqual([hooked]);
    expect(await store.countByStatus()).toEqual({ queued: 1, running: 1, succeeded: 0, failed: 0, cancelled: 0 });
  });
}
