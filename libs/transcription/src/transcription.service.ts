import { Injectable } from '@nestjs/common';
import {
  AsrError,
  AsrMetrics,
  AsrProvider,
  type ChunkTranscript,
  type TokenLogprob,
  type TokenUsage,
  type TranscribeOptions,
  type Transcript,
  type TranscriptSegment,
} from '@asr/asr';
import { AudioDecoder, AudioError, DecodeSlots, TARGET_SAMPLE_RATE } from '@asr/audio';
import { AppConfig } from '@asr/config';
import { type SegmenterSettingsMs, VadService } from '@asr/vad';
import { ChunkMerger, type FinishedChunk } from './chunk-merger';
import { countSamples } from './decoded-audio';
import { runInOrder } from './ordered-runner';
import { ResumedChunks } from './resumed-chunks';
import { type SpeechChunk, speechChunks } from './speech-chunks';

export type { FinishedChunk } from './chunk-merger';

export type AudioSource = { path: string } | { stream: AsyncIterable<Buffer> };

/** What the provider gets for every chunk, and a listener for the results as they come. */
export interface TranscriptionRequest extends TranscribeOptions {
  /** Called with each chunk's segments as soon as it is transcribed (server-sent events use it), and the chunk. */
  onSegments?: (segments: TranscriptSegment[], chunk: FinishedChunk) => void;
  /** How the VAD cuts this recording, over the configured settings (OpenAI's `chunking_strategy`). */
  vad?: Partial<Pick<SegmenterSettingsMs, 'threshold' | 'minSilenceMs' | 'speechPadMs'>>;
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
  /** With `logprobs`: the provider's token log probabilities, else one per word from the engine's confidences. */
  logprobs?: TokenLogprob[];
  /** What the provider billed in tokens, when it reported that for every chunk. */
  tokenUsage?: TokenUsage;
}

/** A chunk as the ordered runner hands it on: transcribed now, or finished by an earlier run. */
type ChunkOutcome = { chunk: SpeechChunk; result: ChunkTranscript } | { chunk: SpeechChunk; finished: FinishedChunk };

/**
 * upload → decode (streamed) → VAD → speech joined into provider-sized chunks → provider → merge, with times mapped
 * back to the recording. Silence never reaches the provider (silence-only audio makes no call at all). Up to
 * ASR_CHUNK_CONCURRENCY chunks are transcribed at once while the next is decoded, and merged in order, so memory
 * stays bounded by a few chunks.
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

  /** The requested model where the provider takes one (remote servers); otherwise the one it runs. */
  modelFor(requested: string | undefined): string {
    const honoured = this.provider.capabilities.honoredFields.includes('model');
    return honoured ? (requested ?? this.provider.defaultModel) : this.provider.defaultModel;
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
    const timings: TranscriptionTimings = { decodeMs: 0, vadMs: 0, asrMs: 0 };
    const decoded = { samples: 0 };
    const merger = new ChunkMerger({
      language: request.language,
      wordTimestamps: request.wordTimestamps,
      provider: this.provider.name,
      logprobs: request.logprobs,
    });
    const resumed = new ResumedChunks(request.finished ?? []);
    try {
      await runInOrder(
        // Time waiting for chunks covers decoding and VAD.
        timeWaits(this.chunksOf(source, request, owner, timings, decoded), (ms) => (timings.decodeMs += ms)),
        { concurrency: this.chunkConcurrency(), signal: request.signal },
        (chunk, signal): ChunkOutcome | Promise<ChunkOutcome> => {
          const finished = resumed.take(chunk);
          return finished ? { chunk, finished } : this.transcribeChunk(chunk, { ...request, signal }, timings);
        },
        (outcome, index) => deliver(outcome, index, merger, request),
      );
    } catch (error) {
      const kind = error instanceof AsrError || error instanceof AudioError ? error.code : 'internal';
      this.metrics.failed(this.provider.name, kind);
      throw error;
    }
    timings.decodeMs -= timings.vadMs;
    const durationS = decoded.samples / TARGET_SAMPLE_RATE;
    const elapsedS = (performance.now() - started) / 1000;
    this.metrics.succeeded(this.provider.name, durationS, elapsedS);
    return {
      transcript: merger.transcript(durationS),
      provider: merger.provider,
      model: this.modelFor(request.model),
      processingMs: Math.round(elapsedS * 1000),
      timings,
      ...(merger.tokenLogprobs ? { logprobs: merger.tokenLogprobs } : {}),
      ...(merger.tokenUsage ? { tokenUsage: merger.tokenUsage } : {}),
    };
  }

  /** The recording's speech as provider-sized chunks, decoded and cut as they are pulled. */
  private chunksOf(
    source: AudioSource,
    request: TranscriptionRequest,
    owner: string,
    timings: TranscriptionTimings,
    decoded: { samples: number },
  ): AsyncIterable<SpeechChunk> {
    const blocks =
      'path' in source
        ? this.decoder.decodeFile(source.path, { signal: request.signal })
        : this.decoder.decode(source.stream, { signal: request.signal });
    // Chunks hold at most what the provider takes; a span of speech never outgrows a chunk.
    const { maxChunkSeconds, joinsSpeechSpans } = this.provider.capabilities;
    const speech = this.vad.segments(countSamples(blocks, decoded), {
      withAudio: true,
      // One number per 32 ms frame: each segment's no-speech probability is made from them.
      withProbabilities: true,
      timing: timings,
      owner,
      overrides: { ...request.vad, maxSpeechS: Math.min(this.config.streaming.maxDurationS, maxChunkSeconds - 1) },
    });
    return speechChunks(speech, maxChunkSeconds, joinsSpeechSpans);
  }

  /** Chunks in flight at once: ASR_CHUNK_CONCURRENCY, never more than the provider serves together. */
  private chunkConcurrency(): number {
    return Math.max(1, Math.min(this.config.asr.chunkConcurrency, this.provider.capabilities.parallelCalls));
  }

  /** The provider call for one chunk; its time counts to the ASR timing when it answers. */
  private async transcribeChunk(
    chunk: SpeechChunk,
    options: TranscribeOptions,
    timings: TranscriptionTimings,
  ): Promise<ChunkOutcome> {
    const started = performance.now();
    const result = await this.provider.transcribe(chunk.samples, options);
    timings.asrMs += performance.now() - started;
    return { chunk, result };
  }
}

/** Merges one chunk (in recording order) and tells the listeners; only chunks transcribed now reach `onChunk`. */
async function deliver(
  outcome: ChunkOutcome,
  index: number,
  merger: ChunkMerger,
  request: TranscriptionRequest,
): Promise<void> {
  if ('finished' in outcome) {
    merger.addFinished(outcome.finished, outcome.chunk);
    request.onSegments?.(outcome.finished.segments, outcome.finished);
    return;
  }
  const finished = merger.addTranscribed(outcome.chunk, outcome.result);
  request.onSegments?.(finished.segments, finished);
  await request.onChunk?.(finished, index);
}

/** Passes `source` through, reporting the time each pull waited for its item. */
async function* timeWaits<T>(source: AsyncIterable<T>, spent: (ms: number) => void): AsyncGenerator<T> {
  const items = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      const pulled = performance.now();
      const next = await items.next();
      spent(performance.now() - pulled);
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await items.return?.();
  }
}
