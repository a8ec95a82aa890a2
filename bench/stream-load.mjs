// The streaming load both bench/stream.mjs and bench/compare-commits.mjs put on a server: real-time clients, the
// server's lag and CPU over a measuring window, and the time from the end of speech to each final.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { beyondInterval, lagMaxMs, lagP99Ms, LAG_RESOLUTION_MS, metricValue } from './lag.mjs';
import { protocolClient } from './stream-clients.mjs';
import { BENCH_SENTENCES, percentile, speechLoop, startServer } from './support.mjs';

const require = createRequire(import.meta.url);
const { WebSocket } = require('ws');
const NATIVE = protocolClient('native', { interimResults: true });
export const PROVIDER_LATENCY_MS = 100;
export const LAG_LIMIT_MS = 20;
const OVERHEAD_LIMIT_MS = 50;

/** The load generator (and the fake provider beside it) on core 1; `pinServer(pid)` puts a server on core 0. */
export function pinLoadGenerator() {
  execFileSync('taskset', ['-a', '-cp', '1', String(process.pid)]);
}
export const pinServer = (pid) => execFileSync('taskset', ['-a', '-cp', '0', String(pid)]);

/**
 * `--window S`, `--warmup S` (a quick check of the script at small scale), the flags a script names in `flags` and
 * the options with a value it names in `options`; every other argument is a session count.
 */
export function parseStreamArgs(argv, flags = [], options = []) {
  const parsed = { levels: [], windowS: 20, warmupS: 8, flags: new Set(), options: {} };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--window') parsed.windowS = Number(argv[++i]);
    else if (arg === '--warmup') parsed.warmupS = Number(argv[++i]);
    else if (options.includes(arg)) parsed.options[arg] = argv[++i];
    else if (flags.includes(arg)) parsed.flags.add(arg);
    else if (Number(arg) > 0) parsed.levels.push(Number(arg));
    else
      throw new Error(`unknown argument ${arg}; flags: --window S, --warmup S, ${[...flags, ...options].join(', ')}`);
  }
  return parsed;
}

/** The audio every client loops: flite utterances with pauses, 16-bit PCM (about 25 s). */
export function benchLoop() {
  return speechLoop(BENCH_SENTENCES.slice(0, 4), (i) => 1 + i * 0.5);
}

/** Configuration every streaming server in these benchmarks gets, with its files under `dir`. */
export function streamServerEnv(dir) {
  return {
    AUDIO_STORAGE_PATH: join(dir, 'audio'),
    TEMP_STORAGE_PATH: join(dir, 'tmp'),
    STREAMING_MAX_CLIENTS: '5000',
    STREAM_IDLE_TIMEOUT_S: '60',
    // The provider's own concurrency limit is not what is measured here.
    ASR_CONCURRENCY: '256',
  };
}

/** The server's configuration for the fake OpenAI-compatible provider on `fakePort`. */
function remoteProviderEnv(fakePort) {
  return { ASR_PROVIDER: 'openai-compatible', ASR_BASE_URL: `http://127.0.0.1:${fakePort}/v1`, ASR_API_KEY: 'x' };
}

/**
 * CPU seconds, VAD batching and event-loop lag p99 and max (the longest single block) from one scrape of /metrics
 * (which resets the lag histogram).
 */
export async function scrapeServer(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  return {
    cpuS: metricValue(text, 'process_cpu_seconds_total'),
    vadFrames: metricValue(text, 'asr_vad_batch_size_sum'),
    vadBatches: metricValue(text, 'asr_vad_batch_size_count'),
    lagP99Ms: lagP99Ms(text),
    lagMaxMs: lagMaxMs(text),
  };
}

/**
 * A server of the build in `dist` (default: BENCH_DIST or ./dist) on the fake provider at `fakePort`, on core 0;
 * `env`: settings on top of the benchmark's.
 */
export async function startRemoteServer(fakePort, dir, dist, env = {}) {
  const server = await startServer({ ...streamServerEnv(dir), ...remoteProviderEnv(fakePort), ...env }, dir, [], {
    dist,
  });
  pinServer(server.pid);
  return server;
}

/**
 * One level against a server on the fake provider, in the native protocol (`query`: '' for the product's default,
 * partials on) or in `client`'s (bench/stream-clients.mjs, its own path and query); it holds when the lag p99 and
 * the final overhead p99 are under their limits.
 */
export async function runRemoteLevel(serverUrl, sessions, { query, ...options }) {
  const path = options.client ? options.client.path : `/api/v1/stream${query}`;
  const url = `${serverUrl.replace('http', 'ws')}${path}`;
  const sample = () => scrapeServer(serverUrl);
  const result = await runLevel(url, sessions, sample, { ...options, subtractMs: PROVIDER_LATENCY_MS });
  const holds =
    result.lagP99Ms < LAG_LIMIT_MS && result.overheadP99Ms !== null && result.overheadP99Ms < OVERHEAD_LIMIT_MS;
  return { ...result, holds };
}

function openClient(url, index, wire, client, onFinal) {
  const socket = new WebSocket(url);
  const loopFrames = wire.frames.length;
  const state = { socket, frame: (index * 37) % loopFrames, sent: 0, sentAt: new Float64Array(1 << 16), partials: 0 };
  state.errors = 0;
  // Per segment: when the client sent the audio where the server heard the speech end, and when it heard so.
  const stopped = new Map();
  const sentAtEnd = (end) =>
    state.sentAt[Math.min(state.sent - 1, Math.floor((end * client.rate * 2) / client.frameBytes)) & 0xffff];
  socket.on('message', (data) => {
    const heard = client.read(JSON.parse(data.toString()));
    if (heard.stopped !== undefined) {
      stopped.set(heard.stopped, { sentAt: sentAtEnd(heard.end), heardAt: performance.now() });
    } else if (heard.partial) {
      state.partials += 1;
    } else if ('final' in heard) {
      const now = performance.now();
      const at = heard.final === undefined ? undefined : stopped.get(heard.final);
      if (heard.final === undefined) onFinal(now - sentAtEnd(heard.end), undefined);
      else if (at !== undefined) onFinal(now - at.sentAt, now - at.heardAt);
      stopped.delete(heard.final);
    } else if ('error' in heard) {
      state.errors += 1;
      if (state.errors === 1) console.error(`${client.name} session ${index}: ${heard.error}`);
    }
  });
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      for (const text of client.opening) socket.send(text);
      resolve(state);
    });
    socket.once('error', reject);
  });
}

/**
 * `sessions` clients on `url` sending 20 ms frames in real time; after `warmupS` (every session past its first final:
 * connections to the provider open, code paths compiled), `windowS` seconds measure the server through `sample()`
 * and every final's delay after the end of speech, less `subtractMs` (the fake provider's own latency); that delay
 * split in two where the protocol says when speech stopped: until the client hears so (the audio's way through the
 * VAD) and from then to the final (the request to the provider, less `subtractMs`). The load generator's own lag is
 * reported beside, since it delays what the clients hear.
 * `client`: the protocol spoken (bench/stream-clients.mjs; default the native one), `loop` 16-bit PCM at its rate.
 */
export async function runLevel(url, sessions, sample, { loop, windowS, warmupS, subtractMs, client = NATIVE }) {
  const wire = client.frames(loop);
  const loopFrames = wire.frames.length;
  const sendOptions = { binary: wire.binary };
  const overheads = [];
  const afterStopped = [];
  let measuring = false;
  const onFinal = (ms, sinceStoppedMs) => {
    if (!measuring) return;
    overheads.push(ms - subtractMs);
    if (sinceStoppedMs !== undefined) afterStopped.push(sinceStoppedMs - subtractMs);
  };
  const clients = [];
  for (let i = 0; i < sessions; i += 1) clients.push(await openClient(url, i, wire, client, onFinal));
  const ownLag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  const started = performance.now();
  let ticks = 0;
  const tick = () => {
    ticks += 1;
    for (const open of clients) {
      open.socket.send(wire.frames[open.frame], sendOptions);
      open.sentAt[open.sent & 0xffff] = performance.now();
      open.sent += 1;
      open.frame = (open.frame + 1) % loopFrames;
    }
    // Real-time pacing from the start, so a late tick is caught up, not dropped.
    timer = setTimeout(tick, Math.max(0, started + (ticks + 1) * 20 - performance.now()));
  };
  let timer = setTimeout(tick, 0);
  await new Promise((resolve) => setTimeout(resolve, warmupS * 1000));
  const before = await sample();
  const partialsBefore = clients.reduce((n, c) => n + c.partials, 0);
  measuring = true;
  ownLag.enable();
  await new Promise((resolve) => setTimeout(resolve, windowS * 1000));
  ownLag.disable();
  measuring = false;
  const after = await sample();
  const partials = clients.reduce((n, c) => n + c.partials, 0) - partialsBefore;
  const errors = clients.reduce((n, c) => n + c.errors, 0);
  clearTimeout(timer);
  await Promise.all(clients.map(({ socket }) => new Promise((resolve) => socket.once('close', resolve).terminate())));
  const stats = await fetch(`${new URL(url).origin.replace(/^ws/, 'http')}/api/v1/streaming-stats`)
    .then((r) => (r.ok ? r.json() : undefined))
    .catch(() => undefined);
  return {
    sessions,
    serverFinalLatencyP99Ms: stats?.final_latency_seconds
      ? Math.round(stats.final_latency_seconds.p99 * 1000)
      : undefined,
    lagP99Ms: Number(after.lagP99Ms.toFixed(2)),
    // The longest single event-loop block in the window (absent where the sample has none, as on the bare server).
    ...(after.lagMaxMs !== undefined && { lagMaxMs: Number(after.lagMaxMs.toFixed(2)) }),
    cpuPercent: Math.round(((after.cpuS - before.cpuS) / windowS) * 100),
    // The same to a tenth of a percent, for ratios between runs close to each other.
    cpuPercentExact: Number((((after.cpuS - before.cpuS) / windowS) * 100).toFixed(1)),
    // VAD frames inferred in the window, and their mean batch (frames per inference); the bare server has none.
    vadFrames: after.vadFrames - before.vadFrames,
    vadMeanBatch:
      after.vadBatches > before.vadBatches
        ? Number(((after.vadFrames - before.vadFrames) / (after.vadBatches - before.vadBatches)).toFixed(1))
        : undefined,
    finals: overheads.length,
    partials,
    // Error messages the server sent (each client's first is printed).
    ...(errors > 0 && { errors }),
    overheadP50Ms: overheads.length ? Number(percentile(overheads, 50).toFixed(1)) : null,
    overheadP99Ms: overheads.length ? Number(percentile(overheads, 99).toFixed(1)) : null,
    // The request part of the overhead (from the client hearing speech stopped to its final, less subtractMs).
    ...(afterStopped.length > 0 && {
      afterStoppedP50Ms: Number(percentile(afterStopped, 50).toFixed(1)),
      afterStoppedP99Ms: Number(percentile(afterStopped, 99).toFixed(1)),
    }),
    loadGeneratorLagP99Ms: Number(beyondInterval(ownLag.percentile(99) / 1e6).toFixed(2)),
    loadGeneratorLagMaxMs: Number(beyondInterval(ownLag.max / 1e6).toFixed(2)),
  };
}
