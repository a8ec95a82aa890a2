import { Injectable } from '@nestjs/common';
import {
  AsrError,
  AsrMetrics,
  AsrProvider,
  type ChunkTranscript,
  type TranscribeOptions,
  type Transcript,
  type TranscriptSegment,
} from '@asr/asr';
import { AudioDecoder, AudioError, DecodeSlots, roundSeconds, TARGET_SAMPLE_RATE } from '@asr/audio';
import { AppConfig } from '@asr/config';
import { VadService } from '@asr/vad';
import { countSamples } from './decoded-audio';
import { chunkSpan, type SpeechChunk, speechChunks, splitAtPieces, toOriginalTime } from './speech-chunks';

export type AudioSource = { path: string } | { stream: AsyncIterable<Buffer> };

/** One chunk's outcome with times on the recording: what a job saves, so a restart need not send it again. */
export interface FinishedChunk {
  /** Where the chunk's speech starts and ends in the recording, in seconds. */
  start: number;
  end: number;
  language: string | undefined;
  segments: TranscriptSegment[];
}

/** What the provider gets for every chunk, and a listener for the results as they come. */
export interface TranscriptionRequest extends TranscribeOptions {
  /** Called with each chunk's segments as soon as it is transcribed (server-sent events use it). */
  onSegments?: (segments: TranscriptSegment[]) => void;
  /**
   * Chunks an earlier run of the same audio finished, in order: reused instead of transcribed again, as long as
   * the VAD cuts the audio the same way (it does for the same file and settings; a chunk that differs ends the reuse).
   */
  finished?: readonly FinishedChunk[];
  /** Called in order after each chunk is transcribed (not for reused ones); awaited before the next is merged. */
  onChunk?: (chunk: FinishedChunk, index: number) => void | Promise<void>;
  /**
   * Who asked (a caller id, `key:<name>` or `ip:<address>`): decode slots and VAD time are shared fairly between
   * callers. Without one (the CLI), the work is its own caller.
   */
  caller?: string;
}

/** Where the time of one transcription went, in ms (sent as a Server-Timing header). */
export interface TranscriptionTimings {
  decodeMs: number;
  vadMs: number;
  asrMs: number;
}

export interface TranscriptionResult {
  transcript: Transcript;
  provider: string;
  model: string;
  processingMs: number;
  timings: TranscriptionTimings;
}

/**
 * upload → decode (streamed) → VAD → speech joined into provider-sized chunks → provider → merge, with times mapped
 * back to the recording. Silence never reaches the provider (silence-only audio makes no call at all). Chunks are
 * transcribed one after another while the next is decoded, so memory stays bounded by a chunk.
 */
@Injectable()
export class TranscriptionService {
  constructor(
    private readonly decoder: AudioDecoder,
    private readonly slots: DecodeSlots,
    private readonly provider: AsrProvider,
    private readonly metrics: AsrMetrics,
    private readonly vad: VadService,
    private readonly config: AppConfig,
  ) {}

  modelFor(requested: string | undefined): string {
    return this.provider.name === 'local' ? this.provider.defaultModel : (requested ?? this.provider.defaultModel);
  }

  /** A chunk's segments with times mapped to the recording (split where the VAD found a pause). */
  private toSegments(
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

  /** `source`: a file on disk (a spooled upload, the CLI's argument) or a stream of bytes. */
  async transcribe(source: AudioSource, request: TranscriptionRequest): Promise<TranscriptionResult> {
    const owner = request.caller ?? 'local';
    const release = await this.slots.acquire(owner, request.signal);
    try {
      return await this.transcribeHolding(source, request, owner);
    } finally {
      release();
    }
  }

  private async transcribeHolding(
    source: AudioSource,
    request: TranscriptionRequest,
    owner: string,
  ): Promise<TranscriptionResult> {
    const started = performance.now();
    const segments: TranscriptSegment[] = [];
    let language: string | undefined = request.language;
    /** Which providers answered: the configured one, or its fallback for chunks its open circuit refused. */
    const servedBy = new Set<string>();
    const timings: TranscriptionTimings = { decodeMs: 0, vadMs: 0, asrMs: 0 };
    const decoded = { samples: 0 };
    try {
      const blocks =
        'path' in source
          ? this.decoder.decodeFile(source.path, { signal: request.signal })
          : this.decoder.decode(source.stream, { signal: request.signal });
      // Chunks hold at most what the provider takes; a span of speech never outgrows a chunk.
      const maxChunkS = this.provider.capabilities.maxChunkSeconds;
      const speech = this.vad.segments(countSamples(blocks, decoded), {
        withAudio: true,
        timing: timings,
        owner,
        overrides: { maxSpeechS: Math.min(this.config.streaming.maxDurationS, maxChunkS - 1) },
      });
      const chunks = speechChunks(speech, maxChunkS, this.provider.capabilities.joinsSpeechSpans)[
        Symbol.asyncIterator
      ]();
      // Up to ASR_CHUNK_CONCURRENCY chunks in flight; results are merged in order as they complete.
      const calls = new AbortController();
      const signal = request.signal ? AbortSignal.any([request.signal, calls.signal]) : calls.signal;
      type Done = { chunk: SpeechChunk; result: ChunkTranscript } | { chunk: SpeechChunk; reused: FinishedChunk };
      const inFlight: Promise<Done>[] = [];
      const finished = [...(request.finished ?? [])];
      let index = 0;
      const parallel = Math.max(
        1,
        Math.min(this.config.asr.chunkConcurrency, this.provider.capabilities.parallelCalls),
      );
      const merge = async (): Promise<void> => {
        const done = await inFlight.shift()!;
        if ('reused' in done) {
          language ??= done.reused.language;
          segments.push(...done.reused.segments);
          request.onSegments?.(done.reused.segments);
        } else {
          const { chunk, result } = done;
          servedBy.add(result.provider ?? this.provider.name);
          language ??= result.language;
          const added = this.toSegments(chunk, result, segments.length, request.wordTimestamps);
          segments.push(...added);
          request.onSegments?.(added);
          await request.onChunk?.({ ...chunkSpan(chunk), language: result.language, segments: added }, index);
        }
        index += 1;
      };
      try {
        for (;;) {
          const decodeStarted = performance.now();
          const next = await chunks.next();
          timings.decodeMs += performance.now() - decodeStarted;
          if (next.done) break;
          const chunk = next.value;
          const reused = reusable(finished, chunk);
          if (reused) {
            inFlight.push(Promise.resolve({ chunk, reused }));
            if (inFlight.length >= parallel) await merge();
            continue;
          }
          finished.length = 0;
          const asrStarted = performance.now();
          const call = this.provider.transcribe(chunk.samples, { ...request, signal }).then((result) => {
            timings.asrMs += performance.now() - asrStarted;
            return { chunk, result };
          });
          // Awaited in order by merge(); this only keeps an early failure from counting as unhandled.
          call.catch(() => undefined);
          inFlight.push(call);
          if (inFlight.length >= parallel) await merge();
        }
        while (inFlight.length > 0) await merge();
      } catch (error) {
        calls.abort();
        throw error;
      } finally {
        // Stopped early (a failure, a cancel): end the decoding chain so it closes its file and ffmpeg now.
        await chunks.return(undefined).catch(() => undefined);
      }
    } catch (error) {
      const kind = error instanceof AsrError || error instanceof AudioError ? error.code : 'internal';
      this.metrics.failed(this.provider.name, kind);
      throw error;
    }
    // Time waiting for chunks covers decoding and VAD; report them apart.
    timings.decodeMs -= timings.vadMs;
    const durationS = decoded.samples / TARGET_SAMPLE_RATE;
    const elapsedS = (performance.now() - started) / 1000;
    this.metrics.succeeded(this.provider.name, durationS, elapsedS);
    return {
      transcript: {
        text: segments.map((s) => s.text).join(' '),
        language: language ?? 'en',
        duration: roundSeconds(durationS),
        segments,
      },
      provider: servedBy.size > 0 ? [...servedBy].join('+') : this.provider.name,
      model: this.modelFor(request.model),
      processingMs: Math.round(elapsedS * 1000),
      timings,
    };
  }
}

/** The next finished chunk, taken from the front of `finished`, if it covers the same speech as `chunk`. */
function reusable(finished: FinishedChunk[], chunk: SpeechChunk): FinishedChunk | undefined {
  const next = finished[0];
  if (!next) return undefined;
  const span = chunkSpan(chunk);
  // Times are saved rounded to the millisecond.
  if (Math.abs(next.start - span.start) > 0.002 || Math.abs(next.end - span.end) > 0.002) return undefined;
  return finished.shift();
}
