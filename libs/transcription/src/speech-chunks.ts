import { roundSeconds, TARGET_SAMPLE_RATE } from '@asr/audio';
import { FRAME_SAMPLES, type SpeechSegment } from '@asr/vad';

/** Silence put between speech spans joined into one chunk, so the engine hears a pause. */
const GAP_SAMPLES = Math.round(0.3 * TARGET_SAMPLE_RATE);

/** Where a stretch of the chunk came from in the original recording (all in seconds). */
interface Piece {
  chunkStart: number;
  originalStart: number;
  duration: number;
  /** The VAD's speech probability of each frame of the span (when asked for), the first from `framesFrom` on. */
  probabilities?: Float32Array;
  /** Where the first of `probabilities` starts in the recording, in seconds. */
  framesFrom?: number;
}

export interface SpeechChunk {
  samples: Float32Array;
  pieces: Piece[];
}

/**
 * Maps a time in a chunk back to the recording: inside a piece by offset; inside the silence between two pieces to
 * the end of the one before or the start of the one after, whichever is nearer (an onset found a few ms early
 * belongs to the next piece).
 */
export function toOriginalTime(chunk: SpeechChunk, t: number): number {
  const index = pieceAt(chunk, t);
  const piece = chunk.pieces[index]!;
  const next = chunk.pieces[index + 1];
  const pieceEnd = piece.chunkStart + piece.duration;
  if (next && t > pieceEnd && next.chunkStart - t < t - pieceEnd) return next.originalStart;
  return piece.originalStart + Math.min(Math.max(0, t - piece.chunkStart), piece.duration);
}

function build(segments: SpeechSegment[]): SpeechChunk {
  const total = segments.reduce((n, s) => n + s.samples!.length, 0) + GAP_SAMPLES * (segments.length - 1);
  const samples = new Float32Array(total);
  const pieces: Piece[] = [];
  let offset = 0;
  for (const segment of segments) {
    samples.set(segment.samples!, offset);
    pieces.push({
      chunkStart: offset / TARGET_SAMPLE_RATE,
      originalStart: segment.start / TARGET_SAMPLE_RATE,
      duration: segment.samples!.length / TARGET_SAMPLE_RATE,
      ...(segment.probabilities
        ? {
            probabilities: segment.probabilities,
            framesFrom: (Math.floor(segment.start / FRAME_SAMPLES) * FRAME_SAMPLES) / TARGET_SAMPLE_RATE,
          }
        : {}),
    });
    offset += segment.samples!.length + GAP_SAMPLES;
  }
  return { samples, pieces };
}

/**
 * Joins speech spans (silence between them dropped) into chunks of at most `maxChunkS`, so long recordings fit a
 * provider's limits and silence never reaches it; with `join` false every span is a chunk of its own. A span is
 * never longer than a chunk (the segmenter splits it).
 */
export async function* speechChunks(
  segments: AsyncIterable<SpeechSegment>,
  maxChunkS: number,
  join = true,
): AsyncGenerator<SpeechChunk> {
  const max = Math.floor(maxChunkS * TARGET_SAMPLE_RATE);
  let pending: SpeechSegment[] = [];
  let length = 0;
  for await (const segment of segments) {
    const added = segment.samples!.length + (pending.length > 0 ? GAP_SAMPLES : 0);
    if (pending.length > 0 && (!join || length + added > max)) {
      yield build(pending);
      pending = [];
      length = 0;
    }
    length += segment.samples!.length + (pending.length > 0 ? GAP_SAMPLES : 0);
    pending.push(segment);
  }
  if (pending.length > 0) yield build(pending);
}

/** Where a chunk's speech starts and ends in the recording, in seconds (rounded to the millisecond). */
export function chunkSpan(chunk: SpeechChunk): { start: number; end: number } {
  const first = chunk.pieces[0]!;
  const last = chunk.pieces[chunk.pieces.length - 1]!;
  return { start: roundSeconds(first.originalStart), end: roundSeconds(last.originalStart + last.duration) };
}

/** Index of the piece a chunk time falls in (a gap belongs to the piece before it). */
export function pieceAt(chunk: SpeechChunk, t: number): number {
  let index = 0;
  chunk.pieces.forEach((piece, i) => {
    if (piece.chunkStart <= t) index = i;
  });
  return index;
}

/**
 * A provider segment that spans two speech spans becomes two segments (when its words say where to cut): a pause
 * the VAD found is a segment boundary, whatever the engine made of the joined audio.
 */
export function splitAtPieces<
  S extends { start: number; end: number; text: string; words?: W[] },
  W extends { start: number; end: number; word: string },
>(chunk: SpeechChunk, segment: S): S[] {
  const words = segment.words;
  if (!words || words.length === 0 || chunk.pieces.length === 1) return [segment];
  const groups = new Map<number, W[]>();
  for (const word of words) {
    const index = pieceAt(chunk, word.start);
    groups.set(index, [...(groups.get(index) ?? []), word]);
  }
  if (groups.size === 1) return [segment];
  return [...groups.values()].map((group) => ({
    ...segment,
    start: group[0]!.start,
    end: group[group.length - 1]!.end,
    text: group.map((w) => w.word).join(' '),
    words: group,
  }));
}

const FRAME_S = FRAME_SAMPLES / TARGET_SAMPLE_RATE;

/**
 * The VAD's mean speech probability over [start, end) of the recording (seconds), from the frames of the chunk's
 * pieces that overlap it; undefined when the chunk carries no probabilities there.
 */
export function meanSpeechProbability(chunk: SpeechChunk, start: number, end: number): number | undefined {
  let sum = 0;
  let count = 0;
  for (const piece of chunk.pieces) {
    const { probabilities, framesFrom } = piece;
    if (!probabilities || framesFrom === undefined) continue;
    if (end < framesFrom || start >= framesFrom + probabilities.length * FRAME_S) continue;
    // Frame indices, not times, decide the overlap: a boundary on a frame edge must not take in the next frame.
    const first = Math.max(0, Math.floor((start - framesFrom) / FRAME_S + 1e-6));
    // A segment shorter than a frame still overlaps the one it lies in.
    const last = Math.min(probabilities.length, Math.max(first + 1, Math.ceil((end - framesFrom) / FRAME_S - 1e-6)));
    for (let i = first; i < last; i += 1) {
      sum += probabilities[i]!;
      count += 1;
    }
  }
  return count > 0 ? sum / count : undefined;
}
