#!/usr/bin/env node
// Live previews of the embedded engine, two ways, on the same utterances in the same run: the engine's incremental
// search fed 250 ms at a time (the previous design), and whole decodes of the utterance so far at the lengths the
// pipeline previews at (lib/streaming's Utterance: every second, then each 1.5× longer). For each: how often the
// utterance's final (its whole decode) begins with the words the previews agreed on, the word error rate of that
// final and of the final held to those words (what the service sends), when the first word became stable, and the
// engine time spent per second of audio (a ratio against the incremental way).
// Usage: npm run build && node bench/previews.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST, LIBRIVOX, ROOT, wavSamples } from './support.mjs';

const require = createRequire(import.meta.url);
const { loadPocketSphinx } = require(join(DIST, 'libs/asr/src/local/pocketsphinx-binding.js'));
const { StablePrefix, beginWith } = require(join(DIST, 'libs/streaming/src/stable-prefix.js'));

const RATE = 16_000;
const STEP = RATE; // AUDIO_CHUNK_DURATION's default, 1 s
const GROWTH = 1.5;
const INCREMENT = 4000; // what the incremental design fed per call

const scratch = mkdtempSync(join(tmpdir(), 'asr-bench-previews-'));
const sentences = readFileSync(join(ROOT, 'test/fixtures/wer-corpus.txt'), 'utf8').split('\n').filter(Boolean);
function synthesise(voice, text, i) {
  const raw = join(scratch, `${voice}${i}.raw.wav`);
  const file = join(scratch, `${voice}${i}.wav`);
  if (voice === 'festival') {
    writeFileSync(join(scratch, 't.txt'), text);
    execFileSync('text2wave', ['-eval', '(voice_cmu_us_slt_arctic_hts)', '-o', raw, join(scratch, 't.txt')]);
  } else {
    execFileSync('flite', ['-voice', 'slt', '-t', text, '-o', raw]);
  }
  execFileSync('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', file]);
  return file;
}
/** Telephone audio: to 8 kHz μ-law and back, as a phone call reaches the engine. */
function mulaw(file) {
  const narrow = file.replace(/\.wav$/, '.ulaw.wav');
  const back = file.replace(/\.wav$/, '.back.wav');
  execFileSync('sox', [file, '-r', '8000', '-e', 'mu-law', '-t', 'wav', narrow]);
  execFileSync('sox', [narrow, '-r', '16000', '-e', 'signed', '-b', '16', back]);
  return back;
}
const librivox = readFileSync(join(LIBRIVOX, 'transcription'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => {
    const [, reference, id] = /^<s>\s*(.*?)\s*<\/s>\s*\((.+)\)$/.exec(line);
    return { reference, file: join(LIBRIVOX, `${id}.wav`) };
  });
const flite = sentences.map((reference, i) => ({ reference, file: synthesise('flite', reference, i) }));
const festival = sentences.map((reference, i) => ({ reference, file: synthesise('festival', reference, i) }));
const corpus = [
  ...librivox,
  ...flite,
  ...festival,
  ...flite.map((s) => ({ ...s, file: mulaw(s.file) })),
  ...festival.map((s) => ({ ...s, file: mulaw(s.file) })),
];

const M = '/usr/share/pocketsphinx/model/en-us';
const library = loadPocketSphinx();
const decoder = await library.init(`${M}/en-us`, `${M}/en-us.lm.bin`, `${M}/cmudict-en-us.dict`);
const wordsOf = (text) =>
  text
    .split(/\s+/)
    .filter((w) => w && !/^(<s>|<\/s>|<sil>|\[.*\]|\+\+.*\+\+)$/i.test(w))
    .map((w) => w.replace(/\(\d+\)$/, ''));
const normalise = (text) =>
  text
    .toLowerCase()
    .replace(/[^a-z' ]/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
function edits(a, b) {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const next = [i];
    for (let j = 1; j <= b.length; j += 1)
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

let engineMs = 0;
async function decodeWhole(pcm) {
  const started = performance.now();
  library.startStream(decoder);
  library.startUtterance(decoder);
  await library.processRaw(decoder, pcm, true);
  await library.endUtterance(decoder);
  engineMs += performance.now() - started;
  return wordsOf(library.hypothesis(decoder));
}

/** The hypotheses of one utterance, each with the audio length it was read at. */
const strategies = {
  incremental: async function* (pcm) {
    library.startStream(decoder);
    library.startUtterance(decoder);
    for (let at = 0; at < pcm.length; at += INCREMENT) {
      const started = performance.now();
      await library.processRaw(decoder, pcm.subarray(at, at + INCREMENT), false);
      engineMs += performance.now() - started;
      yield { at: Math.min(pcm.length, at + INCREMENT), words: wordsOf(library.hypothesis(decoder)) };
    }
    await library.endUtterance(decoder);
  },
  whole: async function* (pcm) {
    for (let at = STEP; at <= pcm.length; at = Math.max(at + STEP, Math.ceil((at * GROWTH) / STEP) * STEP))
      yield { at, words: await decodeWhole(pcm.subarray(0, at)) };
  },
};

const results = {};
for (const [name, previews] of Object.entries(strategies)) {
  engineMs = 0;
  let words = 0;
  let finalErrors = 0;
  let heldErrors = 0;
  let kept = 0;
  let previewCount = 0;
  const firstStable = [];
  let audioS = 0;
  for (const { reference, file } of corpus) {
    const pcm = wavSamples(file);
    audioS += pcm.length / RATE;
    const stable = new StablePrefix();
    let stableAt;
    for await (const { at, words: hypothesis } of previews(pcm)) {
      previewCount += 1;
      if (stable.hypothesis(hypothesis.join(' ')) && stableAt === undefined) stableAt = at / RATE;
    }
    if (stableAt !== undefined) firstStable.push(stableAt);
    const final = await decodeWhole(pcm);
    const held = beginWith(
      stable.words,
      final.map((word) => ({ word, start: 0, end: 0 })),
    ).map((w) => w.word);
    const truth = normalise(reference);
    words += truth.length;
    finalErrors += edits(truth, normalise(final.join(' ')));
    heldErrors += edits(truth, normalise(held.join(' ')));
    if (held.join(' ') === final.join(' ')) kept += 1;
  }
  firstStable.sort((a, b) => a - b);
  results[name] = {
    utterances: corpus.length,
    words,
    finalKeptStableWords: kept,
    werFinal: Number(((100 * finalErrors) / words).toFixed(1)),
    werHeld: Number(((100 * heldErrors) / words).toFixed(1)),
    previews: previewCount,
    medianFirstStableS: firstStable.length ? firstStable[Math.floor(firstStable.length / 2)] : null,
    utterancesWithStableWords: firstStable.length,
    engineSecondsPerAudioSecond: Number((engineMs / 1000 / audioS).toFixed(3)),
  };
}
library.free(decoder);
results.costRatioWholeToIncremental = Number(
  (results.whole.engineSecondsPerAudioSecond / results.incremental.engineSecondsPerAudioSecond).toFixed(2),
);
console.log(JSON.stringify(results, null, 2));
