import { AsrError, type AsrProvider, type ChunkTranscript, type LiveUtterance } from '@asr/asr';
import { concatSamples, roundSeconds } from '@asr/audio';
import { type FinalError, seconds, type ServerEvent } from './protocol';

/** The embedded engine's hypothesis costs nothing to read: it is sent whenever it changes, at most every 250 ms. */
const LIVE_PARTIAL_SAMPLES = 4000;

export type PartialEvent = Extract<ServerEvent, { type: 'transcript.partial' }>;
export type FinalEvent = Extract<ServerEvent, { type: 'transcript.final' }>;

export interface UtteranceOptions {
  id: number;
  /** Absolute sample (16 kHz, session clock) where the utterance's audio begins. */
  start: number;
  provider: AsrProvider;
  language: string | undefined;
  interimResults: boolean;
  /** Audio between partials (AUDIO_CHUNK_DURATION), in samples. */
  partialEverySamples: number;
  sendPartial: (event: PartialEvent) => void;
}

/**
 * One utterance's transcription: partial hypotheses while it is spoken, then exactly one final.
 * - The embedded engine with a decoder free: the audio is decoded as it arrives and its hypothesis sent when it
 *   changes (at most every 250 ms of audio); the final decodes the whole utterance at once on the same decoder,
 *   as an upload's chunk is decoded.
 * - The embedded engine with every decoder busy: no partials; the final waits its turn in the engine's queue.
 * - A remote provider: the growing utterance is re-transcribed every AUDIO_CHUNK_DURATION, one request at a time.
 */
export class Utterance {
  private readonly live: LiveUtterance | undefined;
  private ended = false;
  private lastText = '';
  private partialAt = 0;
  /** Embedded engine: audio waiting to be fed, how much the engine has had, the feeding loop. */
  private pending: Float32Array[] = [];
  private queued = 0;
  private fed = 0;
  private feeding: Promise<void> | undefined;
  private liveFailed = false;
  /** Remote provider: the partial request in flight. */
  private request: AbortController | undefined;

  constructor(private readonly options: UtteranceOptions) {
    this.live = options.interimResults
      ? options.provider.tryOpenLive({ language: options.language, wordTimestamps: false })
      : undefined;
  }

  get id(): number {
    return this.options.id;
  }

  /** The utterance has grown: `audio` is all of it so far (a view, valid only during this call). */
  grew(audio: Float32Array): void {
    if (this.ended || !this.options.interimResults) return;
    if (this.live && !this.liveFailed) {
      if (audio.length > this.queued) {
        this.pending.push(audio.slice(this.queued));
        this.queued = audio.length;
      }
      this.feeding ??= this.feedLive(this.live);
    } else if (!this.options.provider.capabilities.streamingPartials) {
      this.requestPartial(audio);
    }
  }

  /** The utterance is over: its one final, built from all of its audio. */
  async end(samples: Float32Array, endSample: number): Promise<FinalEvent> {
    this.ended = true;
    this.request?.abort();
    await this.feeding;
    const base = {
      type: 'transcript.final' as const,
      segment_id: this.options.id,
      start: seconds(this.options.start),
      end: seconds(endSample),
    };
    try {
      const transcript = await this.transcribeFinal(samples);
      return { ...base, ...this.finalText(transcript) };
    } catch (error) {
      return { ...base, text: '', error: finalError(error) };
    }
  }

  /** The client is gone: stop, free the decoder, send nothing. */
  cancel(): void {
    this.ended = true;
    this.request?.abort();
    const live = this.live;
    if (live) void Promise.resolve(this.feeding).then(() => live.cancel());
  }

  private transcribeFinal(samples: Float32Array): Promise<ChunkTranscript> {
    if (this.live && !this.liveFailed) return this.live.finish(samples);
    this.live?.cancel();
    return this.options.provider.transcribe(samples, { language: this.options.language, wordTimestamps: true });
  }

  private async feedLive(live: LiveUtterance): Promise<void> {
    try {
      const every = Math.min(this.options.partialEverySamples, LIVE_PARTIAL_SAMPLES);
      while (this.pending.length > 0 && !this.ended) {
        // At most one partial's worth a call: an engine catching up on a backlog still reports as it goes.
        const waiting = concatSamples(this.pending.splice(0));
        const chunk = waiting.subarray(0, every);
        if (waiting.length > chunk.length) this.pending.unshift(waiting.subarray(chunk.length));
        const hypothesis = await live.feed(chunk);
        this.fed += chunk.length;
        if (this.fed - this.partialAt >= every) {
          this.partialAt = this.fed;
          this.partial(hypothesis, this.fed);
        }
      }
    } catch {
      // The final still comes: from `transcribe`, on its own.
      this.liveFailed = true;
    } finally {
      this.feeding = undefined;
    }
  }

  private requestPartial(audio: Float32Array): void {
    if (this.request || audio.length - this.partialAt < this.options.partialEverySamples) return;
    this.partialAt = audio.length;
    const request = new AbortController();
    this.request = request;
    const copy = audio.slice();
    this.options.provider
      .transcribe(copy, { language: this.options.language, wordTimestamps: false, signal: request.signal })
      .then(
        (transcript) => this.partial(transcript.text, copy.length),
        () => undefined, // a failed preview is not an error: the final will say if the provider is down
      )
      .finally(() => {
        if (this.request === request) this.request = undefined;
      });
  }

  private partial(text: string, length: number): void {
    const trimmed = text.trim();
    if (this.ended || trimmed === '' || trimmed === this.lastText) return;
    this.lastText = trimmed;
    this.options.sendPartial({
      type: 'transcript.partial',
      segment_id: this.options.id,
      text: trimmed,
      start: seconds(this.options.start),
      end: seconds(this.options.start + length),
    });
  }

  private finalText(transcript: ChunkTranscript): Pick<FinalEvent, 'text' | 'words' | 'confidence'> {
    const offset = seconds(this.options.start);
    const words = transcript.segments.flatMap((segment) => segment.words ?? []);
    const confidences = words.flatMap((w) => (w.confidence === undefined ? [] : [w.confidence]));
    return {
      text: transcript.text.trim(),
      ...(words.length > 0 && {
        words: words.map((w) => ({ ...w, start: roundSeconds(offset + w.start), end: roundSeconds(offset + w.end) })),
      }),
      ...(confidences.length > 0 && {
        confidence: roundSeconds(confidences.reduce((a, b) => a + b, 0) / confidences.length),
      }),
    };
  }
}

function finalError(error: unknown): FinalError {
  if (error instanceof AsrError) return { code: error.code, message: error.message };
  return { code: 'transcription_failed', message: error instanceof Error ? error.message : String(error) };
}
