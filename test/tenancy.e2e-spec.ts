import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import Database from 'libsql';
import { Webhook } from 'standardwebhooks';
import { encodeWav } from '@asr/audio';
import type { JobView } from '@asr/jobs';
import { FakeOpenAi } from './support/fake-openai';
import { type RedisServer, startRedis } from './support/redis';
import { sequence, speak } from './support/mixes';
import { startTestApp, type TestApp } from './support/test-app';
import { waitFor } from './support/wait';

jest.setTimeout(120_000);

const ALPHA = 'alpha-key-0123456789abcdef';
const BETA = 'beta-key-0123456789abcdef';
const ADMIN = 'admin-key-0123456789abcdef';
/** A key's stable name: `key-` and the first 8 hex digits of its SHA-256 digest. */
const nameOf = (key: string): string => `key-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;

const as = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

async function submit(t: TestApp, key: string, wav: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([readFileSync(wav)]), 'speech.wav');
  const response = await fetch(`${t.url}/api/v1/jobs`, { method: 'POST', headers: as(key), body: form });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

async function status(t: TestApp, key: string, path: string, method = 'GET'): Promise<number> {
  const response = await fetch(`${t.url}${path}`, { method, headers: as(key) });
  await response.body?.cancel();
  return response.status;
}

async function listIds(t: TestApp, key: string): Promise<string[]> {
  const response = await fetch(`${t.url}/api/v1/jobs?limit=100`, { headers: as(key) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { jobs: JobView[] }).jobs.map((j) => j.id);
}

async function finishedJob(t: TestApp, key: string, id: string): Promise<JobView> {
  let job: JobView | undefined;
  await waitFor(
    async () => {
      job = (await (await fetch(`${t.url}/api/v1/jobs/${id}`, { headers: as(key) })).json()) as JobView;
      return job.status === 'succeeded' || job.status === 'failed';
    },
    { what: `job ${id} to finish`, timeoutMs: 30_000 },
  );
  return job!;
}

describe.each(['sqlite', 'redis'])('jobs belong to the key that submitted them (%s store)', (store) => {
  const fake = new FakeOpenAi();
  let redis: RedisServer | undefined;
  let t: TestApp;
  let wav: string;
  const storage = mkdtempSync(join(tmpdir(), 'asr-tenancy-'));
  const env = (keys: string[]): Record<string, string> => ({
    ...(redis ? { REDIS_URL: redis.url } : {}),
    ASR_PROVIDER: 'openai-compatible',
    ASR_BASE_URL: fake.url,
    API_KEYS: keys.join(','),
    API_ADMIN_KEYS: nameOf(ADMIN),
    SECRET_KEY: 'a-test-secret-key-of-at-least-32-characters',
    AUDIO_STORAGE_PATH: join(storage, 'audio'),
    RATE_LIMIT_PER_MINUTE: '0',
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  });

  beforeAll(async () => {
    await fake.start();
    if (store === 'redis') redis = await startRedis();
    t = await startTestApp({ env: env([ALPHA, BETA, ADMIN]) });
    wav = join(t.dir, 'speech.wav');
    writeFileSync(wav, encodeWav(sequence(speak(['The meeting starts at nine.'])).clean));
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
    await redis?.stop();
  });

  it("refuses every job route for another key's job with 404, and each key lists only its own", async () => {
    fake.fallback = { kind: 'ok', delayMs: 50 };
    const alphaJob = await submit(t, ALPHA, wav);
    const betaJob = await submit(t, BETA, wav);
    await finishedJob(t, ALPHA, alphaJob);

    for (const [path, method] of [
      [`/api/v1/jobs/${alphaJob}`, 'GET'],
      [`/api/v1/jobs/${alphaJob}/result`, 'GET'],
      [`/api/v1/jobs/${alphaJob}/result?format=srt`, 'GET'],
      [`/api/v1/jobs/${alphaJob}/events`, 'GET'],
      [`/api/v1/jobs/${alphaJob}`, 'DELETE'],
    ] as const) {
      expect([path, method, await status(t, BETA, path, method)]).toEqual([path, method, 404]);
      const own = await status(t, ALPHA, path, method);
      // The owner reads it; its cancel is refused only because the job has finished.
      expect([path, method, own]).toEqual([path, method, method === 'DELETE' ? 409 : 200]);
    }
    // Nor does a 404 tell a job apart from no job at all.
    const missing = await fetch(`${t.url}/api/v1/jobs/00000000-0000-4000-8000-000000000000`, { headers: as(BETA) });
    const foreign = await fetch(`${t.url}/api/v1/jobs/${alphaJob}`, { headers: as(BETA) });
    expect((await foreign.json()) as object).toMatchObject({
      code: ((await missing.json()) as { code: string }).code,
    });

    const alphaList = await listIds(t, ALPHA);
    expect(alphaList).toContain(alphaJob);
    expect(alphaList).not.toContain(betaJob);
    const betaList = await listIds(t, BETA);
    expect(betaList).toContain(betaJob);
    expect(betaList).not.toContain(alphaJob);
    // An admin key sees and may cancel everyone's.
    expect(await listIds(t, ADMIN)).toEqual(expect.arrayContaining([alphaJob, betaJob]));
    expect(await status(t, ADMIN, `/api/v1/jobs/${alphaJob}/result`)).toBe(200);

    // Live sessions are per key too: only an admin sees the per-session lists of the streaming stats.
    const stats = async (key: string): Promise<Record<string, unknown>> =>
      (await (await fetch(`${t.url}/api/v1/streaming-stats`, { headers: as(key) })).json()) as Record<string, unknown>;
    expect(Object.keys(await stats(ALPHA))).not.toContain('sessions');
    expect(await stats(ALPHA)).toHaveProperty('totals');
    expect(Object.keys(await stats(ADMIN))).toEqual(expect.arrayContaining(['sessions', 'recent_sessions']));
  });

  it("a running job of another key is not cancelled by that key's DELETE", async () => {
    fake.fallback = { kind: 'ok', delayMs: 3000 };
    const id = await submit(t, ALPHA, wav);
    await waitFor(
      async () =>
        ((await (await fetch(`${t.url}/api/v1/jobs/${id}`, { headers: as(ALPHA) })).json()) as JobView).status ===
        'running',
      { what: 'the job to run' },
    );
    expect(await status(t, BETA, `/api/v1/jobs/${id}`, 'DELETE')).toBe(404);
    expect((await finishedJob(t, ALPHA, id)).status).toBe('succeeded');
  });

  it("signs each key's webhooks with that key's own secret: another key's secret does not verify them", async () => {
    fake.fallback = { kind: 'ok', delayMs: 10 };
    const calls: { headers: IncomingHttpHeaders; body: string }[] = [];
    const hooks = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        calls.push({ headers: req.headers, body });
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(hooks.address() as { port: number }).port}/hook`;
    const form = new FormData();
    form.append('webhook_url', hookUrl);
    form.append('file', new Blob([readFileSync(wav)]), 'speech.wav');
    const submitted = await fetch(`${t.url}/api/v1/jobs`, { method: 'POST', headers: as(ALPHA), body: form });
    const id = ((await submitted.json()) as { id: string }).id;
    await waitFor(() => calls.length > 0, { what: 'the webhook', timeoutMs: 20_000 });
    hooks.close();

    const secretOf = async (key: string): Promise<{ secret: string; tenant: string }> =>
      (await (await fetch(`${t.url}/api/v1/auth/webhook-secret`, { headers: as(key) })).json()) as {
        secret: string;
        tenant: string;
      };
    const alpha = await secretOf(ALPHA);
    const beta = await secretOf(BETA);
    expect(alpha.tenant).toBe(nameOf(ALPHA));
    expect(alpha.secret).toMatch(/^whsec_/);
    expect(beta.secret).not.toBe(alpha.secret);
    const headers = calls[0]!.headers as Record<string, string>;
    expect(new Webhook(alpha.secret).verify(calls[0]!.body, headers)).toMatchObject({ data: { id } });
    expect(() => new Webhook(beta.secret).verify(calls[0]!.body, headers)).toThrow();
    // Nor does SECRET_KEY itself, which signs nothing any more.
    const raw = `whsec_${Buffer.from('a-test-secret-key-of-at-least-32-characters').toString('base64')}`;
    expect(() => new Webhook(raw).verify(calls[0]!.body, headers)).toThrow();
  });

  it('keeps each key its jobs when API_KEYS is reordered (names come from the keys, not their places)', async () => {
    fake.fallback = { kind: 'ok', delayMs: 20 };
    const alphaJob = await submit(t, ALPHA, wav);
    const betaJob = await submit(t, BETA, wav);
    await finishedJob(t, BETA, betaJob);
    await t.close();
    t = await startTestApp({ env: env([ADMIN, BETA, ALPHA]) });
    expect(await status(t, ALPHA, `/api/v1/jobs/${alphaJob}`)).toBe(200);
    expect(await status(t, BETA, `/api/v1/jobs/${betaJob}`)).toBe(200);
    expect(await status(t, BETA, `/api/v1/jobs/${alphaJob}`)).toBe(404);
    expect(await status(t, ALPHA, `/api/v1/jobs/${betaJob}`)).toBe(404);
  });
});

describe('jobs stored before tenancy (an older SQLite database)', () => {
  const fake = new FakeOpenAi();
  let t: TestApp;
  const storage = mkdtempSync(join(tmpdir(), 'asr-tenancy-old-'));
  const legacyId = '11111111-1111-4111-8111-111111111111';

  beforeAll(() => fake.start());
  afterAll(async () => {
    await t?.close();
    await fake.stop();
  });

  it('are visible to admin keys only, after the store adds the tenant column', async () => {
    // The schema as the release before tenancy made it (no tenant column), with one finished job.
    mkdirSync(join(storage, 'audio', 'jobs'), { recursive: true });
    const db = new Database(join(storage, 'audio', 'jobs', 'jobs.sqlite'));
    db.exec(`CREATE TABLE jobs (
      id TEXT PRIMARY KEY, status TEXT NOT NULL, options TEXT NOT NULL, source TEXT NOT NULL,
      created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER, duration_s REAL,
      done_s REAL NOT NULL DEFAULT 0, runs INTEGER NOT NULL DEFAULT 0, error TEXT, result TEXT, owner TEXT,
      lease_until INTEGER, webhook_url TEXT, webhook_state TEXT, webhook_attempts TEXT NOT NULL DEFAULT '[]',
      webhook_next_at INTEGER)`);
    db.prepare(
      `INSERT INTO jobs (id, status, options, source, created_at, finished_at, runs) VALUES (?, 'failed', ?, ?, ?, ?, 1)`,
    ).run(
      legacyId,
      JSON.stringify({ wordTimestamps: false }),
      JSON.stringify({ filename: 'old.wav' }),
      Date.now() - 2000,
      Date.now() - 1000,
    );
    db.close();
    t = await startTestApp({
      env: {
        ASR_PROVIDER: 'openai-compatible',
        ASR_BASE_URL: fake.url,
        API_KEYS: `${ALPHA},${ADMIN}`,
        API_ADMIN_KEYS: nameOf(ADMIN),
        SECRET_KEY: 'a-test-secret-key-of-at-least-32-characters',
        AUDIO_STORAGE_PATH: join(storage, 'audio'),
      },
    });
    expect(await status(t, ALPHA, `/api/v1/jobs/${legacyId}`)).toBe(404);
    expect(await listIds(t, ALPHA)).not.toContain(legacyId);
    expect(await status(t, ADMIN, `/api/v1/jobs/${legacyId}`)).toBe(200);
    expect(await listIds(t, ADMIN)).toContain(legacyId);
  });
});
