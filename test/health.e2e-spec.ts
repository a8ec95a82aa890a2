import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from './support/test-app';

interface HealthBody {
  status: string;
  details: Record<string, { status: string; message?: string }>;
}

async function getJson(url: string): Promise<{ status: number; body: HealthBody }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as HealthBody };
}

describe('health', () => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('answers liveness and readiness with storage up', async () => {
    app = await startTestApp();
    const live = await getJson(`${app.url}/health`);
    expect(live).toMatchObject({ status: 200, body: { status: 'ok' } });
    const ready = await getJson(`${app.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ok');
    expect(ready.body.details.storage?.status).toBe('up');
  });

  it('stays 200 and lists the degraded indicator when free disk is below the threshold', async () => {
    app = await startTestApp({ env: { STORAGE_MIN_FREE_MB: String(1024 * 1024 * 1024) } });
    const ready = await getJson(`${app.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('degraded');
    expect(ready.body.details.storage).toMatchObject({ status: 'degraded' });
    expect(ready.body.details.storage?.message).toContain('STORAGE_MIN_FREE_MB');
  });

  it('is 503 when a storage directory cannot be written, while liveness stays 200', async () => {
    // A regular file where the audio directory should be: mkdir and writes fail.
    const blocked = join(mkdtempSync(join(tmpdir(), 'asr-blocked-')), 'file');
    writeFileSync(blocked, 'not a directory');
    app = await startTestApp({ env: { AUDIO_STORAGE_PATH: join(blocked, 'audio') } });
    const ready = await getJson(`${app.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(ready.body.status).toBe('error');
    expect(ready.body.details.storage?.status).toBe('down');
    expect((await fetch(`${app.url}/health`)).status).toBe(200);
  });
});
