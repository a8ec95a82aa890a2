#!/usr/bin/env node
// Streaming capacity: the most concurrent real-time sessions the server (pinned to core 0) holds with p99
// event-loop lag < 20 ms and p99 end-of-speech → final overhead < 50 ms, against a fake provider with a fixed
// 100 ms latency; the same load on a bare `ws` server that only receives frames (the ceiling); and the real-time
// sessions the embedded engine holds. The load generator and the fake provider run here, pinned to core 1.
// Usage: npm run build && node bench/stream.mjs [levels…]   (default levels: 100 200 300 400 500 600)
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_SENTENCES, freePort, percentile, ROOT, speechLoop, startFakeProvider, startServer } from './support.mjs';

const require = createRequire(import.meta.url);
const { WebSocket } = require('ws');
const levels = process.argv.slice(2).map(Number).filter(Boolean);
const LEVELS = levels.length > 0 ? levels : [100, 200, 300, 400, 500, 600];
const WINDOW_S = 20;
const PROVIDER_LATENCY_MS = 100;
const FRAME_BYTES = 640; // 20 ms of 16 kHz 16-bit mono
const LAG_LIMIT_MS = 20;
const OVERHEAD_LIMIT_MS = 50;
const LAG_RESOLUTION_MS = 10;

execFileSync('taskset', ['-a', '-cp', '1', String(process.pid)]);
const pin = (pid) => execFileSync('taskset', ['-a', '-cp', '0', String(pid)]);

// --- the audio every client loops: flite utterances with pauses, 16-bit PCM
const loop = speechLoop(BENCH_SENTENCES.slice(0, 4), (i) => 1 + i * 0.5);
const loopFrames = Math.floor(loop.length / FRAME_BYTES);

// --- a fake OpenAI-compatible provider: reads the body, answers after a fixed latency
const fake = await startFakeProvider(PROVIDER_LATENCY_MS);
const fakePort = fake.port;

// --- a bare ws server that only receives frames, as the ceiling
const BARE = `
const { WebSocketServer } = require('ws');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const http = require('node:http');
const lag = monitorEventLoopDelay({ resolution: 10 }); lag.enable();
let cpu = process.cpuUsage(); let frames = 0;
const server = http.createServer((req, res) => {
  const used = process.cpuUsage(cpu); cpu = process.cpuUsage();
  // Sampled every 10 ms, like the server's monitor: the lag is what comes on top of that.
  res.end(JSON.stringify({ cpuS: (used.user + used.system) / 1e6, lagP99Ms: Math.max(0, lag.percentile(99) / 1e6 - 10), frames }));
  lag.reset();
});
new WebSocketServer({ server }).on('connection', (ws) => ws.on('message', () => (frames += 1)));
server.listen(Number(process.argv[1]), '127.0.0.1');
`;

/** CPU seconds and event-loop lag p99 from one scrape of /metrics (prom-client resets its lag histogram on each). */
async function scrape(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name) => Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return {
    cpuS: value('process_cpu_seconds_total'),
    vadFrames: value('asr_vad_batch_size_sum'),
    vadBatches: value('asr_vad_batch_size_count'),
    // Its monitor samples every 10 ms: a delay of 10 ms is an idle loop, the lag is what comes on top.
    lagP99Ms: Math.max(0, value('nodejs_eventloop_lag_p99_seconds') * 1000 - LAG_RESOLUTION_MS),
  };
}

/** `sessions` clients sending 20 ms frames in real time for WINDOW_S; lag, CPU and final overheads measured. */
async function runLevel(wsUrl, sessions, sample) {
  const overheads = [];
  const clients = [];
  for (let i = 0; i < sessions; i += 1) {
    const socket = new WebSocket(`${wsUrl}?interim_results=false`);
    const client = {
      socket,
      frame: (i * 37) % loopFrames,
      sent: 0,
      sentAt: new Float64Array(1 << 16),
      stoppedAt: new Map(),
    };
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString());
      if (message.type === 'speech.stopped') {
        // When the client sent the audio where the server heard the speech end.
        const index = Math.min(client.sent - 1, Math.floor((message.end * 16000 * 2) / FRAME_BYTES));
        client.stoppedAt.set(message.segment_id, client.sentAt[index & 0xffff]);
      } else if (message.type === 'transcript.final' && measuring) {
        const heard = client.stoppedAt.get(message.segment_id);
        if (heard !== undefined) overheads.push(performance.now() - heard - PROVIDER_LATENCY_MS);
      }
    });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    clients.push(client);
  }
  let measuring = false;
  const started = performance.now();
  let ticks = 0;
  const tick = () => {
    ticks += 1;
    for (const client of clients) {
      const at = client.frame * FRAME_BYTES;
      client.socket.send(loop.subarray(at, at + FRAME_BYTES));
      client.sentAt[client.sent & 0xffff] = performance.now();
      client.sent += 1;
      client.frame = (client.frame + 1) % loopFrames;
    }
    // Real-time pacing from the start, so a late tick is caught up, not dropped.
    const next = started + (ticks + 1) * 20 - performance.now();
    timer = setTimeout(tick, Math.max(0, next));
  };
  let timer = setTimeout(tick, 0);
  // Warm-up: every session past its first final (connections to the provider open, code paths compiled).
  await new Promise((resolve) => setTimeout(resolve, 8000));
  const before = await sample();
  measuring = true;
  await new Promise((resolve) => setTimeout(resolve, WINDOW_S * 1000));
  measuring = false;
  const after = await sample();
  clearTimeout(timer);
  await Promise.all(
    clients.map(
      ({ socket }) =>
        new Promise((resolve) => {
          socket.once('close', resolve);
          socket.terminate();
        }),
    ),
  );
  const stats = await fetch(`${wsUrl.replace(/^ws/, 'http').replace(/\/api\/v1\/stream$/, '')}/api/v1/streaming-stats`)
    .then((r) => (r.ok ? r.json() : undefined))
    .catch(() => undefined);
  return {
    sessions,
    serverFinalLatencyP99Ms: stats?.final_latency_seconds
      ? Math.round(stats.final_latency_seconds.p99 * 1000)
      : undefined,
    lagP99Ms: Number(after.lagP99Ms.toFixed(2)),
    cpuPercent: Math.round(((after.cpuS - before.cpuS) / WINDOW_S) * 100),
    // Mean VAD batch (frames per inference) in the window; the bare server has none.
    vadMeanBatch:
      after.vadBatches > before.vadBatches
        ? Number(((after.vadFrames - before.vadFrames) / (after.vadBatches - before.vadBatches)).toFixed(1))
        : undefined,
    finals: overheads.length,
    overheadP50Ms: overheads.length ? Number(percentile(overheads, 50).toFixed(1)) : null,
    overheadP99Ms: overheads.length ? Number(percentile(overheads, 99).toFixed(1)) : null,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'asr-bench-stream-server-'));
const common = {
  AUDIO_STORAGE_PATH: join(dir, 'audio'),
  TEMP_STORAGE_PATH: join(dir, 'tmp'),
  STREAMING_MAX_CLIENTS: '5000',
  STREAM_IDLE_TIMEOUT_S: '60',
  // The provider's own concurrency limit is not what is measured here.
  ASR_CONCURRENCY: '256',
};

// --- ours, with the fake provider
const ours = await startServer(
  { ...common, ASR_PROVIDER: 'openai-compatible', ASR_BASE_URL: `http://127.0.0.1:${fakePort}/v1`, ASR_API_KEY: 'x' },
  dir,
);
pin(ours.pid);
const oursSample = () => scrape(ours.url);
const oursLevels = [];
for (const sessions of LEVELS) {
  const result = await runLevel(`${ours.url.replace('http', 'ws')}/api/v1/stream`, sessions, oursSample);
  result.holds =
    result.lagP99Ms < LAG_LIMIT_MS && result.overheadP99Ms !== null && result.overheadP99Ms < OVERHEAD_LIMIT_MS;
  oursLevels.push(result);
  console.error(JSON.stringify(result));
  if (!result.holds) break;
}
await ours.stop();

// --- the bare ws server at the same levels
const barePort = await freePort();
const bare = spawn(process.execPath, ['-e', BARE, String(barePort)], { cwd: ROOT, stdio: 'inherit' });
await new Promise((resolve) => setTimeout(resolve, 500));
pin(bare.pid);
const bareUrl = `http://127.0.0.1:${barePort}`;
const bareSample = async () => (await fetch(bareUrl)).json();
const bareLevels = [];
for (const { sessions } of oursLevels) {
  const result = await runLevel(`ws://127.0.0.1:${barePort}`, sessions, bareSample);
  bareLevels.push({ sessions, lagP99Ms: result.lagP99Ms, cpuPercent: result.cpuPercent });
  console.error(JSON.stringify(bareLevels[bareLevels.length - 1]));
}
bare.kill();

// --- the embedded engine: real-time sessions with partials (finals within 1.5 s of the end of speech, p99)
const local = await startServer({ ...common, LOCAL_ASR_CONCURRENCY: '4' }, dir);
pin(local.pid);
const localSample = () => scrape(local.url);
const localLevels = [];
for (const sessions of [1, 2, 3, 4]) {
  const result = await runLevel(`${local.url.replace('http', 'ws')}/api/v1/stream`, sessions, localSample);
  // The fake's latency is not in this path: add it back, the overhead here is the engine's time.
  result.finalP99Ms = result.overheadP99Ms === null ? null : result.overheadP99Ms + PROVIDER_LATENCY_MS;
  result.holds = result.finalP99Ms !== null && result.finalP99Ms < 1500 && result.lagP99Ms < LAG_LIMIT_MS;
  localLevels.push(result);
  console.error(JSON.stringify(result));
  if (!result.holds) break;
}
await local.stop();
fake.close();

const held = oursLevels.filter((l) => l.holds).pop();
console.log(
  JSON.stringify(
    {
      windowS: WINDOW_S,
      providerLatencyMs: PROVIDER_LATENCY_MS,
      ours: oursLevels,
      bare: bareLevels,
      mostSessionsHeld: held?.sessions ?? 0,
      cpuRatioAtMostHeld: held
        ? Number(
            (held.cpuPercent / Math.max(1, bareLevels.find((b) => b.sessions === held.sessions).cpuPercent)).toFixed(1),
          )
        : null,
      localEngine: localLevels,
      localSessionsHeld: localLevels.filter((l) => l.holds).pop()?.sessions ?? 0,
    },
    null,
    2,
  ),
);
process.exit(0);
