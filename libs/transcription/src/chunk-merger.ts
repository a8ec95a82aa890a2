import type { ChunkTranscript, Transcript, TranscriptSegment } from '@asr/asr';
import { roundSeconds } from '@asr/audio';
import { chunkSpan, type SpeechChunk, splitAtPieces, toOriginalTime } from './speech-chunks';

/** One chunk's outcome with times on the recording: what a job saves, so a restart need not send it again. */
export interface FinishedChunk {
  /** Where the chunk's speech starts and ends in the recording, in seconds. */
  start: number;
  end: number;
  language: string | undefined;
  segments: TranscriptSegment[];
}

export interface ChunkMergerOptions {
  /** The language the caller asked for; otherwise the first a chunk reports, else English. */
  language?: string;
  wordTimestamps: boolean;
  /** The configured provider's name: who served a chunk whose result names no other. */
  provider: string;
}

/**
 * A chunk's segments with times mapped to the recording (split where the VAD found a pause), numbered from
 * `firstId`; words only when asked for.
 */
export function chunkSegments(
  chunk: SpeechChunk,
  result: ChunkTranscript,
  firstId: number,
  wordTimestamps: boolean,
): TranscriptSegment[] {
  const at = (t: number): number => roundSeconds(toOriginalTime(chunk, t));
  return result.segments
    .flatMap((s) => splitAtPieces(chunk, s))
    .filter((s) => s.text.length > 0)
    .map((s, i) => ({
      id: firstId + i,
      start: at(s.start),
      end: at(s.end),
      text: s.text,
      ...(wordTimestamps && s.words
        ? { words: s.words.map((w) => ({ ...w, start: at(w.start), end: at(w.end) })) }
        : {}),
    }));
}

/** Chunk results, added in recording order, into one transcript: ids run on across chunks, times are the recording's. */
export class ChunkMerger {
  private readonly segments: TranscriptSegment[] = [];
  private language: string | undefined;
  /** Which providers answered: the configured one, or its fallback for chunks its open circuit refused. */
  private readonly servedBy = new Set<string>();

  constructor(private readonly options: ChunkMergerOptions) {
    this.language = options.language;
  }

  /** Adds a chunk the provider just transcribed; returns it as a job saves it. */
  addTranscribed(chunk: SpeechChunk, result: ChunkTranscript): FinishedChunk {
    this.servedBy.add(result.provider ?? this.options.provider);
    this.language ??= result.language;
    const added = chunkSegments(chunk, result, this.segments.length, this.options.wordTimestamps);
    this.segments.push(...added);
    return { ...chunkSpan(chunk), language: result.language, segments: added };
  }

  /** Adds a chunk an earlier run finished (its segments already numbered and on the recording's times). */
  addFinished(finished: FinishedChunk): void {
    this.language ??= finished.language;
    this.segments.push(...finished.segments);
  }

  transcript(durationS: number): Transcript {
    return {
      text: this.segments.map((s) => s.text).join(' '),
      language: this.language ?? 'en',
      duration: roundSeconds(durationS),
      segments: this.segments,
    };
  }

  /** `openai`, `openai+local` when a fallback served some chunks; the configured one when no chunk was sent. */
  get provider(): string {
    return this.servedBy.size > 0 ? [...this.servedBy].join('+') : this.options.provider;
  }
}
