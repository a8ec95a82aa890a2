#!/usr/bin/env node
// Process start → first `GET /health` 200, for the built service and, as the baseline in the same run, a bare
// Fastify server started the same way. Median of N runs each. Usage: npm run build && node bench/startup.mjs [runs]
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 5);

function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function timeToFirstHealth(args, env, cwd) {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd,
    env: { PATH: process.env.PATH, API_HOST: '127.0.0.1', API_PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: 'ignore',
  });
  try {
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/health`)).status === 200) return performance.now() - started;
      } catch {
        // not listening yet
      }
      if (performance.now() - started > 30_000) throw new Error('no /health 200 within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const scratch = mkdtempSync(join(tmpdir(), 'asr-bench-'));
const baselineFile = join(scratch, 'bare-fastify.cjs');
writeFileSync(
  baselineFile,
  `const app = require(${JSON.stringify(join(root, 'node_modules', 'fastify'))})();
app.get('/health', async () => ({ status: 'ok' }));
app.listen({ host: process.env.API_HOST, port: Number(process.env.API_PORT) });
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));`,
);

const service = [];
const baseline = [];
for (let i = 0; i < runs; i += 1) {
  // Interleaved, so drift in machine load hits both alike.
  baseline.push(await timeToFirstHealth([baselineFile], {}, scratch));
  service.push(
    await timeToFirstHealth(
      [join(root, 'dist/apps/asr-api/src/main.js')],
      { AUDIO_STORAGE_PATH: join(scratch, 'a'), TEMP_STORAGE_PATH: join(scratch, 't') },
      scratch,
    ),
  );
}
const result = {
  runs,
  serviceMedianMs: Math.round(median(service)),
  baselineMedianMs: Math.round(median(baseline)),
  ratio: Number((median(service) / median(baseline)).toFixed(2)),
  serviceMs: service.map(Math.round),
  baselineMs: baseline.map(Math.round),
};
console.log(JSON.stringify(result, null, 2));
