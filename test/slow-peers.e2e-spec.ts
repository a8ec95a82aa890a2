import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWav } from '@asr/audio';
import type { JobView } from '@asr/jobs';
import { FakeOpenAi, withFakeProvider } from './support/fake-openai';
import { finished, getJob, submitJob, waitForJob } from './support/jobs';
import { sequence, speak } from './support/mixes';
import { answeringServer, hangingServer, type SlowServer, trickleServer } from './support/slow-servers';
import { type RedisServer, startRedis } from './support/redis';
import { startTestApp, type TestApp } from './support/test-app';
import { waitFor } from './support/wait';

jest.setTimeout(90_000);

const SECRET_KEY = 'a-test-secret-key-of-at-least-32-characters';
const LOOPBACK_ALLOWED = { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', JOBS_ALLOW_URLS: 'true', JOBS_CONCURRENCY: '1' };

function speechFile(dir: string): string {
  const wav = join(dir, 'speech.wav');
  writeFileSync(wav, encodeWav(sequence(speak(['The meeting starts at nine.'])).clean));
  return wav;
}

async function submitUrl(base: string, url: string): Promise<string> {
  const response = await fetch(`${base}/api/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url, language: 'en' }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

/** Milliseconds from now until the job is running (polled every 20 ms). */
async function msUntilRunning(base: string, id: string): Promise<number> {
  const started = performance.now();
  await waitForJob(base, id, (j) => j.status === 'running', { everyMs: 20, timeoutMs: 10_000 });
  return performance.now() - started;
}

describe('a URL job whose server trickles one byte every 2 s', () => {
  const { fake, app } = withFakeProvider({
    ...LOOPBACK_ALLOWED,
    JOBS_DOWNLOAD_TIMEOUT_S: '4',
    JOBS_DOWNLOAD_MIN_RATE: '0',
    JOBS_DOWNLOAD_CONCURRENCY: '1',
  });
  let trickle: SlowServer;
  let wav: string;
  beforeAll(async () => {
    trickle = await trickleServer(2000);
    wav = speechFile(app().dir);
  });
  afterAll(() => trickle.stop());
  beforeEach(() => {
    fake.fallback = { kind: 'ok' };
  });

  it('fails at JOBS_DOWNLOAD_TIMEOUT_S, and an upload submitted meanwhile starts within 1 s', async () => {
    const t = app();
    const submitted = performance.now();
    const slow = await submitUrl(t.url, `${trickle.base}/audio.wav`);
    await waitFor(() => trickle.open() === 1, { what: 'the download to start' });

    // The runner slot (JOBS_CONCURRENCY=1) is free while the download trickles: slow peers cost no transcription.
    fake.fallback = { kind: 'ok', delayMs: 1500 };
    const upload = (await submitJob(t.url, wav)).body.id as string;
    const startMs = await msUntilRunning(t.url, upload);
    console.log(`upload job submitted during a trickling download: running after ${startMs.toFixed(0)} ms`);
    expect(startMs).toBeLessThan(1000);

    const failed = await waitForJob(t.url, slow, finished, { everyMs: 50, timeoutMs: 20_000 });
    const failMs = performance.now() - submitted;
    console.log(`trickling URL job: ${failed.status} (${failed.error?.code}) after ${failMs.toFixed(0)} ms`);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'download_timeout' });
    expect(failed.error!.message).toMatch(/JOBS_DOWNLOAD_TIMEOUT_S=4/);
    expect(failMs).toBeGreaterThan(3900);
    expect(failMs).toBeLessThan(6000);
    // The connection was cut, not left open.
    await waitFor(() => trickle.open() === 0, { what: 'the trickling connection to close', timeoutMs: 1000 });
    expect((await waitForJob(t.url, upload, finished)).status).toBe('succeeded');
  });

  it('cancels a job in the download phase at once, closing its connection', async () => {
    const t = app();
    const slow = await submitUrl(t.url, `${trickle.base}/audio.wav`);
    await waitFor(() => trickle.open() === 1, { what: 'the download to start' });
    const started = performance.now();
    const cancelled = await fetch(`${t.url}/api/v1/jobs/${slow}`, { method: 'DELETE' });
    expect(cancelled.status).toBe(200);
    await waitFor(() => trickle.open() === 0, { what: 'the download to be abandoned', timeoutMs: 1000 });
    console.log(`cancel in the download phase: connection closed after ${(performance.now() - started).toFixed(0)} ms`);
    expect((await getJob(t.url, slow)).status).toBe('cancelled');
  });

  it('holds at most JOBS_DOWNLOAD_CONCURRENCY downloading and as many waiting; the rest stay queued', async () => {
    const t = app();
    const calls = trickle.calls.length;
    const ids = [];
    for (let i = 0; i < 3; i += 1) ids.push(await submitUrl(t.url, `${trickle.base}/audio.wav?n=${i}`));
    await waitFor(() => trickle.open() === 1, { what: 'the first download to start' });
    await new Promise((resolve) => setTimeout(resolve, 700));
    const views = await Promise.all(ids.map((id) => getJob(t.url, id)));
    console.log(`three URL jobs with JOBS_DOWNLOAD_CONCURRENCY=1: ${views.map((v) => v.status).join(', ')}`);
    expect(trickle.calls.length - calls).toBe(1);
    expect(trickle.open()).toBe(1);
    expect(views.map((v) => v.status)).toEqual(['running', 'running', 'queued']);
    for (const id of ids) await fetch(`${t.url}/api/v1/jobs/${id}`, { method: 'DELETE' });
    await waitFor(() => trickle.open() === 0, { what: 'the downloads to be abandoned', timeoutMs: 2000 });
  });
});

describe('a URL job below JOBS_DOWNLOAD_MIN_RATE', () => {
  const { app } = withFakeProvider({
    ...LOOPBACK_ALLOWED,
    JOBS_DOWNLOAD_TIMEOUT_S: '60',
    JOBS_DOWNLOAD_MIN_RATE: '64',
  });

  it('fails with download_too_slow at the end of the second 10 s window', async () => {
    const trickle = await trickleServer(2000);
    try {
      const t = app();
      const submitted = performance.now();
      const slow = await submitUrl(t.url, `${trickle.base}/audio.wav`);
      const failed = await waitForJob(t.url, slow, finished, { everyMs: 100, timeoutMs: 40_000 });
      const failMs = performance.now() - submitted;
      console.log(
        `URL job at 0.5 B/s with JOBS_DOWNLOAD_MIN_RATE=64: ${failed.error?.code} after ${failMs.toFixed(0)} ms`,
      );
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatchObject({ code: 'download_too_slow' });
      expect(failed.error!.message).toMatch(/JOBS_DOWNLOAD_MIN_RATE=64/);
      expect(failMs).toBeGreaterThan(19_500);
      expect(failMs).toBeLessThan(23_000);
      expect(trickle.open()).toBe(0);
    } finally {
      await trickle.stop();
    }
  });
});

describe('a URL job in the download phase at shutdown', () => {
  it('goes back to the queue and the next start fetches it again', async () => {
    const fake = new FakeOpenAi();
    await fake.start();
    const trickle = await trickleServer(2000);
    const dir = mkdtempSync(join(tmpdir(), 'asr-slow-peers-'));
    const env = {
      ASR_PROVIDER: 'openai-compatible',
      ASR_BASE_URL: fake.url,
      ...LOOPBACK_ALLOWED,
      AUDIO_STORAGE_PATH: join(dir, 'audio'),
      TEMP_STORAGE_PATH: join(dir, 'tmp'),
    };
    let second: Awaited<ReturnType<typeof startTestApp>> | undefined;
    try {
      const first = await startTestApp({ env });
      const id = await submitUrl(first.url, `${trickle.base}/audio.wav`);
      await waitFor(() => trickle.open() === 1, { what: 'the download to start' });
      const closing = performance.now();
      await first.close();
      console.log(`shutdown with a download in progress: closed in ${(performance.now() - closing).toFixed(0)} ms`);
      expect(trickle.open()).toBe(0);

      second = await startTestApp({ env });
      await waitFor(() => trickle.calls.length === 2 && trickle.open() === 1, { what: 'the download to start again' });
      const job: JobView = await getJob(second.url, id);
      expect(job).toMatchObject({ status: 'running', runs: 2 });
      await fetch(`${second.url}/api/v1/jobs/${id}`, { method: 'DELETE' });
    } finally {
      await second?.close();
      await trickle.stop();
      await fake.stop();
    }
  });
});

/** Both stores: each has its own claimWebhook/deferWebhook. */
describe.each(['sqlite', 'redis'])('webhooks while one receiver hangs (%s store)', (store) => {
  const fake = new FakeOpenAi();
  let redis: RedisServer | undefined;
  let t: TestApp;
  let hanging: SlowServer;
  let healthy: SlowServer;
  beforeAll(async () => {
    await fake.start();
    if (store === 'redis') redis = await startRedis();
    t = await startTestApp({
      env: {
        ...(redis ? { REDIS_URL: redis.url } : {}),
        ASR_PROVIDER: 'openai-compatible',
        ASR_BASE_URL: fake.url,
        ...LOOPBACK_ALLOWED,
        SECRET_KEY,
        WEBHOOK_CONCURRENCY: '4',
        WEBHOOK_PER_HOST: '2',
        WEBHOOK_TIMEOUT_S: '6',
        WEBHOOK_RETRY_BASE_S: '60',
        WEBHOOK_MAX_ATTEMPTS: '2',
      },
    });
    hanging = await hangingServer();
    healthy = await answeringServer(204);
  });
  afterAll(async () => {
    await t.close();
    await hanging.stop();
    await healthy.stop();
    await redis?.stop();
    await fake.stop();
  });

  it('deliver to a healthy receiver within 1 s, at most WEBHOOK_PER_HOST to the hanging one, each attempt timed out', async () => {
    const wav = speechFile(t.dir);
    const stuck: string[] = [];
    // As many deliveries to the hanging receiver as WEBHOOK_CONCURRENCY.
    for (let i = 0; i < 4; i += 1) {
      stuck.push((await submitJob(t.url, wav, { webhook_url: `${hanging.base}/hook` })).body.id as string);
    }
    for (const id of stuck) await waitForJob(t.url, id, finished);
    await waitFor(() => hanging.open() === 2, { what: 'two deliveries to hang' });

    const ok = (await submitJob(t.url, wav, { webhook_url: `${healthy.base}/hook` })).body.id as string;
    const done = await waitForJob(t.url, ok, finished, { everyMs: 20 });
    await waitFor(() => healthy.calls.length === 1, { what: 'the healthy webhook', timeoutMs: 5000 });
    const latencyMs = healthy.calls[0]!.at - Date.parse(done.finished_at!);
    console.log(
      `healthy webhook while 4 hang on one receiver: (${store}) started ${latencyMs} ms after the job finished`,
    );
    expect(latencyMs).toBeLessThan(1000);
    await waitForJob(t.url, ok, (j) => j.webhook?.state === 'delivered', { timeoutMs: 2000 });

    // The two beyond WEBHOOK_PER_HOST never connected, and were put back without an attempt counted.
    expect(hanging.calls).toHaveLength(2);
    const attempts = async (): Promise<number[]> =>
      (await Promise.all(stuck.map((id) => getJob(t.url, id)))).map((j) => j.webhook!.attempts.length);
    expect(await attempts()).toEqual([0, 0, 0, 0]);

    // WEBHOOK_TIMEOUT_S ends each hanging attempt; the deferred two then get their turn.
    await waitFor(() => hanging.calls.length === 4, { what: 'the deferred deliveries', timeoutMs: 15_000 });
    const first = hanging.calls[0]!;
    const heldMs = first.closedAt! - first.at;
    console.log(`a hanging webhook attempt (${store}) was cut after ${heldMs} ms (WEBHOOK_TIMEOUT_S=6)`);
    expect(heldMs).toBeGreaterThan(5500);
    expect(heldMs).toBeLessThan(7000);
    expect((await attempts()).sort()).toEqual([0, 0, 1, 1]);
    const recorded = (await Promise.all(stuck.map((id) => getJob(t.url, id)))).flatMap((j) => j.webhook!.attempts);
    for (const attempt of recorded) expect(attempt.error).toMatch(/did not answer within WEBHOOK_TIMEOUT_S=6/);
    expect(hanging.peakOpen()).toBe(2);
  });
});
