import type { AsrProvider } from '@asr/asr';
import { PcmStreamDecoder, type PcmFormat } from '@asr/audio';
import { type SegmenterSettingsMs, StreamVad, type StreamVadEvent, type VadService } from '@asr/vad';
import type { PipelineEvent, SpeechEndCause } from './pipeline-events';
import { seconds } from './protocol';
import { Utterance } from './utterance';

/**
 * What a pipeline needs of the VAD: the batcher every stream shares, the segmenter settings with overrides, and the
 * pool utterance buffers come from (none: each is allocated).
 */
export type PipelineVad = Pick<VadService, 'sharedBatcher' | 'settings'> &
  Partial<Pick<VadService, 'utteranceBuffers'>>;

/** What a stream may change while it runs (the audio format is fixed when it opens). */
export interface PipelineSettings {
  language: string | undefined;
  /** Text to steer the transcription (OpenAI's `prompt`): passed to providers that take one, ignored by the rest. */
  prompt?: string;
  interimResults: boolean;
  vad: Partial<SegmenterSettingsMs>;
}

export type PipelineCommand =
  /** End the utterance in progress now; the next speech starts a new one. */
  | { type: 'finalize' }
  /** Drop the utterance in progress untranscribed (`speech-discarded` instead of its final). */
  | { type: 'discard' }
  /** New settings from the next audio on; an utterance in progress keeps the provider settings it started with. */
  | { type: 'configure'; settings: PipelineSettings }
  /** Stop at once: no more events, the utterance in progress is dropped, what it holds is freed. */
  | { type: 'close' };

export interface PipelineOptions {
  format: PcmFormat;
  settings: PipelineSettings;
  provider: AsrProvider;
  vad: PipelineVad;
  /** Audio before speech starts that an utterance may take as its padding (AUDIO_LOOKBACK_DURATION), in samples. */
  lookbackSamples: number;
  /** Audio between partials of a remote provider (AUDIO_CHUNK_DURATION), in samples. */
  partialEverySamples: number;
  /** Every event, in order. Called synchronously from the pipeline's work: a framing sends or drops, never awaits. */
  emit: (event: PipelineEvent) => void;
  /** Each block of decoded 16 kHz audio as it goes to the VAD (STREAM_RECORD). */
  tapAudio?: (samples: Float32Array) => void;
  /** A failure in the background after the pipeline closed (freeing its VAD state), for the log. */
  report: (error: unknown, what: string) => void;
}

/**
 * Where a pipeline is. `speaking` holds the utterance in progress (announced by `speech-started`, not yet
 * stopped); `finishing` has run the last audio through and waits for the finals; `closed` emits nothing more.
 */
type PipelineState =
  { phase: 'listening' } | { phase: 'speaking'; utterance: Utterance } | { phase: 'finishing' } | { phase: 'closed' };

/**
 * One live stream, socket-free: PCM decoder → the stream's VAD → utterances → ordered, protocol-neutral events.
 * Audio and commands are worked through in the order they are given (each call queues behind the ones before it,
 * so a framing need not await them); finals leave in segment order, exactly one per `speech-started`, also when
 * the provider fails. Its only clock is the audio: it has no timers.
 */
export class StreamPipeline {
  private decoder: PcmStreamDecoder;
  private readonly vad: StreamVad;
  private settings: PipelineSettings;
  private state: PipelineState = { phase: 'listening' };
  private nextSegmentId = 0;
  /**
   * The work queue's last step, while one is waiting (undefined when idle): every push and command runs after the
   * ones before it. An idle pipeline runs a push at once, and it becomes the tail only if it waits for the VAD: a
   * client frame that completes no VAD frame costs no promise.
   */
  private tail: Promise<void> | undefined;
  /** Steps that became the tail so far: the last one to end, and only it, leaves the queue idle. */
  private steps = 0;
  /** The finals chain: each final is emitted after the one before it, whichever provider call ends first. */
  private finals: Promise<void> = Promise.resolve();
  /** Utterances that have ended and wait for their final: a close abandons their provider calls. */
  private readonly awaitingFinal = new Set<Utterance>();
  private finished: Promise<void> | undefined;

  constructor(private readonly options: PipelineOptions) {
    this.settings = options.settings;
    this.decoder = new PcmStreamDecoder(options.format);
    this.vad = new StreamVad(
      options.vad.sharedBatcher,
      options.vad.settings(this.settings.vad),
      options.lookbackSamples,
      options.vad.utteranceBuffers,
    );
  }

  /**
   * A new audio format from the next push on. Only before any audio: a framing whose protocol sets the format in
   * a message (OpenAI's `session.update`) refuses a change once audio has been sent.
   */
  reformat(format: PcmFormat): void {
    this.decoder = new PcmStreamDecoder(format);
  }

  /** Seconds of audio in `bytes` of this stream's PCM format. */
  secondsIn(bytes: number): number {
    return this.decoder.secondsIn(bytes);
  }

  get closed(): boolean {
    return this.state.phase === 'closed';
  }

  /**
   * More of the stream's audio (raw PCM in its format). Worked through at once when nothing is queued before it;
   * returns a promise, resolved once it has been through the VAD, only when it has to wait (behind other work, or
   * for the VAD frames it completes).
   */
  push(audio: Buffer): Promise<void> | undefined {
    if (this.tail) return this.enqueue(() => this.feed(this.decoder.decode(audio)));
    if (this.state.phase === 'closed' || this.state.phase === 'finishing') return undefined;
    let waiting: Promise<void> | undefined;
    try {
      waiting = this.feed(this.decoder.decode(audio));
    } catch (error) {
      this.fail(error);
    }
    return waiting && this.becomeTail(waiting);
  }

  command(command: PipelineCommand): Promise<void> {
    if (command.type === 'close') {
      this.close();
      return this.idle();
    }
    return this.enqueue(() => {
      if (command.type === 'configure') this.configure(command.settings);
      else this.handle(this.vad.finalize(), command.type === 'finalize' ? 'finalize' : 'discard');
    });
  }

  /**
   * The end of the stream: the last audio goes through, an utterance in progress ends, and this resolves once
   * every final has been emitted. Then the pipeline is closed.
   */
  finish(): Promise<void> {
    return (this.finished ??= this.enqueue(async () => {
      await this.feed(this.decoder.flush());
      this.handle(await this.vad.finish(), 'stream-end');
      // Closed meanwhile (the client left, a limit was broken): it stays closed.
      if (this.closed) return;
      this.state = { phase: 'finishing' };
      await this.finals;
      this.close();
    }));
  }

  /** Resolves when the queue has nothing left to run. */
  private idle(): Promise<void> {
    return this.tail ?? Promise.resolve();
  }

  private enqueue(step: () => Promise<void> | void): Promise<void> {
    return this.becomeTail(
      this.idle().then(() => {
        if (this.state.phase === 'closed' || this.state.phase === 'finishing') return undefined;
        return step();
      }),
    );
  }

  /**
   * `step` is now the queue's last: the next push or command waits for it. A failure is told through `failed`,
   * once (every later step sees `closed` and does nothing); the promise returned never rejects.
   */
  private becomeTail(step: Promise<void>): Promise<void> {
    this.steps += 1;
    const ticket = this.steps;
    const settle = (): void => {
      if (this.steps === ticket) this.tail = undefined;
    };
    const tail = step.then(settle, (error: unknown) => {
      settle();
      this.fail(error);
    });
    this.tail = tail;
    return tail;
  }

  private configure(settings: PipelineSettings): void {
    this.settings = settings;
    this.vad.configure(this.options.vad.settings(settings.vad));
  }

  /** Decoded audio through the VAD: a promise only when the VAD has frames to run. */
  private feed(samples: Float32Array): Promise<void> | undefined {
    if (samples.length === 0) return undefined;
    this.options.tapAudio?.(samples);
    const events = this.vad.push(samples);
    // Nothing completed a VAD frame: nothing heard, the utterance has not grown.
    if (!(events instanceof Promise)) return undefined;
    return events.then((heard) => {
      this.handle(heard);
      if (this.state.phase === 'speaking') this.state.utterance.grew();
    });
  }

  /** `cause`: why a `speech-end` among these events came (the VAD heard silence or the maximum length, unless said). */
  private handle(events: readonly StreamVadEvent[], cause: SpeechEndCause | 'discard' = 'vad'): void {
    for (const event of events) {
      if (this.state.phase === 'closed') return;
      if (event.type === 'speech-start') this.speechStarted(event);
      else if (cause === 'discard') this.speechDiscarded();
      else this.speechEnded(event.samples, event.span.end, cause);
    }
  }

  private speechDiscarded(): void {
    if (this.state.phase !== 'speaking') return;
    const utterance = this.state.utterance;
    this.state = { phase: 'listening' };
    utterance.cancel();
    this.options.emit({ type: 'speech-discarded', segmentId: utterance.id });
  }

  private speechStarted(event: Extract<StreamVadEvent, { type: 'speech-start' }>): void {
    const segmentId = this.nextSegmentId;
    this.nextSegmentId += 1;
    const utterance = new Utterance({
      id: segmentId,
      audio: event.audio,
      provider: this.options.provider,
      language: this.settings.language,
      ...(this.settings.prompt !== undefined && { prompt: this.settings.prompt }),
      interimResults: this.settings.interimResults,
      partialEverySamples: this.options.partialEverySamples,
      // Called from the provider's promise callbacks: a throw there would be an unhandled rejection.
      sendPartial: (partial) => this.emitGuarded(partial),
    });
    this.state = { phase: 'speaking', utterance };
    this.options.emit({ type: 'speech-started', segmentId, start: seconds(event.start) });
  }

  private speechEnded(samples: Float32Array, end: number, cause: SpeechEndCause): void {
    if (this.state.phase !== 'speaking') return;
    const utterance = this.state.utterance;
    this.state = { phase: 'listening' };
    // Ended and held before anyone hears of it: a close in answer to `speech-stopped` still cancels it.
    const heardAt = performance.now();
    this.awaitingFinal.add(utterance);
    const final = utterance.end(samples, end).finally(() => {
      this.awaitingFinal.delete(utterance);
      // Its final is out: nothing reads its audio again (a cancelled one may still be, and keeps it).
      utterance.releaseAudio();
    });
    this.options.emit({ type: 'speech-stopped', segmentId: utterance.id, end: seconds(end) });
    if (this.closed) return;
    // Chained: finals leave in segment order even when a later one is ready first. A failure closes this
    // pipeline only; uncaught, the rejected chain would end the process once nobody awaits it.
    this.finals = this.finals
      .then(async () => {
        const event = await final;
        if (this.state.phase !== 'closed') {
          this.options.emit({ ...event, endedBy: cause, latencyS: (performance.now() - heardAt) / 1000 });
        }
      })
      .catch((error: unknown) => this.fail(error));
  }

  private emitGuarded(event: PipelineEvent): void {
    if (this.state.phase === 'closed') return;
    try {
      this.options.emit(event);
    } catch (error) {
      this.fail(error);
    }
  }

  /** A throw in the pipeline or in the framing's `emit`: the framing hears `failed` once, then nothing more. */
  private fail(error: unknown): void {
    if (this.state.phase === 'closed') return;
    this.close();
    try {
      this.options.emit({ type: 'failed', error });
    } catch (emitError) {
      this.options.report(emitError, 'stream failure not handled');
    }
  }

  private close(): void {
    if (this.state.phase === 'closed') return;
    if (this.state.phase === 'speaking') this.state.utterance.cancel();
    for (const utterance of this.awaitingFinal) utterance.cancel();
    this.state = { phase: 'closed' };
    // The VAD state goes back once no frame of this stream is in the batcher (the queued step has ended).
    void this.idle()
      .then(() => this.vad.release())
      .catch((error: unknown) => this.options.report(error, 'stream VAD state not released'));
  }
}
