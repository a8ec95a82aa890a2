#!/usr/bin/env node
// Server memory while a 95 MB upload streams through it: RSS of the server process sampled every 20 ms, growth
// over its RSS after small warm-up requests (the baseline in the same run).
// Usage: npm run build && node bench/upload-rss.mjs
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIBRIVOX, postFile, rssMiB, startServer } from './support.mjs';

const scratch = mkdtempSync(join(tmpdir(), 'asr-bench-rss-'));
const big = join(scratch, 'big.wav');
// 2970 s of 16 kHz 16-bit mono: 95.0 MB.
execFileSync('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', big, 'synth', '2970', 'pinknoise', 'vol', '0.05']);
const bytes = statSync(big).size;

const fake = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        text: 'ok',
        language: 'english',
        duration: 120,
        segments: [{ start: 0, end: 120, text: 'ok' }],
      }),
    );
  });
});
await new Promise((resolve) => fake.listen(0, '127.0.0.1', resolve));

/**
 * Two runs: the embedded engine (the default) on the upload's first 300 s (MAX_UPLOAD_DURATION_S stops it there:
 * the whole 50 minutes would take minutes), and a remote provider (the fake, answering at once) on all of it.
 */
const modes = {
  local: { ASR_PROVIDER: 'local', LOCAL_ASR_CONCURRENCY: '1', MAX_UPLOAD_DURATION_S: '300' },
  remote: { ASR_PROVIDER: 'openai-compatible', ASR_BASE_URL: `http://127.0.0.1:${fake.address().port}/v1` },
};
const small = readFileSync(join(LIBRIVOX, 'sense_and_sensibility_01_austen_64kb-0880.wav'));
const upload = readFileSync(big);
const results = {};
for (const [mode, env] of Object.entries(modes)) {
  const server = await startServer(
    {
      ...env,
      AUDIO_STORAGE_PATH: join(scratch, 'a'),
      TEMP_STORAGE_PATH: join(scratch, 't'),
      MAX_UPLOAD_BYTES: String(100 * 1024 * 1024),
    },
    scratch,
  );
  for (let i = 0; i < 5; i += 1) await postFile(server.url, '/api/v1/transcribe', small, 'small.wav');
  await new Promise((resolve) => setTimeout(resolve, 500));
  const baseline = rssMiB(server.pid);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(server.pid))), 20);
  const started = performance.now();
  const answer = await postFile(server.url, '/api/v1/transcribe', upload, 'big.wav').then(
    (ok) => `200, ${JSON.parse(ok.body).duration} s transcribed`,
    (error) => String(error.message).slice(0, 40),
  );
  clearInterval(sampler);
  await server.stop();
  results[mode] = {
    answer,
    requestSeconds: Number(((performance.now() - started) / 1000).toFixed(2)),
    baselineRssMiB: Number(baseline.toFixed(1)),
    peakRssMiB: Number(peak.toFixed(1)),
    growthMiB: Number((peak - baseline).toFixed(1)),
  };
}
fake.close();
console.log(JSON.stringify({ uploadBytes: bytes, ...results }, null, 2));
