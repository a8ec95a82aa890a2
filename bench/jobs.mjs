#!/usr/bin/env node
// Jobs against the same request made directly: a long recording (default 10 minutes of flite sentences with
// pauses) transcribed through POST /api/v1/transcribe, and submitted as a job (202, then polled to `succeeded`,
// then the result fetched), with a fake OpenAI-compatible provider answering after 100 ms. Reports the time to
// the 202, the job's total time against the direct request's, and how often progress moved.
// Usage: npm run build && node bench/jobs.mjs [minutes=10] [repeats=3]
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_SENTENCES, median, speechLoop, startFakeProvider, startServer } from './support.mjs';

const MINUTES = Number(process.argv[2] ?? 10);
const REPEATS = Number(process.argv[3] ?? 3);

const loop = speechLoop(
  [0, 1, 3, 4].map((i) => BENCH_SENTENCES[i]),
  (i) => 0.8 + (i % 3) * 0.4,
);
const bytes = MINUTES * 60 * 16000 * 2;
const pcm = Buffer.alloc(bytes);
for (let at = 0; at < bytes; at += loop.length) loop.copy(pcm, at, 0, Math.min(loop.length, bytes - at));
const header = Buffer.alloc(44);
header.write('RIFF', 0, 'ascii');
header.writeUInt32LE(36 + bytes, 4);
header.write('WAVEfmt ', 8, 'ascii');
header.writeUInt32LE(16, 16);
header.writeUInt16LE(1, 20);
header.writeUInt16LE(1, 22);
header.writeUInt32LE(16000, 24);
header.writeUInt32LE(32000, 28);
header.writeUInt16LE(2, 32);
header.writeUInt16LE(16, 34);
header.write('data', 36, 'ascii');
header.writeUInt32LE(bytes, 40);
const wav = Buffer.concat([header, pcm]);

const fake = await startFakeProvider(100);
const dir = mkdtempSync(join(tmpdir(), 'asr-bench-jobs-'));
writeFileSync(join(dir, 'meeting.wav'), wav);
const server = await startServer(
  {
    AUDIO_STORAGE_PATH: join(dir, 'audio'),
    TEMP_STORAGE_PATH: join(dir, 'tmp'),
    ASR_PROVIDER: 'openai-compatible',
    ASR_BASE_URL: `http://127.0.0.1:${fake.port}/v1`,
    MAX_UPLOAD_DURATION_S: String(MINUTES * 60 + 60),
  },
  dir,
);

function upload(path) {
  const form = new FormData();
  form.append('file', new Blob([wav]), 'meeting.wav');
  return fetch(`${server.url}${path}`, { method: 'POST', body: form });
}

const direct = [];
const accepted = [];
const jobs = [];
const progressSteps = [];
for (let i = 0; i < REPEATS; i += 1) {
  let started = performance.now();
  const response = await upload('/api/v1/transcribe');
  if (response.status !== 200) throw new Error(`transcribe: ${response.status} ${await response.text()}`);
  await response.json();
  direct.push(performance.now() - started);

  started = performance.now();
  const submitted = await upload('/api/v1/jobs');
  if (submitted.status !== 202) throw new Error(`submit: ${submitted.status} ${await submitted.text()}`);
  const { id } = await submitted.json();
  accepted.push(performance.now() - started);
  const seen = new Set();
  for (;;) {
    const job = await (await fetch(`${server.url}/api/v1/jobs/${id}`)).json();
    seen.add(job.progress.done_seconds);
    if (job.status === 'succeeded') break;
    if (job.status === 'failed' || job.status === 'cancelled') throw new Error(`job ${job.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await (await fetch(`${server.url}/api/v1/jobs/${id}/result?format=srt`)).text();
  jobs.push(performance.now() - started);
  progressSteps.push(seen.size);
}
await server.stop();
fake.close();

const result = {
  audioMinutes: MINUTES,
  uploadMiB: Number((wav.length / 2 ** 20).toFixed(1)),
  directMs: Math.round(median(direct)),
  acceptedMs: Math.round(median(accepted)),
  jobMs: Math.round(median(jobs)),
  jobOverDirect: Number((median(jobs) / median(direct)).toFixed(2)),
  progressValuesSeen: median(progressSteps),
};
console.log(JSON.stringify(result));
