#!/usr/bin/env node
// What one final costs the server in its request to a remote provider: the remote provider (dist) sends a 3 s
// utterance to a fake OpenAI-compatible server in another process, 1,000 calls one after another, and this reports
// the CPU per call in this process and the event loop's longest blocks meanwhile (monitorEventLoopDelay at 1 ms,
// the calls 3 ms apart: the loop does nothing else, so its delays are one call's synchronous stretches), and each
// call's longest synchronous stretch, collector pauses taken out (p50/p90/p99/max of 500 calls). Two transports in
// one run, rounds interleaved: the SDK's default fetch (undici) as the baseline, and the product's node:http
// transport (libs/asr/src/remote/node-http-fetch.ts); the ratio is ours ÷ baseline. Beside them, the control: a
// fixed 0.2 ms of arithmetic measured as a call is, whose spread is the machine's. Started with the server's heap
// flag, as the usage line shows, this process's heap is sized as the server's is.
// Usage: npm run build && node --initial-heap-size=256 bench/request-path.mjs [--rounds N] [--calls N] [--pin-all-threads]
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { DIST, median } from './support.mjs';

const require = createRequire(import.meta.url);
const argv = process.argv.slice(2);
const option = (name, fallback) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
const ROUNDS = option('--rounds', 3);
const CALLS = option('--calls', 1000);
const { OpenAiCompatibleProvider } = require(join(DIST, 'libs/asr/src/remote/openai-compatible-provider.js'));
const OpenAI = require('openai').default;

// The fake answers at once: its latency is not what is measured, and it runs in its own process.
const FAKE = `
require('node:http').createServer((req, res) => { req.resume(); req.on('end', () => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ text: 'hello', language: 'english', duration: 3, segments: [], words: [] }));
}); }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;
const fake = spawn('taskset', ['-c', '1', process.execPath, '-e', FAKE], { stdio: ['ignore', 'pipe', 'inherit'] });
// This process's main thread on core 0 and the fake (from its start) on core 1: the fake's work is not a block. V8's background
// threads (concurrent marking and sweeping, compilers) stay free to use either core; with --pin-all-threads they share
// core 0 with the main thread, as in bench/stream.mjs, and their time-slices stretch the call's (measured: p99 0.8
// against 3.7 ms, while the control, which allocates nothing, is not stretched). The spinner keeps core 0 busy, so
// there they can only run by pre-empting the main thread, where a real server would give them its idle time: the
// --pin-all-threads figure is the worse of the two, not the server's.
execFileSync('taskset', [...(argv.includes('--pin-all-threads') ? ['-a'] : []), '-cp', '0', String(process.pid)]);
const port = Number(await new Promise((resolve) => fake.stdout.once('data', (d) => resolve(String(d).trim()))));
const baseURL = `http://127.0.0.1:${port}/v1`;

function provider(transport) {
  const remote = new OpenAiCompatibleProvider({
    name: 'openai-compatible',
    endpoint: { baseUrl: baseURL, apiKey: 'x', model: 'whisper-1' },
    timeoutS: 30,
    maxRetries: 0,
    concurrency: 8,
    breaker: { failures: 5, cooldownS: 30 },
  });
  // The baseline: the same provider on the SDK's default fetch.
  if (transport === 'sdk-default') remote.client = new OpenAI({ apiKey: 'x', baseURL, timeout: 30_000, maxRetries: 0 });
  return remote;
}

// A 3 s utterance (the bench sentences' length), low-level noise.
const samples = Float32Array.from({ length: 3 * 16_000 }, (_, i) => Math.sin(i * 0.37) * 0.05);

async function measure(transport) {
  const remote = provider(transport);
  for (let i = 0; i < 200; i += 1) await remote.transcribe(samples, { language: 'en' });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const cpu = process.cpuUsage();
  for (let i = 0; i < CALLS; i += 1) {
    await remote.transcribe(samples, { language: 'en' });
    await sleep(3);
  }
  const used = process.cpuUsage(cpu);
  delay.disable();
  // The histogram counts the 1 ms interval itself.
  const block = (ms) => Math.max(0, ms / 1e6 - 1);
  return {
    cpuMsPerCall: (used.user + used.system) / 1000 / CALLS,
    blockP99Ms: block(delay.percentile(99)),
    blockMaxMs: block(delay.max),
    ...(await longestStretches(() => remote.transcribe(samples, { language: 'en' }), Math.min(CALLS, 500))),
  };
}

/**
 * Each call's longest synchronous stretch: the loop is kept turning by setImmediate, so the gap between two turns
 * is the work of one turn, and the longest gap while a call is in flight is the longest the call held the loop.
 * Collector pauses are counted apart (a pause inside a gap is taken out of it): they come from all the garbage of
 * the process, not from one call's work. Percentiles over `calls` calls. `work`: what one call does (a call, or the
 * control).
 */
async function longestStretches(work, calls) {
  const pauses = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses.push([entry.startTime, entry.startTime + entry.duration]);
  });
  observer.observe({ entryTypes: ['gc'] });
  const gaps = [];
  let last = performance.now();
  let turning = true;
  const turn = () => {
    const now = performance.now();
    if (now - last > 0.05) gaps.push([last, now]);
    last = now;
    if (turning) setImmediate(turn);
  };
  setImmediate(turn);
  const windows = [];
  for (let i = 0; i < calls; i += 1) {
    const started = performance.now();
    await work();
    windows.push([started, performance.now()]);
    await sleep(3);
  }
  turning = false;
  await sleep(50);
  observer.disconnect();
  const paused = (from, to) =>
    pauses.reduce((sum, [start, end]) => sum + Math.max(0, Math.min(to, end) - Math.max(from, start)), 0);
  const longest = windows
    .map(([from, to]) =>
      gaps
        .filter(([start, end]) => end > from && start < to)
        .reduce((most, [start, end]) => Math.max(most, end - start - paused(start, end)), 0),
    )
    .sort((a, b) => a - b);
  const at = (p) => longest[Math.floor((longest.length * p) / 100)];
  return {
    stretchP50Ms: at(50),
    stretchP90Ms: at(90),
    stretchP99Ms: at(99),
    stretchMaxMs: longest.at(-1),
    gcPauses: pauses.length,
  };
}

/**
 * The control: a fixed stretch of arithmetic (about 0.2 ms) measured the same way.
 * Its spread is what the machine adds to any stretch (a VM's host, V8's background threads on the same core).
 */
const controlSamples = Float32Array.from({ length: 48_000 }, (_, i) => Math.sin(i));
function controlWork() {
  let sum = 0;
  for (let round = 0; round < 3; round += 1)
    for (let i = 0; i < controlSamples.length; i += 1) sum += controlSamples[i] * 1.0001;
  return sum;
}
async function control(calls) {
  const started = performance.now();
  for (let i = 0; i < 200; i += 1) controlWork();
  const workMs = (performance.now() - started) / 200;
  const stretches = await longestStretches(async () => {
    await sleep(0);
    controlWork();
  }, calls);
  return { workMs: Number(workMs.toFixed(3)), ...stretches };
}

const runs = { 'sdk-default': [], 'node-http': [], control: [] };
for (let round = 0; round < ROUNDS; round += 1) {
  const order = round % 2 === 0 ? ['sdk-default', 'node-http'] : ['node-http', 'sdk-default'];
  for (const transport of order) {
    runs[transport].push(await measure(transport));
    console.error(transport, JSON.stringify(runs[transport].at(-1)));
  }
  runs.control.push(await control(Math.min(CALLS, 500)));
  console.error('control', JSON.stringify(runs.control.at(-1)));
}
fake.kill();
const summary = Object.fromEntries(
  Object.entries(runs).map(([transport, results]) => [
    transport,
    Object.fromEntries(
      Object.keys(results[0]).map((key) => [key, Number(median(results.map((r) => r[key])).toFixed(3))]),
    ),
  ]),
);
summary.ratio = Object.fromEntries(
  Object.keys(summary['sdk-default']).map((key) => [
    key,
    Number((summary['node-http'][key] / Math.max(1e-3, summary['sdk-default'][key])).toFixed(2)),
  ]),
);
console.log(JSON.stringify({ calls: CALLS, rounds: ROUNDS, ...summary }, null, 2));
process.exit(0);
