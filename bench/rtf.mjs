#!/usr/bin/env node
// Real-time factor of the embedded engine through the service (HTTP, multipart, decode, chunking) against the raw
// engine (the same PocketSphinx binding on the same samples), same files, same run, one decoder each, alternating.
// Usage: npm run build && node bench/rtf.mjs [rounds]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST, LIBRIVOX, median, postFile, startServer, wavSamples } from './support.mjs';

const rounds = Number(process.argv[2] ?? 3);
const require = createRequire(import.meta.url);
const { loadPocketSphinx } = require(join(DIST, 'libs/asr/src/local/pocketsphinx-binding.js'));

const scratch = mkdtempSync(join(tmpdir(), 'asr-bench-rtf-'));
const ids = ['0870', '0880', '0890', '0920', '0930'].map((n) =>
  join(LIBRIVOX, `sense_and_sensibility_01_austen_64kb-${n}.wav`),
);
// The five twice over, one long file (49.5 s) that the service cuts into chunks and the raw engine takes whole.
const concatenation = join(scratch, 'twice.wav');
execFileSync('sox', [...ids, ...ids, concatenation]);
const files = [...ids, concatenation];
const audioS = files.reduce((sum, f) => sum + wavSamples(f).length / 16000, 0);

const M = '/usr/share/pocketsphinx/model/en-us';
const library = loadPocketSphinx();
const decoder = await library.init(`${M}/en-us`, `${M}/en-us.lm.bin`, `${M}/cmudict-en-us.dict`);
async function rawPass() {
  const started = performance.now();
  for (const file of files) {
    library.startStream(decoder);
    library.startUtterance(decoder);
    await library.processRaw(decoder, wavSamples(file), true);
    await library.endUtterance(decoder);
    library.hypothesis(decoder);
  }
  return (performance.now() - started) / 1000;
}

const server = await startServer(
  { LOCAL_ASR_CONCURRENCY: '1', AUDIO_STORAGE_PATH: join(scratch, 'a'), TEMP_STORAGE_PATH: join(scratch, 't') },
  scratch,
);
async function servicePass() {
  const started = performance.now();
  for (const file of files) await postFile(server.url, '/api/v1/transcribe', readFileSync(file), 'speech.wav');
  return (performance.now() - started) / 1000;
}

const raw = [];
const service = [];
await servicePass(); // warm-up: first request pays for lazy module loading
for (let i = 0; i < rounds; i += 1) {
  raw.push(await rawPass());
  service.push(await servicePass());
}
await server.stop();
library.free(decoder);

const rawRtf = median(raw) / audioS;
const serviceRtf = median(service) / audioS;
console.log(
  JSON.stringify(
    {
      audioSeconds: Number(audioS.toFixed(1)),
      concatenationSeconds: Number((wavSamples(concatenation).length / 16000).toFixed(1)),
      rounds,
      rawRtf: Number(rawRtf.toFixed(4)),
      serviceRtf: Number(serviceRtf.toFixed(4)),
      ratio: Number((serviceRtf / rawRtf).toFixed(3)),
      rawSeconds: raw.map((s) => Number(s.toFixed(2))),
      serviceSeconds: service.map((s) => Number(s.toFixed(2))),
    },
    null,
    2,
  ),
);
