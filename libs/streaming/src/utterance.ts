import type { AsrProvider, ChunkTranscript, LiveUtterance, TranscribeOptions } from '@asr/asr';
import { roundSeconds } from '@asr/audio';
import { streamFinalErrorOf } from '@asr/observability';
import type { UtteranceAudio } from '@asr/vad';
import type { FinalError, FinalTranscript, PartialTranscript } from './pipeline-events';
import { seconds } from './protocol';
import { holdFinal, StablePrefix } from './stable-prefix';

/**
 * A long utterance is previewed less often: each preview decodes all of it so far, so at a fixed step the cost
 * would grow with the square of its length. Past the first few steps the next preview waits until the utterance
 * is this much longer, which keeps the previews' cost within a small multiple of the final's.
 */
const PREVIEW_GROWTH = 1.5;

export type UtteranceFinal = Omit<FinalTranscript, 'latencyS' | 'endedBy'>;

export interface UtteranceOptions {
  id: number;
  /** Its audio, written by the stream's VAD until the utterance ends; read here, never copied. */
  audio: UtteranceAudio;
  provider: AsrProvider;
  language: string | undefined;
  prompt?: string;
  interimResults: boolean;
  /** Audio between partials (AUDIO_CHUNK_DURATION), in samples: also the lengths previews are decoded at. */
  partialEverySamples: number;
  sendPartial: (event: PartialTranscript) => void;
}

/**
 * One utterance's transcription: partial hypotheses while it is spoken, then exactly one final.
 * - The embedded engine with a decoder free: the utterance so far is decoded whole on a decoder held for it, at
 *   fixed lengths (every AUDIO_CHUNK_DURATION of its audio, less often once it is long), so the same audio gives
 *   the same previews however it arrived; the final decodes all of it the same way.
 * - The embedded engine with every decoder busy: no partials until one frees (the previews missed are then decoded
 *   first); with none free before the utterance ends, it waits its turn for one, and its previews (sent late) and
 *   its final are decoded on it.
 * - A remote provider: the growing utterance is re-transcribed every AUDIO_CHUNK_DURATION, one request at a time.
 * Either way the words its hypotheses agree on become stable, and the final begins with them (`StablePrefix`).
 */
export class Utterance {
  private live: LiveUtterance | undefined;
  private ended = false;
  /** The client is gone: no more previews, even those an ended utterance still owes its stable words. */
  private cancelled = false;
  private lastText = '';
  private partialAt = 0;
  private readonly stable = new StablePrefix();
  /** Embedded engine: how much of the audio the last preview decoded, the preview loop. */
  private previewed = 0;
  private previewing: Promise<void> | undefined;
  private liveFailed = false;
  /** Remote provider: the partial request in flight. */
  private request: AbortController | undefined;
  /** The final's request, abandoned when the stream closes before it is answered. */
  private readonly finalRequest = new AbortController();

  constructor(private readonly options: UtteranceOptions) {
    this.openLive();
  }

  /**
   * A decoder of its own for previews, if the engine previews and has one free now. Tried again as the utterance
   * grows: one that starts while every decoder is busy gets one when another utterance's final frees it, and its
   * previews then catch up at the lengths it missed.
   */
  private openLive(): void {
    if (this.live || !this.previewsLive) return;
    this.live = this.options.provider.tryOpenLive(this.liveOptions());
  }

  /** Previews run on a decoder held for the utterance (an engine that can, with partials asked for). */
  private get previewsLive(): boolean {
    return this.options.interimResults && this.options.provider.capabilities.streamingPartials;
  }

  /** What a live decoder is opened with: previews carry no word times. */
  private liveOptions(): TranscribeOptions {
    return { language: this.options.language, wordTimestamps: false };
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
    this.openLive();
    if (this.live && !this.liveFailed) {
      // Started only when a preview is due, so the loop always awaits before it ends (and clears `previewing`).
      if (!this.previewing && this.previewLength() !== undefined) this.previewing = this.previewLive(this.live);
    } else if (!this.options.provider.capabilities.streamingPartials) {
      this.requestPartial(this.options.audio.samples);
    }
  }

  /** The utterance is over: its one final, built from all of its audio (`samples`: the span the VAD kept). */
  async end(samples: Float32Array, endSample: number): Promise<UtteranceFinal> {
    this.ended = true;
    this.request?.abort();
    // Previews the engine had not reached yet (it fell behind, or the audio that ended the utterance crossed one)
    // are still decoded: the stable words, and so the final, then depend on the utterance's audio alone, not on
    // how fast it was decoded or how the client framed it.
    await this.previewing;
    await this.previewOwed();
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
    this.cancelled = true;
    this.request?.abort();
    this.finalRequest.abort();
    const live = this.live;
    if (live) void Promise.resolve(this.previewing).then(() => live.cancel());
  }

  /**
   * The final is out: its audio's buffer goes back to the pool. Not when cancelled: a provider call it abandoned may
   * still be reading it (a decode in progress is not stopped), so that buffer is left to the collector.
   */
  releaseAudio(): void {
    if (!this.cancelled) this.options.audio.release();
  }

  private transcribeFinal(samples: Float32Array): Promise<ChunkTranscript> {
    if (this.live && !this.liveFailed) return this.live.finish(samples, this.finalRequest.signal);
    this.live?.cancel();
    return this.options.provider.transcribe(samples, this.callOptions(true, this.finalRequest.signal));
  }

  /** What every provider call of this utterance carries: its language and prompt. */
  private callOptions(wordTimestamps: boolean, signal: AbortSignal): TranscribeOptions {
    const { language, prompt } = this.options;
    return { language, ...(prompt !== undefined && { prompt }), wordTimestamps, signal };
  }

  /**
   * The previews an ended utterance still owes, decoded before its final: on its decoder, or, when it never got one
   * (every decoder stayed busy while it was spoken), on the next that frees, in turn with the engine's other work,
   * where its final then decodes too. Either way its stable words, and so its final, are those of its audio alone,
   * not of how busy the engine was (unless the engine refuses it a decoder: its final then waits in the queue).
   */
  private async previewOwed(): Promise<void> {
    if (this.cancelled || this.liveFailed || this.previewLength() === undefined) return;
    if (!this.live && this.previewsLive) {
      try {
        this.live = await this.options.provider.openLive(this.liveOptions(), this.finalRequest.signal);
      } catch {
        // A full queue or the client gone: the final still comes (or is cancelled) on its own.
        this.liveFailed = true;
        return;
      }
      // Cancelled while it waited: `cancel` found no decoder to free, so it is freed here.
      if (this.cancelled) this.live?.cancel();
    }
    const live = this.live;
    if (!live || this.cancelled) return;
    this.previewing = this.previewLive(live);
    await this.previewing;
  }

  /** Previews at every length due, in order, each decoded whole on `live`. */
  private async previewLive(live: LiveUtterance): Promise<void> {
    try {
      for (let length = this.previewLength(); length !== undefined && !this.cancelled; length = this.previewLength()) {
        const hypothesis = await live.preview(this.options.audio.view(this.start, this.start + length));
        this.previewed = length;
        this.partial(hypothesis, length);
      }
    } catch {
      // The final still comes: from `transcribe`, on its own.
      this.liveFailed = true;
    } finally {
      this.previewing = undefined;
    }
  }

  /**
   * The length to preview now, if one is due. Never skipped, even when the engine fell behind: previews at the same
   * lengths are the same previews, so the same audio gets the same stable words and the same final on any framing.
   */
  private previewLength(): number | undefined {
    const every = this.options.partialEverySamples;
    const due = Math.max(this.previewed + every, Math.ceil((this.previewed * PREVIEW_GROWTH) / every) * every);
    return this.options.audio.length >= due ? due : undefined;
  }

  private requestPartial(audio: Float32Array): void {
    if (this.request || audio.length - this.partialAt < this.options.partialEverySamples) return;
    this.partialAt = audio.length;
    const request = new AbortController();
    this.request = request;
    this.options.provider
      .transcribe(audio, this.callOptions(false, request.signal))
      .then(
        // One answered after the utterance ended is dropped: its final may already be out.
        (transcript) => (this.ended ? undefined : this.partial(transcript.text, audio.length)),
        () => undefined, // a failed preview is not an error: the final will say if the provider is down
      )
      .finally(() => {
        if (this.request === request) this.request = undefined;
      });
  }

  private partial(text: string, length: number): void {
    const trimmed = text.trim();
    const grew = this.stable.hypothesis(trimmed);
    // Sent when the hypothesis changed, or stayed and so made more of itself stable. Previews decoded once the
    // utterance ended (the engine fell behind, or the end crossed a length) are sent too, before its final: the
    // same audio gets the same partials however fast it was decoded; only where they fall around speech-stopped
    // depends on that.
    if (this.cancelled || trimmed === '' || (trimmed === this.lastText && !grew)) return;
    this.lastText = trimmed;
    this.options.sendPartial({
      type: 'partial',
      segmentId: this.options.id,
      text: trimmed,
      stable: this.stable.text,
      start: seconds(this.start),
      end: seconds(this.start + length),
    });
  }

  private finalText(transcript: ChunkTranscript): Pick<UtteranceFinal, 'text' | 'words' | 'confidence'> {
    const offset = seconds(this.start);
    const { text, words } = holdFinal(
      this.stable.words,
      transcript.text.trim(),
      transcript.segments.flatMap((segment) => segment.words ?? []),
    );
    const confidences = words.flatMap((w) => (w.confidence === undefined ? [] : [w.confidence]));
    return {
      text,
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
