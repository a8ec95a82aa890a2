#!/usr/bin/env node
// One caller's long upload beside another caller's short one: 4 hours of silence as 6 kbps Opus (about 11 MB, it
// passes MAX_DECODE_RATIO and is decoded and VAD-scanned whole) from key A, while key B uploads a 7 s WAV of speech
// again and again. The baseline in the same run is B's upload with nothing beside it. The provider is an
// OpenAI-compatible fake on 127.0.0.1 answering after 50 ms, so the figure is the service's own scheduling.
// Usage: npm run build && node bench/fairness.mjs [short uploads per phase]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIBRIVOX, median, percentile, startFakeProvider, startServer } from './support.mjs';

const rounds = Number(process.argv[2] ?? 25);
const scratch = mkdtempSync(join(tmpdir(), 'asr-bench-fairness-'));
// Encoding 4 hours of Opus takes about 90 s: kept between runs.
const cache = join(tmpdir(), 'asr-bench-fairness-cache');
mkdirSync(cache, { recursive: true });
const long = join(cache, 'silence-4h-6kbps.ogg');
if (!existsSync(long)) {
  console.log('encoding 4 h of silence as 6 kbps Opus (once)…');
  execFileSync('ffmpeg', [
    ...['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', '14400'],
    ...['-c:a', 'libopus', '-b:a', '6k', '-vbr', 'off', long],
  ]);
}
const short = join(scratch, 'short.wav');
execFileSync('sox', [join(LIBRIVOX, 'sense_and_sensibility_01_austen_64kb-0870.wav'), short]);
const longBytes = readFileSync(long);
const shortBytes = readFileSync(short);

const fake = await startFakeProvider(50);
const server = await startServer(
  {
    ASR_PROVIDER: 'openai-compatible',
    ASR_BASE_URL: `http://127.0.0.1:${fake.port}/v1`,
    API_KEYS: 'bench-key-a,bench-key-b',
    SECRET_KEY: 'bench-secret-bench-secret-bench-secret',
    MAX_UPLOAD_DURATION_S: '15000',
    RATE_LIMIT_PER_MINUTE: '0',
    AUDIO_STORAGE_PATH: join(scratch, 'a'),
    TEMP_STORAGE_PATH: join(scratch, 't'),
  },
  scratch,
);

async function upload(key, bytes, filename) {
  const form = new FormData();
  form.append('file', new Blob([bytes]), filename);
  const started = performance.now();
  const response = await fetch(`${server.url}/api/v1/transcribe`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: form,
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${response.status} ${text}`);
  return { ms: performance.now() - started, body: JSON.parse(text), timing: response.headers.get('server-timing') };
}

const timings = [];
const shortRounds = async () => {
  const times = [];
  for (let i = 0; i < rounds; i += 1) {
    const result = await upload('bench-key-b', shortBytes, 'short.wav');
    times.push(result.ms);
    timings.push(result.timing);
  }
  return times;
};

await shortRounds(); // warm-up: model sessions, JIT
const alone = await shortRounds();

let longDone = false;
const longRun = upload('bench-key-a', longBytes, 'long.ogg').then((r) => {
  longDone = true;
  return r;
});
await new Promise((resolve) => setTimeout(resolve, 2000));
const beside = await shortRounds();
const overlapped = !longDone;
const longResult = await longRun;
await server.stop();
if (process.env.BENCH_VERBOSE) console.log(timings.join('\n'));
fake.close();

const ratio = median(beside) / median(alone);
const fmt = (v) => v.toFixed(0);
console.log(`short upload (${(shortBytes.length / 32_000).toFixed(1)} s WAV, key B), ${rounds} each:`);
console.log(`  alone:                 median ${fmt(median(alone))} ms, p90 ${fmt(percentile(alone, 90))} ms`);
console.log(`  beside the long one:   median ${fmt(median(beside))} ms, p90 ${fmt(percentile(beside, 90))} ms`);
console.log(`  ratio (median):        ${ratio.toFixed(2)}×  (bound 1.3×)`);
console.log(
  `long upload (4 h silent Opus, ${(longBytes.length / 1e6).toFixed(1)} MB, key A): ${(longResult.ms / 1000).toFixed(1)} s, ` +
    `duration ${longResult.body.duration} s; still running during every short upload: ${overlapped}`,
);
