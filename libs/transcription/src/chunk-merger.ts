import type { ChunkTranscript, TokenLogprob, TokenUsage, Transcript, TranscriptSegment } from '@asr/asr';
import { roundSeconds } from '@asr/audio';
import { meanLogConfidence, round, wordLogprobs } from './segment-scores';
import { chunkSpan, meanSpeechProbability, type SpeechChunk, splitAtPieces, toOriginalTime } from './speech-chunks';

/** One chunk's outcome with times on the recording: what a job saves, so a restart need not send it again. */
export interface FinishedChunk {
  /** Where the chunk's speech starts and ends in the recording, in seconds. */
  start: number;
  end: number;
  language: string | undefined;
  segments: TranscriptSegment[];
  /** The chunk's token log probabilities, when they were asked for. */
  logprobs?: TokenLogprob[];
  /** The provider's token usage for the chunk, when it reported one. */
  usage?: TokenUsage;
}

export interface ChunkMergerOptions {
  /** The language the caller asked for; otherwise the first a chunk reports, else English. */
  language?: string;
  wordTimestamps: boolean;
  /** The configured provider's name: who served a chunk whose result names no other. */
  provider: string;
  /** Token log probabilities: the provider's own, else one per word from the engine's confidences. */
  logprobs?: boolean;
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
    .map((s, i) => {
      const start = at(s.start);
      const end = at(s.end);
      return {
        id: firstId + i,
        start,
        end,
        text: s.text,
        ...(wordTimestamps && s.words
          ? { words: s.words.map((w) => ({ ...w, start: at(w.start), end: at(w.end) })) }
          : {}),
        ...segmentScores(s, chunk, start, end),
      };
    });
}

/**
 * What OpenAI's verbose_json says of a segment beyond its text: the provider's own figures where it gives them;
 * otherwise the mean log of the engine's word confidences and 1 − the VAD's mean speech probability over the
 * segment (`start`, `end` on the recording).
 */
function segmentScores(
  segment: ChunkTranscript['segments'][number],
  chunk: SpeechChunk,
  start: number,
  end: number,
): Partial<TranscriptSegment> {
  const avgLogprob = segment.avgLogprob ?? meanLogConfidence(segment.words);
  const speech = meanSpeechProbability(chunk, start, end);
  const noSpeechProb = segment.noSpeechProb ?? (speech === undefined ? undefined : round(1 - speech, 4));
  const { compressionRatio, temperature, tokens, speaker } = segment;
  return Object.fromEntries(
    Object.entries({ avgLogprob, noSpeechProb, compressionRatio, temperature, tokens, speaker }).filter(
      ([, value]) => value !== undefined,
    ),
  );
}

/** Chunk results, added in recording order, into one transcript: ids run on across chunks, times are the recording's. */
export class ChunkMerger {
  private readonly segments: TranscriptSegment[] = [];
  private language: string | undefined;
  /** Which providers answered: the configured one, or its fallback for chunks its open circuit refused. */
  private readonly servedBy = new Set<string>();
  private readonly logprobs: TokenLogprob[] = [];
  /** Token usage summed over the chunks, while every chunk transcribed reported one. */
  private usage: TokenUsage | undefined;
  private chunksWithoutUsage = 0;

  constructor(private readonly options: ChunkMergerOptions) {
    this.language = options.language;
  }

  /** Adds a chunk the provider just transcribed; returns it as a job saves it. */
  addTranscribed(chunk: SpeechChunk, result: ChunkTranscript): FinishedChunk {
    this.servedBy.add(result.provider ?? this.options.provider);
    this.language ??= result.language;
    const added = chunkSegments(chunk, result, this.segments.length, this.options.wordTimestamps);
    const logprobs = this.options.logprobs
      ? (result.logprobs ??
        wordLogprobs(
          result.segments.flatMap((s) => s.words ?? []),
          this.segments.length === 0,
        ))
      : undefined;
    this.segments.push(...added);
    const finished: FinishedChunk = { ...chunkSpan(chunk), language: result.language, segments: added };
    if (logprobs) finished.logprobs = logprobs;
    if (result.usage) finished.usage = result.usage;
    this.addScores(finished);
    return finished;
  }

  /**
   * Adds a chunk an earlier run finished (its segments already numbered and on the recording's times). `chunk`, the
   * same speech cut again by this run, gives the VAD's no-speech figure to segments saved without one.
   */
  addFinished(finished: FinishedChunk, chunk?: SpeechChunk): void {
    this.language ??= finished.language;
    this.segments.push(
      ...finished.segments.map((s) => {
        const speech = s.noSpeechProb === undefined && chunk ? meanSpeechProbability(chunk, s.start, s.end) : undefined;
        return speech === undefined ? s : { ...s, noSpeechProb: round(1 - speech, 4) };
      }),
    );
    this.addScores(finished);
  }

  private addScores(finished: FinishedChunk): void {
    if (this.options.logprobs) this.logprobs.push(...(finished.logprobs ?? []));
    if (!finished.usage) {
      this.chunksWithoutUsage += 1;
      return;
    }
    const sum = (a: number | undefined, b: number | undefined): number | undefined =>
      a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0);
    const before = this.usage;
    const { inputTokens, outputTokens, totalTokens, audioTokens, textTokens } = finished.usage;
    const audio = sum(before?.audioTokens, audioTokens);
    const text = sum(before?.textTokens, textTokens);
    this.usage = {
      inputTokens: (before?.inputTokens ?? 0) + inputTokens,
      outputTokens: (before?.outputTokens ?? 0) + outputTokens,
      totalTokens: (before?.totalTokens ?? 0) + totalTokens,
      ...(audio === undefined ? {} : { audioTokens: audio }),
      ...(text === undefined ? {} : { textTokens: text }),
    };
  }

  /** The token log probabilities of every chunk in order, when asked for. */
  get tokenLogprobs(): TokenLogprob[] | undefined {
    return this.options.logprobs ? this.logprobs : undefined;
  }

  /** Token usage, when every chunk reported one (a part of the recording billed otherwise makes it no total). */
  get tokenUsage(): TokenUsage | undefined {
    return this.chunksWithoutUsage === 0 ? this.usage : undefined;
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
