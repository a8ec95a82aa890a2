import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess } from './support/processes';

describe('the built server as a process', () => {
  it('serves, appends logs to LOG_STORAGE_PATH without secrets, and exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asr-proc-'));
    const logDir = join(dir, 'logs');
    mkdirSync(logDir);
    // A line already there (as after logrotate's copytruncate): the server must append, not truncate.
    writeFileSync(join(logDir, 'asr-api-service.log'), '{"msg":"earlier line"}\n');
    const server = await startServerProcess(
      { LOG_STORAGE_PATH: logDir, LOG_LEVEL: 'INFO  # as the guide writes it' },
      dir,
    );

    const ready = await fetch(`${server.url}/health/ready`);
    expect(ready.status).toBe(200);
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
