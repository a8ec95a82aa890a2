import { GrowableSamples, RingBuffer, type SampleBufferPool, TARGET_SAMPLE_RATE } from '@asr/audio';
import { Segmenter, type SegmenterEvent, type SegmenterSettings, type SpeechSpan } from './segmenter';
import { SampleAccumulator } from './sample-accumulator';
import { FRAME_SAMPLES, type VadFrame, type VadStreamState } from './vad-backend';
import type { VadBatcher } from './vad-batcher';

/**
 * What a live stream's VAD reports; times are absolute sample indices at 16 kHz since the stream began. A
 * `speech-start` hands over the utterance's audio, which grows until its `speech-end`.
 */
export type StreamVadEvent =
  | { type: 'speech-start'; start: number; audio: UtteranceAudio }
  | { type: 'speech-end'; span: SpeechSpan; samples: Float32Array };

/** What a block that completes no frame gives: one shared empty list, read only. */
const NO_EVENTS: readonly StreamVadEvent[] = Object.freeze([]);

/**
 * The audio of one utterance, from its padded start: the stream's VAD appends each frame while the utterance is
 * open and hands the object over in `speech-start`; whoever transcribes it reads it. It is append-only and never
 * drops, so every view taken of it keeps its contents (a grown buffer leaves the old one untouched) until `release`
 * gives its buffers back to the pool, once its final is out: readers take views, not copies.
 */
export class UtteranceAudio {
  private readonly held: GrowableSamples;
  /** The pool's buffers it has used (the one it started in, and each it grew into), until `release` gives them back. */
  private readonly pooled: Float32Array[] = [];

  constructor(
    /** Absolute sample (session clock) where the audio begins. */
    readonly start: number,
    initial: Float32Array,
    private readonly pool?: SampleBufferPool,
  ) {
    // Room for 4 s from the start; it doubles as the speech goes on, each buffer from the pool when there is one.
    const room = Math.max(initial.length * 2, 4 * TARGET_SAMPLE_RATE);
    this.held = pool
      ? new GrowableSamples(this.fromPool(pool, room), (samples) => this.fromPool(pool, samples))
      : new GrowableSamples(room);
    this.held.append(initial);
  }

  /**
   * Nobody reads this audio again (its final is out): the buffers it used go back to the pool. Every view taken of
   * it is dead after this; called once, by whoever ends the utterance's transcription.
   */
  release(): void {
    for (const buffer of this.pooled) this.pool?.give(buffer);
    this.pooled.length = 0;
  }

  private fromPool(pool: SampleBufferPool, samples: number): Float32Array {
    const buffer = pool.take(samples);
    this.pooled.push(buffer);
    return buffer;
  }

  /** Called by the VAD only. */
  append(samples: Float32Array): void {
    this.held.append(samples);
  }

  get length(): number {
    return this.held.length;
  }

  /** All of it so far (a view that keeps its contents). */
  get samples(): Float32Array {
    return this.held.samples;
  }

  /** A copy of absolute samples [from, to). */
  slice(from: number, to: number): Float32Array {
    return this.held.slice(from - this.start, to - this.start);
  }

  /** A view of absolute samples [from, to), clamped to what has arrived. */
  view(from: number, to: number): Float32Array {
    const start = Math.max(0, from - this.start);
    return this.held.samples.subarray(start, Math.max(start, Math.min(this.held.length, to - this.start)));
  }
}

/**
 * One live stream's voice-activity detection: 16 kHz audio in blocks of any size, one frame at a time through the
 * shared batcher (frames of other streams in the same tick share its inference), the hysteresis segmenter, and
 * the audio of each utterance — its padded start taken from a lookback ring buffer, so first words are not
 * clipped. An utterance is announced (speech-start) once it has lasted the minimum speech length, so every
 * announced utterance ends with exactly one speech-end. Not re-entrant: a call that returns a promise is awaited
 * before the next call.
 */
export class StreamVad {
  private readonly segmenter: Segmenter;
  private readonly lookback: RingBuffer;
  private readonly state: VadStreamState;
  private readonly frame = new SampleAccumulator(FRAME_SAMPLES);
  /** What every frame of this stream gives the batcher: its accumulator's buffer and its state (one object, reused). */
  private readonly submission: VadFrame;
  private processed = 0;
  private open: UtteranceAudio | undefined;
  /** Whether the open utterance has been announced. */
  private confirmed = false;

  constructor(
    private readonly batcher: VadBatcher,
    settings: SegmenterSettings,
    lookbackSamples: number,
    /** Where utterance buffers come from and go back to (the service's; none: each is allocated). */
    private readonly utteranceBuffers?: SampleBufferPool,
  ) {
    this.segmenter = new Segmenter(settings);
    this.lookback = new RingBuffer(Math.max(lookbackSamples, settings.padSamples) + FRAME_SAMPLES);
    this.state = batcher.newState();
    this.submission = { samples: this.frame.buffer, state: this.state };
  }

  /** Changes the settings from the next frame on; the pad can use no more audio than the lookback holds. */
  configure(settings: SegmenterSettings): void {
    const padSamples = Math.min(settings.padSamples, this.lookback.capacity - FRAME_SAMPLES);
    this.segmenter.reconfigure({ ...settings, padSamples });
  }

  /**
   * The next block of the stream. A block that completes no frame is only gathered: it returns no events at once,
   * with no promise (most client frames are shorter than a VAD frame). One that completes frames returns a promise of
   * the events of its frames, which run one at a time through the batcher.
   */
  push(block: Float32Array): readonly StreamVadEvent[] | Promise<StreamVadEvent[]> {
    const taken = this.frame.fill(block);
    return this.frame.full ? this.runFrames(block, taken) : NO_EVENTS;
  }

  /** The full frame, then each further frame `block` fills from `offset` on. */
  private async runFrames(block: Float32Array, offset: number): Promise<StreamVadEvent[]> {
    const events: StreamVadEvent[] = [];
    do {
      this.frame.clear();
      this.keep(this.frame.buffer);
      this.heard(await this.batcher.submit(this.submission), FRAME_SAMPLES, events);
      offset += this.frame.fill(block, offset);
    } while (this.frame.full);
    return events;
  }

  /** Ends the utterance in progress now (the client asked); the next speech starts a new one. */
  finalize(): StreamVadEvent[] {
    const events: StreamVadEvent[] = [];
    this.handle(this.segmenter.finish(this.processed), events);
    return events;
  }

  /** End of the stream: the last partial frame (padded with silence) goes through, then any open utterance ends. */
  async finish(): Promise<StreamVadEvent[]> {
    const events: StreamVadEvent[] = [];
    const real = this.frame.filled;
    if (real > 0) {
      this.frame.padToFrames();
      this.frame.clear();
      await this.runPartialFrame(events, real);
    }
    this.handle(this.segmenter.finish(this.processed), events);
    return events;
  }

  release(): void {
    this.batcher.releaseState(this.state);
  }

  /** The last partial frame, padded with silence: `real` samples of it are audio. */
  private async runPartialFrame(events: StreamVadEvent[], real: number): Promise<void> {
    this.keep(this.frame.buffer.subarray(0, real));
    this.heard(await this.batcher.submit(this.submission), real, events);
  }

  /** A frame's audio, kept before its inference: the lookback, and the utterance that is open. */
  private keep(samples: Float32Array): void {
    this.lookback.write(samples);
    this.open?.append(samples);
  }

  /** A frame's probability, through the segmenter. */
  private heard(probability: number, real: number, events: StreamVadEvent[]): void {
    this.processed += real;
    this.handle(this.segmenter.push(probability), events);
  }

  private handle(segmenterEvents: readonly SegmenterEvent[], events: StreamVadEvent[]): void {
    let ended: UtteranceAudio | undefined;
    for (const event of segmenterEvents) {
      if (event.type === 'speech-end') {
        if (!this.confirmed) this.confirm(events);
        const end = Math.min(event.span.end, this.processed);
        const span = { ...event.span, end };
        ended = this.open;
        this.open = undefined;
        // A view, not a copy: an ended utterance's buffer is never appended to again (a split copies from it).
        events.push({ type: 'speech-end', span, samples: ended?.view(span.start, end) ?? new Float32Array(0) });
      } else {
        // A split at the length limit starts inside the utterance that just ended: take its audio from there.
        const initial =
          ended && ended.start <= event.at
            ? ended.slice(event.at, this.processed)
            : this.lookback.read(event.at, this.processed);
        this.open = new UtteranceAudio(event.at, initial, this.utteranceBuffers);
        this.confirmed = false;
      }
    }
    // Speech is announced once it has lasted VAD_MIN_SPEECH_MS: shorter blips end unannounced and are forgotten.
    if (this.open && !this.confirmed) {
      if (!this.segmenter.speaking) {
        // A blip nobody heard of: its buffers go straight back.
        this.open.release();
        this.open = undefined;
      } else if (this.segmenter.kept) this.confirm(events);
    }
  }

  private confirm(events: StreamVadEvent[]): void {
    this.confirmed = true;
    if (this.open) events.push({ type: 'speech-start', start: this.open.start, audio: this.open });
  }
}
