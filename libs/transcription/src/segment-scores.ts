import { deflateSync } from 'node:zlib';
import type { TokenLogprob, TranscriptWord } from '@asr/asr';

/**
 * Whisper's compression ratio of a segment's text: its UTF-8 bytes over their zlib-compressed size (openai/whisper,
 * whisper/utils.py `compression_ratio`: `len(text_bytes) / len(zlib.compress(text_bytes))`, default level, as
 * node's deflateSync; both write the zlib header and checksum). Above 2.4 Whisper takes the text for a repetition
 * loop. zlib builds differ in the matches they find: node's (Chromium's zlib) and CPython's (the system zlib) can
 * be a few bytes apart on a short text ("the cat sat on the mat": 30 against 27 bytes), a few per cent of the ratio.
 */
export function compressionRatio(text: string): number {
  const bytes = Buffer.from(text, 'utf8');
  return round(bytes.length / deflateSync(bytes).length, 4);
}

/**
 * Confidences are given to the thousandth: 0 means under 0.0005, so that is the most it can have been (the log of
 * 0 is −∞, which JSON cannot carry).
 */
const SMALLEST_CONFIDENCE = 0.0005;

function logOf(confidence: number): number {
  return Math.log(Math.min(1, Math.max(SMALLEST_CONFIDENCE, confidence)));
}

/** The mean natural log of the words' confidences (the embedded engine's posteriors); undefined if none has one. */
export function meanLogConfidence(words: readonly TranscriptWord[] | undefined): number | undefined {
  const known = (words ?? []).flatMap((w) => (w.confidence === undefined ? [] : [w.confidence]));
  if (known.length === 0) return undefined;
  return round(known.reduce((sum, c) => sum + logOf(c), 0) / known.length, 4);
}

/**
 * OpenAI's `logprobs` from an engine that scores words, not tokens: one token per word, the log of its confidence.
 * Every token but the very first of the transcript starts with the space before it, so that the tokens joined
 * are the text, as OpenAI's are.
 */
export function wordLogprobs(words: readonly TranscriptWord[], first: boolean): TokenLogprob[] {
  return words
    .filter((w) => w.confidence !== undefined)
    .map((w, i) => {
      const token = first && i === 0 ? w.word : ` ${w.word}`;
      return { token, logprob: round(logOf(w.confidence!), 4), bytes: [...Buffer.from(token, 'utf8')] };
    });
}

/** Whisper's `seek`: the segment's start in 10 ms frames (its mel frames), from the start of the recording. */
export function seekOf(startS: number): number {
  return Math.round(startS * 100);
}

export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
