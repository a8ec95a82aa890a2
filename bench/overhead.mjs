#!/usr/bin/env node
// The time the service adds to a transcription, outside the engine and the VAD: a 5 s WAV, with an
// OpenAI-compatible fake provider on 127.0.0.1 that answers at once. The baseline in the same run is the same
// request made straight to the fake, right after each one through the service; the headline is, per request, the
// client-observed time less the VAD (from Server-Timing) less that direct call. The Server-Timing parts (upload
// spool, decode, VAD, provider call, format) say where some of it goes; what they leave out (multipart and
// routing, the framework, the reply) is reported as `untimed`.
// Usage: npm run build && node bench/overhead.mjs [requests]
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIBRIVOX, percentile, postFile, startServer } from './support.mjs';

const requests = Number(process.argv[2] ?? 200);
const scratch = mkdtempSync(join(tmpdir(), 'asr-bench-overhead-'));
const fiveSeconds = join(scratch, 'five.wav');
execFileSync('sox', [join(LIBRIVOX, 'sense_and_sensibility_01_austen_64kb-0870.wav'), fiveSeconds, 'trim', '0', '5']);
const audio = readFileSync(fiveSeconds);

const answer = JSON.stringify({
  task: 'transcribe',
  language: 'english',
  duration: 5,
  text: 'an instant answer',
  segments: [{ id: 0, start: 0, end: 5, text: ' an instant answer' }],
  words: [
    { word: 'an', start: 0, end: 1 },
    { word: 'instant', start: 1, end: 2 },
    { word: 'answer', start: 2, end: 3 },
  ],
});
const fake = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(answer);
  });
});
await new Promise((resolve) => fake.listen(0, '127.0.0.1', resolve));
const fakeUrl = `http://127.0.0.1:${fake.address().port}`;

const server = await startServer(
  {
    ASR_PROVIDER: 'openai-compatible',
    ASR_BASE_URL: `${fakeUrl}/v1`,
    AUDIO_STORAGE_PATH: join(scratch, 'a'),
    TEMP_STORAGE_PATH: join(scratch, 't'),
  },
  scratch,
);

function parseTiming(header) {
  return Object.fromEntries(
    header.split(', ').map((entry) => {
      const [name, dur] = entry.split(';dur=');
      return [name, Number(dur)];
    }),
  );
}

const rows = [];
for (let i = 0; i < 20; i += 1) await postFile(server.url, '/api/v1/transcribe', audio, 'five.wav'); // warm-up
for (let i = 0; i < requests; i += 1) {
  const through = await postFile(server.url, '/api/v1/transcribe', audio, 'five.wav');
  const timing = parseTiming(through.serverTiming);
  const directMs = (await postFile(fakeUrl, '/v1/audio/transcriptions', audio, 'audio.wav', { model: 'whisper-1' })).ms;
  const timed = timing.upload + timing.decode + timing.vad + timing.asr + timing.format;
  rows.push({
    client: through.ms,
    ...timing,
    direct: directMs,
    added: through.ms - timing.vad - directMs,
    serverTimedOutside: timing.upload + timing.decode + timing.format,
    untimed: through.ms - timed,
    asrOverDirect: timing.asr - directMs,
  });
}
await server.stop();
fake.close();

const at = (p) => (key) =>
  Number(
    percentile(
      rows.map((r) => r[key]),
      p,
    ).toFixed(3),
  );
const p50 = at(50);
const p95 = at(95);
console.log(
  JSON.stringify(
    {
      requests,
      // The headline: client-observed less VAD less the same request straight to the fake.
      addedOutsideEngineAndVadMs: { p50: p50('added'), p95: p95('added') },
      p50Ms: {
        upload: p50('upload'),
        decode: p50('decode'),
        vad: p50('vad'),
        format: p50('format'),
        serverTimedOutsideEngineAndVad: p50('serverTimedOutside'),
        asrCall: p50('asr'),
        asrCallOverDirect: p50('asrOverDirect'),
        untimed: p50('untimed'),
        client: p50('client'),
        directToFake: p50('direct'),
      },
      p95Ms: { vad: p95('vad'), serverTimedOutsideEngineAndVad: p95('serverTimedOutside'), client: p95('client') },
      clientOverDirectP50: Number((p50('client') / p50('direct')).toFixed(2)),
    },
    null,
    2,
  ),
);
