import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerProcess, startServerProcess } from './support/processes';

async function waitForReady(url: string, timeoutMs = 15_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = (await fetch(`${url}/health/ready`)).status;
    if (status === 200 || Date.now() > deadline) return status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the built server as a process', () => {
  let server: ServerProcess | undefined;
  afterEach(() => {
    // A failed assertion must not leave the server running (Jest would wait on it forever).
    if (server?.child.exitCode === null) server.child.kill('SIGKILL');
    server = undefined;
  });

  it('serves, appends logs to LOG_STORAGE_PATH without secrets, and exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asr-proc-'));
    const logDir = join(dir, 'logs');
    mkdirSync(logDir);
    // A line already there (as after logrotate's copytruncate): the server must append, not truncate.
    writeFileSync(join(logDir, 'asr-api-service.log'), '{"msg":"earlier line"}\n');
    server = await startServerProcess({ LOG_STORAGE_PATH: logDir, LOG_LEVEL: 'INFO  # as the guide writes it' }, dir);

    // Liveness answers at once; readiness once the speech models are loaded.
    expect(await waitForReady(server.url)).toBe(200);
    const secret = 'sk-process-secret';
    const missing = await fetch(`${server.url}/nothing-here`, {
      headers: { authorization: `Bearer ${secret}`, 'x-request-id': 'proc-404' },
    });
    expect(missing.status).toBe(404);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    const file = readFileSync(join(logDir, 'asr-api-service.log'), 'utf8');
    expect(file.startsWith('{"msg":"earlier line"}\n')).toBe(true);
    expect(file).toContain('"id":"proc-404"');
    expect(file).toContain('SIGTERM received');
    expect(file).not.toContain(secret);
    expect(server.output()).not.toContain(secret);
  });
});
