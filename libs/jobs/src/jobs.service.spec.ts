import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RawEnvironment } from '@asr/config';
import { ApiError } from '@asr/observability';
import { jobResult, leaseOf } from '../../../test/support/job-builders';
import { admin, finishedJob, serviceHarness, teamA, teamB } from '../../../test/support/jobs-service-harness';
import { SqliteJobStore } from './sqlite-job-store';

/** What a refused call threw: an ApiError with its status, or a domain error with its code (its status is the edge's). */
async function refusal(
  promise: Promise<unknown>,
): Promise<{ status?: number; code: string; headers: Record<string, string> }> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof ApiError) return { status: error.getStatus(), code: error.code, headers: error.headers };
  if (error instanceof Error && 'code' in error && typeof error.code === 'string')
    return { code: error.code, headers: {} };
  throw new Error(`expected a refusal, got ${String(error)}`);
}

describe('JobsService takes submissions', () => {
  it('adopts an upload as a queued job of the caller, with the options it asked for, and wakes the runner', async () => {
    const h = serviceHarness();
    const upload = h.upload(1234);
    const view = await h.service.submitUpload(teamA, upload, {
      language: ' EN-us ',
      prompt: 'names',
      timestamps: 'word',
      keep_audio: 'true',
      webhook_url: 'http://127.0.0.1:9/hooks',
    });
    expect(view).toMatchObject({
      status: 'queued',
      options: { language: 'en', prompt: 'names', timestamps: 'word' },
      source: { filename: 'talk.wav', bytes: 1234 },
      webhook: { url: 'http://127.0.0.1:9/hooks', state: 'pending' },
      links: { self: `/api/v1/jobs/${view.id}` },
    });
    expect(existsSync(upload.path)).toBe(false);
    expect(existsSync(h.files.input(view.id))).toBe(true);
    expect((await h.store.get(view.id))!).toMatchObject({ tenant: 'team-a', options: { keepAudio: true } });
    expect(h.runner.wakes).toBe(1);
  });

  it('fetches from a URL only when JOBS_ALLOW_URLS is on and the URL passes the policy', async () => {
    const h = serviceHarness();
    const view = await h.service.submitUrl(teamA, 'https://audio.example.test/talk.mp3', {});
    expect(view).toMatchObject({ status: 'queued', source: { url: 'https://audio.example.test/talk.mp3' } });
    expect(h.runner.wakes).toBe(1);
    expect(await refusal(h.service.submitUrl(teamA, 'http://10.0.0.8/a.mp3', {}))).toMatchObject({
      status: 400,
      code: 'target_not_allowed',
    });
    const closed = serviceHarness({ JOBS_ALLOW_URLS: 'false' });
    expect(await refusal(closed.service.submitUrl(teamA, 'https://audio.example.test/a.mp3', {}))).toMatchObject({
      status: 400,
      code: 'urls_disabled',
    });
  });

  it.each<[string, RawEnvironment, string, string]>([
    ['a webhook without SECRET_KEY to sign it', { SECRET_KEY: '' }, 'http://127.0.0.1:9/hooks', 'webhooks_unavailable'],
    ['a webhook the policy refuses', {}, 'http://192.168.1.1/hooks', 'target_not_allowed'],
    ['a webhook that is not a URL', {}, 'hooks', 'invalid_url'],
  ])('refuses %s, storing nothing', async (_, env, webhook, code) => {
    const h = serviceHarness(env);
    expect(await refusal(h.service.submitUpload(teamA, h.upload(), { webhook_url: webhook }))).toMatchObject({
      status: 400,
      code,
    });
    expect((await h.store.list(0, 10)).total).toBe(0);
    expect(h.runner.wakes).toBe(0);
  });

  it('refuses a full queue with 503 and Retry-After, and keeps none of the upload', async () => {
    const h = serviceHarness({ JOBS_MAX_QUEUED: '1' });
    await h.service.submitUpload(teamA, h.upload(), {});
    const error = await refusal(h.service.submitUpload(teamA, h.upload(), {}));
    expect(error).toMatchObject({ status: 503, code: 'queue_full', headers: { 'retry-after': '30' } });
    expect((await h.store.list(0, 10)).total).toBe(1);
    expect(await h.files.usage((await h.store.list(0, 10)).jobs.map((j) => j.id))).toBe(1000);
  });

  it("refuses an upload past the key's storage quota, counting only that key's jobs", async () => {
    const h = serviceHarness({ JOBS_STORAGE_QUOTA_MB: '1' });
    await h.service.submitUpload(teamA, h.upload(700_000), {});
    expect(await refusal(h.service.submitUpload(teamA, h.upload(700_000), {}))).toMatchObject({
      code: 'storage_quota_exceeded',
    });
    await expect(h.service.submitUpload(teamB, h.upload(700_000), {})).resolves.toMatchObject({ status: 'queued' });
  });

  it('answers 503 with Retry-After at once while the store does not answer', async () => {
    const blocker = join(mkdtempSync(join(tmpdir(), 'asr-broken-')), 'a-file');
    writeFileSync(blocker, '');
    const h = serviceHarness({}, new SqliteJobStore(join(blocker, 'jobs.sqlite')));
    for (const call of [
      () => h.service.submitUpload(teamA, h.upload(), {}),
      () => h.service.list(teamA, 0, 10),
      () => h.service.get(teamA, 'any'),
      () => h.service.cancel(teamA, 'any'),
    ]) {
      expect(await refusal(call())).toMatchObject({
        status: 503,
        code: 'jobs_unavailable',
        headers: { 'retry-after': '10' },
      });
    }
  });
});

describe('JobsService shows each caller its own jobs', () => {
  it("lists a key's jobs only, every job to an admin, and says 404 for another key's job", async () => {
    const h = serviceHarness();
    const mine = await h.service.submitUpload(teamA, h.upload(), {});
    const theirs = await h.service.submitUpload(teamB, h.upload(), {});
    expect((await h.service.list(teamA, 0, 10)).jobs.map((j) => j.id)).toEqual([mine.id]);
    expect((await h.service.list(admin, 0, 10)).total).toBe(2);
    expect((await h.service.list(admin, 0, 10, 'running')).total).toBe(0);
    expect((await h.service.get(teamA, mine.id)).id).toBe(mine.id);
    expect((await h.service.get(admin, theirs.id)).id).toBe(theirs.id);
    for (const missing of [theirs.id, 'no-such-job']) {
      expect(await refusal(h.service.get(teamA, missing))).toMatchObject({ status: 404, code: 'job_not_found' });
    }
  });

  it.each([
    ['json', 'application/json; charset=utf-8'],
    ['verbose_json', 'application/json; charset=utf-8'],
    ['srt', 'application/x-subrip; charset=utf-8'],
    ['vtt', 'text/vtt; charset=utf-8'],
    ['text', 'text/plain; charset=utf-8'],
  ] as const)('gives a succeeded job’s result as %s', async (format, contentType) => {
    const h = serviceHarness();
    const id = await finishedJob(h.store, 'team-a', { result: jobResult('hello world') });
    const { body, contentType: type } = await h.service.result(teamA, id, format);
    expect(type).toBe(contentType);
    expect(typeof body === 'string' ? body : JSON.stringify(body)).toContain('hello world');
  });

  it('adds the words to a json result when the job asked for word timestamps', async () => {
    const h = serviceHarness();
    const words = [
      { word: 'hello', start: 0, end: 1 },
      { word: 'world', start: 1, end: 2 },
    ];
    const result = jobResult('hello world');
    result.transcript.segments[0]!.words = words;
    const id = await finishedJob(h.store, 'team-a', { result }, true);
    const { body } = await h.service.result(teamA, id, 'json');
    expect(body).toMatchObject({ job_id: id, text: 'hello world', words, provider: 'scripted', processing_ms: 12 });
    const plain = await finishedJob(h.store, 'team-a', { result: jobResult() });
    expect((await h.service.result(teamA, plain, 'json')).body).not.toHaveProperty('words');
  });

  it('answers 409 for the result of a job that has not succeeded, saying why a failed one failed', async () => {
    const h = serviceHarness();
    const failed = await finishedJob(h.store, 'team-a', { error: { code: 'provider_error', message: 'it broke' } });
    await expect(h.service.result(teamA, failed, 'text')).rejects.toThrow(/is failed: it broke/);
    const queued = await h.service.submitUpload(teamA, h.upload(), {});
    expect(await refusal(h.service.result(teamA, queued.id, 'json'))).toMatchObject({
      status: 409,
      code: 'job_not_finished',
    });
  });
});

describe('JobsService cancels', () => {
  it('cancels a queued or running job and stops it here; a finished one is 409, another key’s 404', async () => {
    const h = serviceHarness();
    const queued = await h.service.submitUpload(teamA, h.upload(), {});
    const running = await h.service.submitUpload(teamA, h.upload(), {});
    await h.store.claim(leaseOf(), () => false);
    expect((await h.service.cancel(teamA, running.id)).status).toBe('cancelled');
    expect((await h.service.cancel(admin, queued.id)).status).toBe('cancelled');
    expect(h.runner.aborted).toEqual([running.id, queued.id]);

    expect(await refusal(h.service.cancel(teamA, queued.id))).toMatchObject({ status: 409, code: 'job_finished' });
    const theirs = await h.service.submitUpload(teamB, h.upload(), {});
    expect(await refusal(h.service.cancel(teamA, theirs.id))).toMatchObject({ status: 404, code: 'job_not_found' });
    expect((await h.store.get(theirs.id))!.status).toBe('queued');
    expect(h.runner.aborted).toHaveLength(2);
  });
});
