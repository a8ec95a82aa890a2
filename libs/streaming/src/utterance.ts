import type { AsrProvider, ChunkTranscript, LiveUtterance } from '@asr/asr';
import { roundSeconds } from '@asr/audio';
import { streamFinalErrorOf } from '@asr/observability';
import type { UtteranceAudio } from '@asr/vad';
import type { FinalError, FinalTranscript, PartialTranscript } from './pipeline-events';
import { seconds } from './protocol';

/** The embedded engine's hypothesis costs nothing to read: it is sent whenever it changes, at most every 250 ms. */
const LIVE_PARTIAL_SAMPLES = 4000;

export type UtteranceFinal = Omit<FinalTranscript, 'latencyS' | 'endedBy'>;

export interface UtteranceOptions {
  id: number;
  /** Its audio, written by the stream's VAD until the utterance ends; read here, never copied. */
  audio: UtteranceAudio;
  provider: AsrProvider;
  language: string | undefined;
  interimResults: boolean;
  /** Audio between partials (AUDIO_CHUNK_DURATION), in samples. */
  partialEverySamples: number;
  sendPartial: (event: PartialTranscript) => void;
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
  /** Embedded engine: how much of the audio the engine has been fed, the feeding loop. */
  private fed = 0;
  private feeding: Promise<void> | undefined;
  private liveFailed = false;
  /** Remote provider: the partial request in flight. */
  private request: AbortController | undefined;
  /** The final's request, abandoned when the stream closes before it is answered. */
  private readonly finalRequest = new AbortController();

  constructor(private readonly options: UtteranceOptions) {
    this.live = options.interimResults
      ? options.provider.tryOpenLive({ language: options.language, wordTimestamps: false })
      : undefined;
  }

  get id(): number {
    return this.options.id;
  }

  private get start(): number {
    return this.options.audio.start;
  }

  /** Its audio has grown (the VAD appended to it). */
  grew(): void {
    if (this.ended || !this.options.interimResults) return;
    if (this.live && !this.liveFailed) {
      this.feeding ??= this.feedLive(this.live);
    } else if (!this.options.provider.capabilities.streamingPartials) {
      this.requestPartial(this.options.audio.samples);
    }
  }

  /** The utterance is over: its one final, built from all of its audio (`samples`: the span the VAD kept). */
  async end(samples: Float32Array, endSample: number): Promise<UtteranceFinal> {
    this.ended = true;
    this.request?.abort();
    await this.feeding;
    const base = {
      type: 'final' as const,
      segmentId: this.options.id,
      start: seconds(this.start),
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
    this.finalRequest.abort();
    const live = this.live;
    if (live) void Promise.resolve(this.feeding).then(() => live.cancel());
  }

  private transcribeFinal(samples: Float32Array): Promise<ChunkTranscript> {
    if (this.live && !this.liveFailed) return this.live.finish(samples, this.finalRequest.signal);
    this.live?.cancel();
    return this.options.provider.transcribe(samples, {
      language: this.options.language,
      wordTimestamps: true,
      signal: this.finalRequest.signal,
    });
  }

  private async feedLive(live: LiveUtterance): Promise<void> {
    try {
      const every = Math.min(this.options.partialEverySamples, LIVE_PARTIAL_SAMPLES);
      const audio = this.options.audio;
      while (this.fed < audio.length && !this.ended) {
        // At most one partial's worth a call: an engine catching up on a backlog still reports as it goes.
        const chunk = audio.view(this.start + this.fed, this.start + this.fed + every);
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
    this.options.provider
      .transcribe(audio, { language: this.options.language, wordTimestamps: false, signal: request.signal })
      .then(
        (transcript) => this.partial(transcript.text, audio.length),
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
      type: 'partial',
      segmentId: this.options.id,
      text: trimmed,
      start: seconds(this.start),
      end: seconds(this.start + length),
    });
  }

  private finalText(transcript: ChunkTranscript): Pick<UtteranceFinal, 'text' | 'words' | 'confidence'> {
    const offset = seconds(this.start);
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

/** The error table says which failures a final names; any other is `transcription_failed`. */
function finalError(error: unknown): FinalError {
  return (
    streamFinalErrorOf(error) ?? {
      code: 'transcription_failed',
      message: error instanceof Error ? error.message : String(error),
    }
  );
}
