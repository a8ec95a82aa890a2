#!/usr/bin/env node
// Soak: SESSIONS concurrent real-time streams for MINUTES against a fake provider (100 ms latency), counting every
// utterance the server announced (speech.started) that never got its final, the server's RSS after a forced full
// GC (through the inspector of each of its processes, so the product needs no hook) every 20 s, open sessions,
// event-loop lag (less the monitor's 10 ms interval, as bench/stream.mjs reads it: bench/lag.mjs) and the time from
// speech.stopped to each final. Passes when no final is lost, RSS drifts < 5% (median of minutes 2–3 against the
// last two minutes) and sessions return to 0 after the clients close.
// --workers N: the server runs with API_WORKERS=N. Then its RSS is the primary's and every worker's together (each
// is reported too; pages the processes share, such as Node's own, count once per process: right for the drift, more
// than the server's memory), each process's heap is collected through its own inspector (cluster gives each worker the next
// inspector port), and the lag is each worker's own, read through its inspector with a monitor like prom-client's;
// a sample's lag is the worst worker's.
// Usage: npm run build && node bench/soak.mjs [sessions=200] [minutes=10] [--workers N]
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beyondInterval, LAG_RESOLUTION_MS, metricValue } from './lag.mjs';
import {
  BENCH_SENTENCES,
  freePort,
  median,
  percentile,
  rssMiB,
  speechLoop,
  startFakeProvider,
  startServer,
} from './support.mjs';

const require = createRequire(import.meta.url);
const { WebSocket } = require('ws');
const argv = process.argv.slice(2);
const workersAt = argv.indexOf('--workers');
const WORKERS = workersAt >= 0 ? Number(argv.splice(workersAt, 2)[1]) : 1;
const SESSIONS = Number(argv[0] ?? 200);
const MINUTES = Number(argv[1] ?? 10);
const SAMPLE_EVERY_S = 20;
const FRAME_BYTES = 3200; // 100 ms of 16 kHz 16-bit mono
const PROVIDER_LATENCY_MS = 100;

// --- the audio every client loops: flite sentences with pauses
const loop = speechLoop(
  [0, 1, 3].map((i) => BENCH_SENTENCES[i]),
  (i) => 1.5 + i * 0.4,
);
const loopFrames = Math.floor(loop.length / FRAME_BYTES);
const fake = await startFakeProvider(PROVIDER_LATENCY_MS);
const fakePort = fake.port;

// --- the server, with an inspector on loopback to force garbage collection before each RSS reading
const inspectPort = await freePort();
const dir = mkdtempSync(join(tmpdir(), 'asr-bench-soak-server-'));
const server = await startServer(
  {
    AUDIO_STORAGE_PATH: join(dir, 'audio'),
    TEMP_STORAGE_PATH: join(dir, 'tmp'),
    STREAMING_MAX_CLIENTS: String(SESSIONS + 10),
    ASR_PROVIDER: 'openai-compatible',
    ASR_BASE_URL: `http://127.0.0.1:${fakePort}/v1`,
    ASR_CONCURRENCY: '256',
    ...(WORKERS > 1 && { API_WORKERS: String(WORKERS) }),
  },
  dir,
  [`--inspect=127.0.0.1:${inspectPort}`],
);

/** A process's inspector: `call(method, params)` answers its result. */
async function inspector(port) {
  const listed = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(5000) });
  const [target] = await listed.json();
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const waiting = new Map();
  let id = 0;
  socket.on('message', (data) => {
    const reply = JSON.parse(data);
    waiting.get(reply.id)?.(reply.result);
    waiting.delete(reply.id);
  });
  const call = (method, params = {}) =>
    new Promise((resolve) => {
      id += 1;
      waiting.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  const evaluate = async (expression) =>
    (await call('Runtime.evaluate', { expression, includeCommandLineAPI: true, returnByValue: true })).result.value;
  return { call, evaluate, pid: await evaluate('process.pid'), close: () => socket.close() };
}

/**
 * The server's processes, each through its inspector: the primary on `inspectPort`, and under API_WORKERS each
 * worker on one of the ports after it (found by trying them once the primary has forked every worker).
 */
async function serverProcesses() {
  const primary = await inspector(inspectPort);
  const workers = [];
  if (WORKERS > 1) {
    const deadline = Date.now() + 60_000;
    while (workers.length < WORKERS) {
      if (Date.now() > deadline) throw new Error(`found ${workers.length} of ${WORKERS} workers' inspectors`);
      for (let port = inspectPort + 1; port <= inspectPort + 2 * WORKERS; port += 1) {
        if (workers.some((w) => w.port === port)) continue;
        const found = await inspector(port).catch(() => undefined);
        // Only the primary's own children: another Node inspector on a port nearby is not a worker.
        if (found && (await found.evaluate('process.ppid')) === primary.pid) workers.push({ ...found, port });
        else found?.close();
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  // Each process that serves streams keeps its own lag monitor, read (and reset) at each sample.
  const serving = WORKERS > 1 ? workers : [primary];
  for (const each of serving) {
    await each.evaluate(
      `globalThis.soakLag = require('node:perf_hooks').monitorEventLoopDelay({ resolution: ${LAG_RESOLUTION_MS} }); soakLag.enable(); 1`,
    );
  }
  return { all: [primary, ...workers], serving };
}

const processes = await serverProcesses();

/** Every process's heap collected, then the RSS of each (MiB, primary first). */
async function collectedRss() {
  for (const each of processes.all) await each.call('HeapProfiler.collectGarbage');
  return processes.all.map((each) => Number(rssMiB(each.pid).toFixed(1)));
}

/** Each serving process's lag p99 and max since the last reading (less the monitor's interval), then reset. */
async function lagReadings() {
  const readings = [];
  for (const each of processes.serving) {
    const delaysNs = await each.evaluate(
      '(() => { const delays = [soakLag.percentile(99), soakLag.max]; soakLag.reset(); return delays; })()',
    );
    readings.push(delaysNs.map((ns) => beyondInterval(ns / 1e6)));
  }
  return readings;
}

/** Open sessions over the whole server (the gauge every process reports, summed under API_WORKERS). */
async function openSessions() {
  return metricValue(await (await fetch(`${server.url}/metrics`)).text(), 'asr_stream_active_sessions');
}

/**
 * speech.stopped → final of each utterance since the last reading, ms (the fake's 100 ms in it, and any delay the
 * benchmark's own forced collections caused to finals in flight at that moment).
 */
let sinceStopped = [];

// --- the clients
const clients = [];
for (let i = 0; i < SESSIONS; i += 1) {
  const socket = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/stream?interim_results=false`);
  const client = { socket, frame: (i * 13) % loopFrames, started: new Set(), finals: new Set(), closed: undefined };
  const stoppedAt = new Map();
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString());
    if (message.type === 'speech.started') client.started.add(message.segment_id);
    if (message.type === 'speech.stopped') stoppedAt.set(message.segment_id, performance.now());
    if (message.type === 'transcript.final') {
      client.finals.add(message.segment_id);
      const at = stoppedAt.get(message.segment_id);
      stoppedAt.delete(message.segment_id);
      if (at !== undefined) sinceStopped.push(performance.now() - at);
    }
  });
  client.closed = new Promise((resolve) => socket.once('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  clients.push(client);
}
console.error(`soak: ${SESSIONS} sessions open; streaming for ${MINUTES} min`);
// The lag counts from here: not the connections being opened one by one.
for (const each of processes.serving) await each.evaluate('soakLag.reset()');

const started = performance.now();
let ticks = 0;
let timer;
const tick = () => {
  ticks += 1;
  for (const client of clients) {
    const at = client.frame * FRAME_BYTES;
    client.socket.send(loop.subarray(at, at + FRAME_BYTES));
    client.frame = (client.frame + 1) % loopFrames;
  }
  timer = setTimeout(tick, Math.max(0, started + (ticks + 1) * 100 - performance.now()));
};
timer = setTimeout(tick, 0);

const samples = [];
while (performance.now() - started < MINUTES * 60_000) {
  await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_S * 1000));
  // The lag is read before the forced collections, and its monitors are reset after them: their pauses are the
  // benchmark's, not the server's.
  const lags = await lagReadings();
  const rss = await collectedRss();
  for (const each of processes.serving) await each.evaluate('soakLag.reset()');
  const finals = sinceStopped;
  sinceStopped = [];
  const sample = {
    atS: Math.round((performance.now() - started) / 1000),
    rssMiB: Number(rss.reduce((sum, mib) => sum + mib, 0).toFixed(1)),
    ...(rss.length > 1 && { rssEachMiB: rss }),
    sessions: await openSessions(),
    // The worst serving process's (each one's when there are workers).
    lagP99Ms: Number(Math.max(...lags.map(([p99]) => p99)).toFixed(1)),
    lagMaxMs: Number(Math.max(...lags.map(([, max]) => max)).toFixed(1)),
    ...(lags.length > 1 && { lagP99EachMs: lags.map(([p99]) => Number(p99.toFixed(1))) }),
    finalLatencyP99Ms: finals.length ? Math.round(percentile(finals, 99)) : null,
  };
  samples.push(sample);
  console.error(JSON.stringify(sample));
}
clearTimeout(timer);

// Every client asks to close: the server finalises what it heard, sends the last finals, closes 1000.
for (const client of clients) client.socket.send(JSON.stringify({ type: 'close' }));
const codes = await Promise.all(clients.map((c) => c.closed));
let sessionsAfter = Number.NaN;
for (let i = 0; i < 100; i += 1) {
  sessionsAfter = await openSessions();
  if (sessionsAfter === 0) break;
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const announced = clients.reduce((n, c) => n + c.started.size, 0);
const lost = clients.reduce((n, c) => n + [...c.started].filter((id) => !c.finals.has(id)).length, 0);
const window = (from, to) => samples.filter((s) => s.atS > from && s.atS <= to).map((s) => s.rssMiB);
const early = median(window(60, 180));
const late = median(window(MINUTES * 60 - 120, MINUTES * 60 + SAMPLE_EVERY_S));
const result = {
  sessions: SESSIONS,
  minutes: MINUTES,
  workers: WORKERS,
  utterances: announced,
  lostFinals: lost,
  closedNormally: codes.filter((code) => code === 1000).length,
  sessionsAfter,
  rssEarlyMiB: early,
  rssLateMiB: late,
  rssDriftPercent: Number((((late - early) / early) * 100).toFixed(2)),
  lagP99Ms: median(samples.map((s) => s.lagP99Ms)),
  lagMaxMs: Math.max(...samples.map((s) => s.lagMaxMs)),
  // The median of the samples' p99s, the provider's 100 ms included.
  finalLatencyP99Ms: median(samples.map((s) => s.finalLatencyP99Ms).filter((ms) => ms !== null)),
};
result.passes = lost === 0 && Math.abs(result.rssDriftPercent) < 5 && sessionsAfter === 0;
console.log(JSON.stringify(result));
for (const each of processes.all) each.close();
await server.stop();
fake.close();
process.exit(result.passes ? 0 : 1);
