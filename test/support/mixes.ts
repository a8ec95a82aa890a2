import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const RATE = 16_000;

export interface Span {
  start: number;
  end: number;
}

/** A deterministic PRNG, so every run builds the same mixes. */
export function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The 16-bit samples of a canonical 44-byte-header WAV file (every test file is one: sox and encodeWav write them). */
export function wavInt16(file: string): Int16Array {
  const bytes = readFileSync(file);
  const at = bytes.indexOf('data') + 8;
  return new Int16Array(
    bytes.buffer.slice(bytes.byteOffset + at, bytes.byteOffset + bytes.length - ((bytes.length - at) % 2)),
  );
}

/** A canonical WAV file's samples as floats in −1…1. */
export function wavFloat32(file: string): Float32Array {
  return Float32Array.from(wavInt16(file), (v) => v / 32768);
}

/** Utterances spoken by flite, as 16 kHz float samples. */
export function speak(sentences: string[]): Float32Array[] {
  const dir = mkdtempSync(join(tmpdir(), 'asr-mix-'));
  return sentences.map((text, i) => {
    const raw = join(dir, `${i}.raw.wav`);
    const wav = join(dir, `${i}.wav`);
    execFileSync('flite', ['-voice', 'slt', '-t', text, '-o', raw]);
    execFileSync('sox', [raw, '-r', String(RATE), '-c', '1', '-b', '16', wav]);
    return wavFloat32(wav);
  });
}

/** Utterances separated by silences of 0.8–1.6 s (seeded), with a second of silence at both ends. */
export function sequence(utterances: Float32Array[], seed = 1): { clean: Float32Array; gaps: Span[] } {
  const next = random(seed);
  const pauses = utterances.map(() => Math.round((0.8 + 0.8 * next()) * RATE));
  const total = RATE + utterances.reduce((n, u, i) => n + u.length + pauses[i]!, 0) + RATE;
  const clean = new Float32Array(total);
  const gaps: Span[] = [];
  let at = RATE;
  utterances.forEach((u, i) => {
    clean.set(u, at);
    at += u.length;
    gaps.push({ start: at, end: at + pauses[i]! });
    at += pauses[i]!;
  });
  return { clean, gaps };
}

/** Truth: 10 ms windows above −40 dBFS in the clean signal, gaps under 300 ms merged. */
export function truthSpans(clean: Float32Array): Span[] {
  const window = RATE / 100;
  const spans: Span[] = [];
  for (let at = 0; at + window <= clean.length; at += window) {
    let sum = 0;
    for (let i = at; i < at + window; i += 1) sum += clean[i]! * clean[i]!;
    if (10 * Math.log10(sum / window + 1e-12) <= -40) continue;
    const last = spans[spans.length - 1];
    if (last && at - last.end < 0.3 * RATE) last.end = at + window;
    else spans.push({ start: at, end: at + window });
  }
  return spans;
}

function power(signal: Float32Array, spans: Span[]): number {
  let sum = 0;
  let n = 0;
  for (const { start, end } of spans) {
    for (let i = start; i < end; i += 1) sum += signal[i]! * signal[i]!;
    n += end - start;
  }
  return sum / n;
}

export function whiteNoise(length: number, seed: number): Float32Array {
  const next = random(seed);
  return Float32Array.from({ length }, () => next() * 2 - 1);
}

/** Pink noise (Paul Kellett's filter over white noise). */
export function pinkNoise(length: number, seed: number): Float32Array {
  const white = whiteNoise(length, seed);
  const out = new Float32Array(length);
  let b0 = 0,
    b1 = 0,
    b2 = 0,
    b3 = 0,
    b4 = 0,
    b5 = 0,
    b6 = 0;
  for (let i = 0; i < length; i += 1) {
    const w = white[i]!;
    b0 = 0.99886 * b0 + w * 0.0555179;
    b1 = 0.99332 * b1 + w * 0.0750759;
    b2 = 0.969 * b2 + w * 0.153852;
    b3 = 0.8665 * b3 + w * 0.3104856;
    b4 = 0.55 * b4 + w * 0.5329522;
    b5 = -0.7616 * b5 - w * 0.016898;
    out[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
    b6 = w * 0.115926;
  }
  return out;
}

/** The clean signal plus noise scaled to `snrDb` against the speech's power. */
export function withNoise(clean: Float32Array, truth: Span[], noise: Float32Array, snrDb: number): Float32Array {
  const scale = Math.sqrt(power(clean, truth) / (power(noise, [{ start: 0, end: noise.length }]) * 10 ** (snrDb / 10)));
  return Float32Array.from(clean, (v, i) => v + noise[i]! * scale);
}

/** Distractors in the pauses: a 1 kHz tone and a burst of noise, as loud as the speech, 0.3 s each. */
export function withDistractors(signal: Float32Array, truth: Span[], gaps: Span[]): Float32Array {
  const out = Float32Array.from(signal);
  const level = Math.sqrt(power(signal, truth));
  const burst = whiteNoise(RATE, 7);
  gaps.forEach((gap, i) => {
    if (gap.end - gap.start < 0.7 * RATE) return;
    const at = gap.start + Math.round(0.2 * RATE);
    for (let k = 0; k < 0.3 * RATE; k += 1) {
      out[at + k]! +=
        i % 2 === 0 ? Math.SQRT2 * level * Math.sin((2 * Math.PI * 1000 * k) / RATE) : burst[k]! * level * Math.sqrt(3);
    }
  });
  return out;
}

function iou(a: Span, b: Span): number {
  const overlap = Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));
  return overlap / (Math.max(a.end, b.end) - Math.min(a.start, b.start));
}

/** Segment precision, recall and F1: a detection matches a truth span (each used once) when IoU ≥ 0.5. */
export interface SegmentScores {
  precision: number;
  recall: number;
  f1: number;
  found: number;
}

export function segmentScores(truth: Span[], detected: Span[]): SegmentScores {
  const used = new Set<number>();
  let found = 0;
  for (const t of truth) {
    const match = detected.findIndex((d, i) => !used.has(i) && iou(t, d) >= 0.5);
    if (match >= 0) {
      used.add(match);
      found += 1;
    }
  }
  const precision = detected.length === 0 ? 0 : found / detected.length;
  const recall = found / truth.length;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, found };
}

/**
 * `seconds` of speech like a long meeting: the sentences spoken in turn with `gapS` of silence between, starting
 * after `leadS` (different leads give recordings whose chunks differ), to the end.
 */
export function meeting(seconds: number, sentences: string[], { gapS = 0.8, leadS = 1 } = {}): Float32Array {
  const utterances = speak(sentences);
  const out = new Float32Array(Math.round(seconds * RATE));
  let at = Math.round(leadS * RATE);
  for (let i = 0; at + 6 * RATE < out.length; i += 1) {
    const utterance = utterances[i % utterances.length]!;
    out.set(utterance, at);
    at += utterance.length + Math.round(gapS * RATE);
  }
  return out;
}
