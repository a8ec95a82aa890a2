import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { encodeWav } from '@asr/audio';
import type { JobView, WebhookEvent } from '@asr/jobs';
import { FakeOpenAi } from './support/fake-openai';
import { finished, getJob, submitJob, waitForJob } from './support/jobs';
import { runCli } from './support/processes';
import { type RedisServer, startRedis } from './support/redis';
import { sequence, speak } from './support/mixes';
import { startTestApp, type TestApp } from './support/test-app';
import { waitFor } from './support/wait';

jest.setTimeout(120_000);

const SECRET_KEY = 'a-test-secret-key-of-at-least-32-characters';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP receiver on 127.0.0.1 answering `status`; records every call. */
async function receiver(status: number): Promise<{ server: Server; url: string; calls: Received[] }> {
  const calls: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      calls.push({ headers: req.headers, body });
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks/asr`, calls };
}

/** Serves `file` at /audio.wav, and /redirect → a private address. */
async function fileServer(file: string): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    if (req.url === '/audio.wav') {
      res.setHeader('content-type', 'audio/wav');
      res.end(readFileSync(file));
    } else if (req.url === '/redirect') {
      res.statusCode = 302;
      res.setHeader('location', 'http://10.255.255.1/audio.wav');
      res.end();
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

/** The same API on each store: the embedded SQLite one, and BullMQ on a Redis started for the suite. */
describe.each(['sqlite', 'redis'])('jobs API with an OpenAI-compatible provider (%s store)', (store) => {
  const fake = new FakeOpenAi();
  let t: TestApp;
  let wav: string;
  let redis: RedisServer | undefined;
  const servers: Server[] = [];

  beforeAll(async () => {
    await fake.start();
    if (store === 'redis') redis = await startRedis();
    t = await startTestApp({
      env: {
        ...(redis ? { REDIS_URL: redis.url } : {}),
        ASR_PROVIDER: 'openai-compatible',
        ASR_BASE_URL: fake.url,
        SECRET_KEY,
        WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
        WEBHOOK_MAX_ATTEMPTS: '3',
        WEBHOOK_RETRY_BASE_S: '0.1',
        JOBS_ALLOW_URLS: 'true',
        JOBS_MAX_QUEUED: '2',
        JOBS_CONCURRENCY: '1',
      },
    });
    wav = join(t.dir, 'speech.wav');
    const { clean } = sequence(speak(['The meeting starts at nine.', 'Please send the report by Friday.']));
    writeFileSync(wav, encodeWav(clean));
  });
  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
    await t.close();
    await fake.stop();
    await redis?.stop();
  });
  beforeEach(() => fake.reset());

  it('accepts an upload with 202 at once, reports progress, and serves the result in every format', async () => {
    fake.fallback = { kind: 'ok', delayMs: 300 };
    const submitted = await submitJob(t.url, wav, { timestamps: 'word' });
    expect(submitted.status).toBe(202);
    expect(submitted.ms).toBeLessThan(1000);
    const id = submitted.body.id as string;
    expect(submitted.headers.get('location')).toBe(`/api/v1/jobs/${id}`);

    // Server-sent events while it runs: progress never goes back, the last event is the outcome.
    const events = await fetch(`${t.url}/api/v1/jobs/${id}/events`);
    expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const stream = await events.text();
    const parsed = [...stream.matchAll(/^event: (\w+)\ndata: (.*)$/gm)].map((m) => ({
      event: m[1]!,
      job: JSON.parse(m[2]!) as JobView,
    }));
    expect(parsed[parsed.length - 1]!.event).toBe('succeeded');
    const done = parsed.map((e) => e.job.progress.done_seconds);
    done.forEach((d, i) => expect(d).toBeGreaterThanOrEqual(done[i - 1] ?? 0));

    const job = await getJob(t.url, id);
    expect(job).toMatchObject({ status: 'succeeded', runs: 1, source: { filename: 'speech.wav' } });
    expect(job.progress.fraction).toBe(1);
    expect(job.progress.total_seconds).toBeGreaterThan(4);

    const json = (await (await fetch(`${t.url}/api/v1/jobs/${id}/result`)).json()) as Record<string, unknown>;
    expect(json).toMatchObject({ job_id: id, provider: 'openai-compatible' });
    expect(json.text).toContain('fake');
    expect((json.words as unknown[]).length).toBeGreaterThan(0);
    const srt = await fetch(`${t.url}/api/v1/jobs/${id}/result?format=srt`);
    expect(srt.headers.get('content-type')).toMatch(/subrip/);
    expect(await srt.text()).toMatch(/^1\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\n/);
    expect(await (await fetch(`${t.url}/api/v1/jobs/${id}/result?format=vtt`)).text()).toMatch(/^WEBVTT/);
    expect(await (await fetch(`${t.url}/api/v1/jobs/${id}/result?format=text`)).text()).toContain('fake');
    const verbose = (await (await fetch(`${t.url}/api/v1/jobs/${id}/result?format=verbose_json`)).json()) as {
      segments: unknown[];
    };
    expect(verbose.segments.length).toBeGreaterThan(0);
    const bad = await fetch(`${t.url}/api/v1/jobs/${id}/result?format=docx`);
    expect(bad.status).toBe(400);

    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/^asr_jobs\{status="succeeded"\} [1-9]/m);
    expect(metrics).toMatch(/^asr_job_queue_depth 0$/m);
    expect(metrics).toMatch(/^asr_job_duration_seconds_count\{status="succeeded"\} [1-9]/m);
    const ready = (await (await fetch(`${t.url}/health/ready`)).json()) as { details: Record<string, unknown> };
    expect(ready.details.jobs).toMatchObject({ status: 'up', store });

    const list = (await (await fetch(`${t.url}/api/v1/jobs?limit=1`)).json()) as { jobs: JobView[]; total: number };
    expect(list.jobs.map((j) => j.id)).toEqual([id]);
    expect(list.total).toBeGreaterThanOrEqual(1);
  });

  it('answers 404 for an unknown job, 400 for a malformed id, 409 for a result before success', async () => {
    expect((await fetch(`${t.url}/api/v1/jobs/5b0c4c8e-2f7e-4e55-9d7e-0c2b8f3a9d11`)).status).toBe(404);
    expect((await fetch(`${t.url}/api/v1/jobs/not-a-uuid`)).status).toBe(400);
    fake.fallback = { kind: 'ok', delayMs: 2000 };
    const { body } = await submitJob(t.url, wav);
    const early = await fetch(`${t.url}/api/v1/jobs/${body.id as string}/result`);
    expect(early.status).toBe(409);
    expect(((await early.json()) as { code: string }).code).toBe('job_not_finished');
    await waitForJob(t.url, body.id as string, finished);
  });

  it('refuses with 503 and Retry-After when JOBS_MAX_QUEUED jobs wait, and cancels queued and running jobs', async () => {
    fake.fallback = { kind: 'hang' };
    const running = (await submitJob(t.url, wav)).body.id as string;
    await waitForJob(t.url, running, (j) => j.status === 'running');
    const queued = [(await submitJob(t.url, wav)).body.id as string, (await submitJob(t.url, wav)).body.id as string];
    const refused = await submitJob(t.url, wav);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refused.body.code).toBe('queue_full');

    for (const id of queued) {
      const cancelled = await fetch(`${t.url}/api/v1/jobs/${id}`, { method: 'DELETE' });
      expect(cancelled.status).toBe(200);
      expect(((await cancelled.json()) as JobView).status).toBe('cancelled');
    }
    await waitForJob(t.url, running, () => fake.seen.length > 0);
    const started = performance.now();
    expect((await fetch(`${t.url}/api/v1/jobs/${running}`, { method: 'DELETE' })).status).toBe(200);
    await waitForJob(t.url, running, (j) => j.status === 'cancelled', { everyMs: 20 });
    const cancelMs = performance.now() - started;
    // The provider call in flight was abandoned, so its slot is free for the next job.
    await waitForJob(t.url, running, () => fake.seen.every((s) => s.aborted), { timeoutMs: 1000, everyMs: 20 });
    console.log(`cancel of a running job: cancelled after ${cancelMs.toFixed(0)} ms`);
    expect(cancelMs).toBeLessThan(1000);
    expect((await fetch(`${t.url}/api/v1/jobs/${running}`, { method: 'DELETE' })).status).toBe(409);
    const after = await getJob(t.url, running);
    expect(after.status).toBe('cancelled');
    fake.fallback = { kind: 'ok' };
    const next = (await submitJob(t.url, wav)).body.id as string;
    expect((await waitForJob(t.url, next, finished)).status).toBe('succeeded');
  });

  it('calls a webhook with a Standard Webhooks signature, and retries a failing receiver a bounded number of times', async () => {
    fake.fallback = { kind: 'ok' };
    const good = await receiver(204);
    const failing = await receiver(500);
    servers.push(good.server, failing.server);

    const ok = (await submitJob(t.url, wav, { webhook_url: good.url })).body.id as string;
    const delivered = await waitForJob(t.url, ok, (j) => j.webhook?.state === 'delivered');
    expect(delivered.webhook!.attempts).toHaveLength(1);
    expect(good.calls).toHaveLength(1);
    const call = good.calls[0]!;
    // The open server's one tenant has its own secret, derived from SECRET_KEY: SECRET_KEY itself does not verify.
    const { secret } = (await (await fetch(`${t.url}/api/v1/auth/webhook-secret`)).json()) as { secret: string };
    const verifier = new Webhook(secret);
    const event = verifier.verify(call.body, call.headers as Record<string, string>) as WebhookEvent;
    expect(() =>
      new Webhook(`whsec_${Buffer.from(SECRET_KEY).toString('base64')}`).verify(
        call.body,
        call.headers as Record<string, string>,
      ),
    ).toThrow();
    expect(event).toMatchObject({ type: 'job.succeeded', data: { id: ok, status: 'succeeded' } });
    // The signature covers the body: a changed body does not verify.
    expect(() =>
      verifier.verify(call.body.replace('succeeded', 'failed'), call.headers as Record<string, string>),
    ).toThrow();

    const retried = (await submitJob(t.url, wav, { webhook_url: failing.url })).body.id as string;
    const gaveUp = await waitForJob(t.url, retried, (j) => j.webhook?.state === 'failed', { timeoutMs: 10_000 });
    expect(gaveUp.webhook!.attempts.map((a) => a.status)).toEqual([500, 500, 500]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(failing.calls).toHaveLength(3);
  });

  it('refuses at submit a webhook or URL aimed at a private or loopback address that is not allowed', async () => {
    for (const target of [
      'http://10.1.2.3/hook',
      'http://192.168.1.10/hook',
      'http://127.0.0.2:9/hook',
      'ftp://127.0.0.1/x',
    ]) {
      const refused = await submitJob(t.url, wav, { webhook_url: target });
      expect(refused.status).toBe(400);
      expect(refused.body.message).toMatch(/webhook_url/);
    }
    const url = await fetch(`${t.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'http://169.254.169.254/latest/meta-data' }),
    });
    expect(url.status).toBe(400);
    expect(((await url.json()) as { code: string }).code).toBe('target_not_allowed');
  });

  it('fetches a URL job from an allowed host, and fails one that redirects to a private address', async () => {
    fake.fallback = { kind: 'ok' };
    const files = await fileServer(wav);
    servers.push(files.server);
    const submit = (url: string): Promise<Response> =>
      fetch(`${t.url}/api/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url, language: 'en' }),
      });
    const accepted = await submit(`${files.base}/audio.wav`);
    expect(accepted.status).toBe(202);
    const job = await waitForJob(t.url, ((await accepted.json()) as { id: string }).id, finished);
    expect(job).toMatchObject({ status: 'succeeded', source: { url: `${files.base}/audio.wav` } });

    const redirected = await submit(`${files.base}/redirect`);
    expect(redirected.status).toBe(202);
    const failed = await waitForJob(t.url, ((await redirected.json()) as { id: string }).id, finished);
    expect(failed.status).toBe('failed');
    expect(failed.error!.message).toMatch(/private or loopback/);
  });
});

describe('asr-api jobs (the CLI against a running server)', () => {
  it('lists, shows and cancels jobs, and says why when the server refuses', async () => {
    const fake = new FakeOpenAi();
    await fake.start();
    fake.fallback = { kind: 'hang' };
    const t = await startTestApp({ env: { ASR_PROVIDER: 'openai-compatible', ASR_BASE_URL: fake.url } });
    try {
      const wav = join(t.dir, 'speech.wav');
      writeFileSync(wav, encodeWav(sequence(speak(['Good morning everyone.'])).clean));
      const id = (await submitJob(t.url, wav)).body.id as string;
      await waitForJob(t.url, id, (j) => j.status === 'running');
      const cli = (...args: string[]): ReturnType<typeof runCli> => runCli([...args, '--url', t.url], { cwd: t.dir });

      const list = await cli('jobs', 'list');
      expect(list.status).toBe(0);
      expect(list.stdout).toMatch(new RegExp(`^${id}\\s+running`, 'm'));
      const show = await cli('jobs', 'show', id, '--json');
      expect(JSON.parse(show.stdout)).toMatchObject({ id, status: 'running' });
      const cancel = await cli('jobs', 'cancel', id);
      expect(cancel.status).toBe(0);
      expect(cancel.stdout).toMatch(/^status\s+cancelled$/m);
      const again = await cli('jobs', 'cancel', id);
      expect(again.status).toBe(1);
      expect(again.stderr).toMatch(/already cancelled/);
      const unknown = await cli('jobs', 'show', '5b0c4c8e-2f7e-4e55-9d7e-0c2b8f3a9d11');
      expect(unknown.status).toBe(1);
      expect(unknown.stderr).toMatch(/no job/);
      const unreachable = await runCli(['jobs', 'list', '--url', 'http://127.0.0.1:9'], { cwd: t.dir });
      expect(unreachable.status).toBe(2);
      expect(unreachable.stderr).toMatch(/cannot reach/);
    } finally {
      await t.close();
      await fake.stop();
    }
  });
});

describe('jobs while Redis is unreachable', () => {
  it('answer 503 with Retry-After at once, readiness says why, liveness stays 200', async () => {
    const t = await startTestApp({
      env: {
        ASR_PROVIDER: 'openai-compatible',
        ASR_BASE_URL: 'http://127.0.0.1:9/v1',
        REDIS_URL: 'redis://127.0.0.1:9',
      },
    });
    try {
      const wav = join(t.dir, 'speech.wav');
      writeFileSync(wav, encodeWav(new Float32Array(16_000)));
      const refused = await submitJob(t.url, wav);
      expect(refused.status).toBe(503);
      expect(refused.body.code).toBe('jobs_unavailable');
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(refused.ms).toBeLessThan(2000);
      expect((await fetch(`${t.url}/api/v1/jobs`)).status).toBe(503);
      const ready = await fetch(`${t.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(JSON.stringify(await ready.json())).toMatch(/Redis is/);
      expect((await fetch(`${t.url}/health`)).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe.each(['sqlite', 'redis'])('job retention (%s store)', (store) => {
  it('deletes a finished job and its files after JOBS_RETENTION_HOURS', async () => {
    const fake = new FakeOpenAi();
    await fake.start();
    const redis = store === 'redis' ? await startRedis() : undefined;
    const t = await startTestApp({
      env: {
        ASR_PROVIDER: 'openai-compatible',
        ASR_BASE_URL: fake.url,
        JOBS_RETENTION_HOURS: '0.001',
        ...(redis ? { REDIS_URL: redis.url } : {}),
      },
    });
    try {
      const wav = join(t.dir, 'speech.wav');
      writeFileSync(wav, encodeWav(sequence(speak(['Good morning everyone.'])).clean));
      const id = (await submitJob(t.url, wav)).body.id as string;
      await waitForJob(t.url, id, finished);
      const directory = join(t.config.storage.audioPath, 'jobs', id);
      expect(existsSync(directory)).toBe(true);
      // The sweep deletes the record, then the files: the 404 can come a moment before the directory is gone.
      await waitFor(async () => (await fetch(`${t.url}/api/v1/jobs/${id}`)).status === 404 && !existsSync(directory), {
        what: 'the job and its files to be removed',
        timeoutMs: 15_000,
        everyMs: 200,
      });
      expect((await fetch(`${t.url}/api/v1/jobs/${id}`)).status).toBe(404);
      expect(existsSync(directory)).toBe(false);
    } finally {
      await t.close();
      await fake.stop();
      await redis?.stop();
    }
  });
});
