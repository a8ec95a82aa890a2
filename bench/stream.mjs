#!/usr/bin/env node
// Streaming capacity: the most concurrent real-time sessions the server (pinned to core 0) holds with p99
// event-loop lag < 20 ms and p99 end-of-speech → final overhead < 50 ms, against a fake provider with a fixed
// 100 ms latency; the same load on a bare `ws` server that only receives frames (the ceiling); and the real-time
// sessions the embedded engine holds. The load generator and the fake provider run here, pinned to core 1. At
// every level the server's CPU is set beside the ceiling measured in the same run: the bare server's CPU plus
// onnxruntime alone on as many VAD frames as the server inferred (bench/onnx-ceiling.mjs). The audio carries a
// noise floor (pink noise at -60 dBFS, bench/support.mjs), never digital zeros.
// Usage: npm run build && node bench/stream.mjs [levels…] [flags]   (default levels: 100 200 300 400 500 600)
//   The embedded engine runs as the product does by default, with partials; --local-finals-only turns them off.
//   Against the fake provider sessions ask for finals only (`interim_results=false`): with partials a remote
//   provider is asked again every AUDIO_CHUNK_DURATION, and the figure would measure those requests rather than the
//   streaming path; --remote-partials measures that, with the product's default.
//   --skip-remote / --skip-local leave a part out (the bare server runs at the levels the remote part reached, so
//   not at all without it); --window S / --warmup S shorten the run to check the script.
// The live protocols side by side: node bench/stream.mjs --framings [--rounds N] [levels…]   (default level 50,
//   4 rounds) runs only the fake-provider part, in the native protocol, Deepgram's and OpenAI Realtime's against one
//   server, and gives each protocol's CPU as a ratio to the native protocol's (bench/stream-framings.mjs); finals
//   only unless --remote-partials.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAG_RESOLUTION_MS } from './lag.mjs';
import { onnxAloneCpuPercent } from './onnx-ceiling.mjs';
import { runFramings } from './stream-framings.mjs';
import {
  benchLoop,
  LAG_LIMIT_MS,
  parseStreamArgs,
  pinLoadGenerator,
  pinServer,
  PROVIDER_LATENCY_MS,
  runLevel,
  runRemoteLevel,
  scrapeServer,
  startRemoteServer,
  streamServerEnv,
} from './stream-load.mjs';
import { freePort, ROOT, startFakeProvider, startServer } from './support.mjs';

const FLAGS = ['--local-finals-only', '--remote-partials', '--skip-remote', '--skip-local', '--framings'];
const args = parseStreamArgs(process.argv.slice(2), FLAGS, ['--rounds']);
const LEVELS = args.levels.length > 0 ? args.levels : [100, 200, 300, 400, 500, 600];
const LOCAL_FINAL_LIMIT_MS = 1500;
// No parameter: the product's default (partials on).
const remoteQuery = args.flags.has('--remote-partials') ? '' : '?interim_results=false';
const localQuery = args.flags.has('--local-finals-only') ? '?interim_results=false' : '';

pinLoadGenerator();
if (args.flags.has('--framings')) {
  const summary = await runFramings({
    levels: args.levels.length > 0 ? args.levels : [50],
    rounds: Number(args.options['--rounds'] ?? 4),
    windowS: args.windowS,
    warmupS: args.warmupS,
    partials: args.flags.has('--remote-partials'),
  });
  console.log(JSON.stringify(summary, null, 2));
  process.exit(0);
}
const loop = benchLoop();
const window = { windowS: args.windowS, warmupS: args.warmupS };
const run = (url, sessions, sample, subtractMs) => runLevel(url, sessions, sample, { loop, ...window, subtractMs });

const fake = await startFakeProvider(PROVIDER_LATENCY_MS);
const dir = mkdtempSync(join(tmpdir(), 'asr-bench-stream-server-'));

// --- a bare ws server that only receives frames, as the ceiling
const BARE = `
const { WebSocketServer } = require('ws');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const http = require('node:http');
const lag = monitorEventLoopDelay({ resolution: ${LAG_RESOLUTION_MS} }); lag.enable();
let cpu = process.cpuUsage(); let frames = 0;
const server = http.createServer((req, res) => {
  const used = process.cpuUsage(cpu); cpu = process.cpuUsage();
  // Sampled like the server's monitor (bench/lag.mjs): the lag is what comes on top of the interval.
  res.end(JSON.stringify({ cpuS: (used.user + used.system) / 1e6, lagP99Ms: Math.max(0, lag.percentile(99) / 1e6 - ${LAG_RESOLUTION_MS}), frames }));
  lag.reset();
});
new WebSocketServer({ server }).on('connection', (ws) => ws.on('message', () => (frames += 1)));
server.listen(Number(process.argv[1]), '127.0.0.1');
`;

// --- ours, with the fake provider
const oursLevels = [];
if (!args.flags.has('--skip-remote')) {
  const ours = await startRemoteServer(fake.port, dir);
  for (const sessions of LEVELS) {
    const result = await runRemoteLevel(ours.url, sessions, { loop, ...window, query: remoteQuery });
    oursLevels.push(result);
    console.error(JSON.stringify(result));
    if (!result.holds) break;
  }
  await ours.stop();
}

// --- the bare ws server at the same levels
const bareLevels = [];
if (oursLevels.length > 0) {
  const barePort = await freePort();
  const bare = spawn(process.execPath, ['-e', BARE, String(barePort)], { cwd: ROOT, stdio: 'inherit' });
  await new Promise((resolve) => setTimeout(resolve, 500));
  pinServer(bare.pid);
  const bareUrl = `http://127.0.0.1:${barePort}`;
  for (const { sessions } of oursLevels) {
    const result = await run(`ws://127.0.0.1:${barePort}`, sessions, async () => (await fetch(bareUrl)).json(), 0);
    bareLevels.push({
      sessions,
      lagP99Ms: result.lagP99Ms,
      cpuPercent: result.cpuPercent,
      cpuPercentExact: result.cpuPercentExact,
    });
    console.error(JSON.stringify(bareLevels.at(-1)));
  }
  bare.kill();
}

// --- the ceiling at each level: the bare server's CPU plus onnxruntime alone on as many frames as ours inferred
const ceilings = [];
for (const level of oursLevels) {
  const bareAt = bareLevels.find((b) => b.sessions === level.sessions);
  if (!bareAt || !level.vadFrames) continue;
  const onnx = await onnxAloneCpuPercent({
    frames: level.vadFrames,
    batch: level.vadMeanBatch ?? 1,
    windowS: args.windowS,
    dir,
  });
  const ceilingPercent = Number((bareAt.cpuPercentExact + onnx.cpuPercent).toFixed(1));
  ceilings.push({
    sessions: level.sessions,
    bareCpuPercent: bareAt.cpuPercentExact,
    onnxAlone: onnx,
    ceilingPercent,
    serverCpuPercent: level.cpuPercentExact,
    serverOverCeiling: Number((level.cpuPercentExact / Math.max(0.1, ceilingPercent)).toFixed(2)),
  });
  console.error(JSON.stringify(ceilings.at(-1)));
}

// --- the embedded engine: real-time sessions (finals within 1.5 s of the end of speech, p99)
const localLevels = [];
if (!args.flags.has('--skip-local')) {
  const local = await startServer({ ...streamServerEnv(dir), LOCAL_ASR_CONCURRENCY: '4' }, dir);
  pinServer(local.pid);
  for (const sessions of [1, 2, 3, 4]) {
    const url = `${local.url.replace('http', 'ws')}/api/v1/stream${localQuery}`;
    // No fake in this path: the whole delay after the end of speech is the engine's (and ours).
    const result = await run(url, sessions, () => scrapeServer(local.url), 0);
    result.finalP99Ms = result.overheadP99Ms;
    result.holds =
      result.finalP99Ms !== null && result.finalP99Ms < LOCAL_FINAL_LIMIT_MS && result.lagP99Ms < LAG_LIMIT_MS;
    localLevels.push(result);
    console.error(JSON.stringify(result));
    if (!result.holds) break;
  }
  await local.stop();
}
fake.close();

const held = oursLevels.filter((l) => l.holds).pop();
const bareAtHeld = held && bareLevels.find((b) => b.sessions === held.sessions);
console.log(
  JSON.stringify(
    {
      windowS: args.windowS,
      providerLatencyMs: PROVIDER_LATENCY_MS,
      remotePartials: remoteQuery === '',
      localPartials: localQuery === '',
      ours: oursLevels,
      bare: bareLevels,
      mostSessionsHeld: held?.sessions ?? 0,
      cpuRatioAtMostHeld: bareAtHeld ? Number((held.cpuPercent / Math.max(1, bareAtHeld.cpuPercent)).toFixed(1)) : null,
      // The server's CPU against the bare server plus onnxruntime alone on the same frames (≤ 2× is the goal).
      ceilings,
      localEngine: localLevels,
      localSessionsHeld: localLevels.filter((l) => l.holds).pop()?.sessions ?? 0,
    },
    null,
    2,
  ),
);
process.exit(0);
