// Shared by the benchmark scripts: start the built server as a process, find ports, read its memory.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// BENCH_DIST: the build to measure (default ./dist), e.g. a copy kept still while the checkout is rebuilt.
export const DIST = process.env.BENCH_DIST ?? join(ROOT, 'dist');
export const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox';

export function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Settings every benchmarked server gets on top of its own, from BENCH_SERVER_ENV ("KEY=VALUE KEY=VALUE"), e.g.
 * `BENCH_SERVER_ENV="VAD_SAMPLE_RATE=8000" node bench/stream.mjs` to measure another operating point.
 */
export function benchServerEnv() {
  const pairs = (process.env.BENCH_SERVER_ENV ?? '').split(/\s+/).filter(Boolean);
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`BENCH_SERVER_ENV: "${pair}" is not KEY=VALUE`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

/** The Node flags a build's server is started with (apps/asr-api/src/node-flags.ts). */
function serverNodeFlags(dist) {
  const file = join(dist, 'apps/asr-api/src/node-flags.js');
  return existsSync(file) ? createRequire(import.meta.url)(file).SERVER_NODE_FLAGS : [];
}

/**
 * Starts dist/apps/asr-api/src/main.js with `env` (and Node flags `extraNodeArgs`), waits for /health/ready 200.
 * `dist`: another build's output folder (bench/compare-commits.mjs runs a baseline commit's).
 */
export async function startServer(env, cwd, extraNodeArgs = [], { dist = DIST } = {}) {
  const port = await freePort();
  // BENCH_NODE_ARGS: extra Node flags for the server (e.g. --cpu-prof) when looking into a result.
  const nodeArgs = [
    // The product's own Node flags, as every entry point starts it with (a build from before they existed has none).
    ...serverNodeFlags(dist),
    ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
    ...extraNodeArgs,
  ];
  const child = spawn(process.execPath, [...nodeArgs, join(dist, 'apps/asr-api/src/main.js')], {
    cwd,
    env: {
      PATH: process.env.PATH,
      API_HOST: '127.0.0.1',
      API_PORT: String(port),
      LOG_LEVEL: 'warn',
      ...env,
      ...benchServerEnv(),
    },
    // BENCH_SERVER_STDOUT=1: the server's stdout here too (what --trace-gc in BENCH_NODE_ARGS prints).
    stdio: ['ignore', process.env.BENCH_SERVER_STDOUT ? 'inherit' : 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  let exited;
  child.once('exit', (code, signal) => (exited = signal ?? code));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`server exited (${exited}) before it was ready`);
    try {
      if ((await fetch(`${url}/health/ready`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('server not ready within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** Resident set size of a process in MiB, from /proc. */
export function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** 16-bit mono samples of a canonical WAV file. */
export function wavSamples(file) {
  const bytes = readFileSync(file);
  const at = bytes.indexOf('data') + 8;
  return new Int16Array(
    bytes.buffer.slice(bytes.byteOffset + at, bytes.byteOffset + bytes.length - ((bytes.length - at) % 2)),
  );
}

export async function postFile(url, path, bytes, filename, fields = {}) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([bytes]), filename);
  const started = performance.now();
  const response = await fetch(`${url}${path}`, { method: 'POST', body: form });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`${response.status} ${body}`);
  return { ms: performance.now() - started, body, serverTiming: response.headers.get('server-timing') };
}

/** Sentences the streaming benchmarks speak (flite), in this order. */
export const BENCH_SENTENCES = [
  'The meeting will start at nine in the morning and end before lunch.',
  'Please send me the report by Friday so I can review it over the weekend.',
  'The weather today is cold and windy with a chance of rain in the evening.',
  'She drove to the station and took the early train to the city.',
  'We need to buy more coffee, milk and bread for the office kitchen.',
];

/**
 * 16 kHz 16-bit PCM that clients loop: each sentence spoken by flite after a pause (`pauseS(i)` seconds), so the
 * VAD finds utterances and silences as in real speech. Under all of it lies a noise floor, pink noise at
 * NOISE_FLOOR_DBFS as a real microphone has, never digital zeros: a VAD that skipped silent frames would otherwise
 * be flattered by the benchmarks.
 */
export function speechLoop(sentences, pauseS) {
  const scratch = mkdtempSync(join(tmpdir(), 'asr-bench-speech-'));
  const silence = (seconds) => Buffer.alloc(Math.round(seconds * 16000) * 2);
  const clean = Buffer.concat(
    sentences.flatMap((text, i) => {
      const file = join(scratch, `${i}.wav`);
      execFileSync('bash', [
        '-c',
        'flite -voice slt -t "$1" -o "$2.raw.wav" && sox "$2.raw.wav" -r 16000 -c 1 -b 16 "$2"',
        '_',
        text,
        file,
      ]);
      const bytes = readFileSync(file);
      return [silence(pauseS(i)), bytes.subarray(bytes.indexOf('data') + 8)];
    }),
  );
  return withNoiseFloor(clean, NOISE_FLOOR_DBFS);
}

/** The level of the benchmarks' noise floor (RMS, dB below full scale). */
export const NOISE_FLOOR_DBFS = -60;

/** `pcm` (16-bit) with seeded pink noise of RMS `dbfs` added (Paul Kellet's filter over white noise). */
export function withNoiseFloor(pcm, dbfs, seed = 7) {
  const samples = pcm.length / 2;
  let state = seed;
  const white = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return (state / 2 ** 31) * 2 - 1;
  };
  const pink = new Float64Array(samples);
  let [b0, b1, b2, b3, b4, b5, b6] = [0, 0, 0, 0, 0, 0, 0];
  for (let i = 0; i < samples; i += 1) {
    const w = white();
    b0 = 0.99886 * b0 + w * 0.0555179;
    b1 = 0.99332 * b1 + w * 0.0750759;
    b2 = 0.969 * b2 + w * 0.153852;
    b3 = 0.8665 * b3 + w * 0.3104856;
    b4 = 0.55 * b4 + w * 0.5329522;
    b5 = -0.7616 * b5 - w * 0.016898;
    pink[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
    b6 = w * 0.115926;
  }
  const rms = Math.sqrt(pink.reduce((sum, v) => sum + v * v, 0) / samples);
  const scale = (10 ** (dbfs / 20) * 32767) / rms;
  const out = Buffer.alloc(pcm.length);
  for (let i = 0; i < samples; i += 1) {
    const v = Math.round(pcm.readInt16LE(i * 2) + pink[i] * scale);
    out.writeInt16LE(Math.max(-32768, Math.min(32767, v)), i * 2);
  }
  return out;
}

/** A fake OpenAI-compatible provider on 127.0.0.1 that reads the body and answers after `latencyMs`; its port. */
export async function startFakeProvider(latencyMs) {
  const port = await freePort();
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () =>
      setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ text: 'hello', language: 'english', duration: 1, segments: [], words: [] }));
      }, latencyMs),
    );
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, close: () => server.close() };
}
