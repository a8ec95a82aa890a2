#!/usr/bin/env node
// Soak: SESSIONS concurrent real-time streams for MINUTES against a fake provider (100 ms latency), counting every
// utterance the server announced (speech.started) that never got its final, the server's RSS after a forced full
// GC (through the inspector, so the product needs no hook) every 20 s, open sessions, event-loop lag (less the
// monitor's 10 ms interval, as bench/stream.mjs reads it: bench/lag.mjs) and final latency. Passes when no final is
// lost, RSS drifts < 5% (median of minutes 2–3 against the last two minutes) and sessions return to 0 after the
// clients close.
// Usage: npm run build && node bench/soak.mjs [sessions=200] [minutes=10]
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lagP99Ms } from './lag.mjs';
import { BENCH_SENTENCES, freePort, median, rssMiB, speechLoop, startFakeProvider, startServer } from './support.mjs';

const require = createRequire(import.meta.url);
const { WebSocket } = require('ws');
const SESSIONS = Number(process.argv[2] ?? 200);
const MINUTES = Number(process.argv[3] ?? 10);
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
  },
  dir,
  [`--inspect=127.0.0.1:${inspectPort}`],
);

async function collectGarbage() {
  const [target] = await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json();
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const done = new Promise((resolve) => socket.on('message', (data) => JSON.parse(data).id === 1 && resolve()));
  socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
  await done;
  socket.close();
}

async function serverState() {
  const stats = await (await fetch(`${server.url}/api/v1/streaming-health`)).json();
  // Since the previous sample (each scrape resets the monitor), read as bench/stream.mjs reads it.
  const lag = lagP99Ms(await (await fetch(`${server.url}/metrics`)).text());
  const latency = await (await fetch(`${server.url}/api/v1/streaming-stats`)).json();
  return {
    sessions: stats.capacity.active,
    lagP99Ms: Math.round(lag),
    finalLatencyP99Ms: latency.final_latency_seconds ? Math.round(latency.final_latency_seconds.p99 * 1000) : null,
  };
}

// --- the clients
const clients = [];
for (let i = 0; i < SESSIONS; i += 1) {
  const socket = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/stream?interim_results=false`);
  const client = { socket, frame: (i * 13) % loopFrames, started: new Set(), finals: new Set(), closed: undefined };
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString());
    if (message.type === 'speech.started') client.started.add(message.segment_id);
    if (message.type === 'transcript.final') client.finals.add(message.segment_id);
  });
  client.closed = new Promise((resolve) => socket.once('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  clients.push(client);
}
console.error(`soak: ${SESSIONS} sessions open; streaming for ${MINUTES} min`);

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
  await collectGarbage();
  const sample = {
    atS: Math.round((performance.now() - started) / 1000),
    rssMiB: Number(rssMiB(server.pid).toFixed(1)),
    ...(await serverState()),
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
  sessionsAfter = (await serverState()).sessions;
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
  utterances: announced,
  lostFinals: lost,
  closedNormally: codes.filter((code) => code === 1000).length,
  sessionsAfter,
  rssEarlyMiB: early,
  rssLateMiB: late,
  rssDriftPercent: Number((((late - early) / early) * 100).toFixed(2)),
  lagP99Ms: median(samples.map((s) => s.lagP99Ms)),
  finalLatencyP99Ms: samples.at(-1)?.finalLatencyP99Ms,
};
result.passes = lost === 0 && Math.abs(result.rssDriftPercent) < 5 && sessionsAfter === 0;
console.log(JSON.stringify(result));
await server.stop();
fake.close();
process.exit(result.passes ? 0 : 1);
