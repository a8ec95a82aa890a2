import { createHash, randomUUID } from 'node:crypto';
import { bytesPerFrame } from '@asr/audio';
import type { FrameAction, Framing, FramingClose, FramingEventContext, WireMessage } from '../framing';
import type { FinalTranscript, PipelineEvent } from '../pipeline-events';
import type { CloseReason, SessionStats } from '../protocol';
import type { StreamSettings } from '../stream-params';
import { parseDeepgramControl } from './deepgram-control';
import {
  type DeepgramModel,
  finalResults,
  interimResults,
  metadata,
  type ResultsContext,
  speechStarted,
  utteranceEnd,
} from './deepgram-messages';
import type { DeepgramSettings } from './deepgram-query';
import { UtteranceEndWatch } from './utterance-end-watch';

/** RFC 6455 limits a close frame's reason to 123 bytes. */
const MAX_CLOSE_REASON_BYTES = 123;

/** Deepgram's close codes and reason prefixes where it has its own (docs/asyncapi-deepgram.yaml). */
const DATA_ERROR = { code: 1008, prefix: 'DATA-0000' };
const NET_TIMEOUT = { code: 1011, prefix: 'NET-0001' };
const NET_ERROR = { code: 1011, prefix: 'NET-0000' };

export interface DeepgramFramingOptions {
  settings: DeepgramSettings;
  model: DeepgramModel;
  /** STREAM_IDLE_TIMEOUT_S, for the close reason of an idle session. */
  idleTimeoutS: number;
}

/**
 * Deepgram's live protocol at /v1/listen (docs/asyncapi-deepgram.yaml): binary audio and JSON control messages in;
 * `Results`, `SpeechStarted`, `UtteranceEnd` and a closing `Metadata` out. The request id is the session's id.
 */
export class DeepgramFraming implements Framing {
  /** The session's id once it opens; a refused connection (it never opens) still gets one for its Metadata. */
  private requestId: string = randomUUID();
  private readonly created = new Date().toISOString();
  private readonly audioHash = createHash('sha256');
  private readonly frameBytes: number;
  private audioBytes = 0;
  /** Utterances announced (speech-started) whose final has not been sent yet. */
  private awaitingFinals = 0;
  /** The segment of the newest speech-started: Deepgram's interim results name no utterance (see `event`). */
  private newestSegment = -1;
  private readonly utteranceEnd: UtteranceEndWatch | undefined;
  /** Why the client's text broke the protocol: the session ends 1008, as Deepgram's does. */
  private violation: string | undefined;
  /** What a fatal end was told (Deepgram has no error message: it goes in the close frame's reason). */
  private fatalMessage: string | undefined;

  constructor(private readonly options: DeepgramFramingOptions) {
    const { format } = options.settings.stream;
    this.frameBytes = bytesPerFrame(format);
    const gap = options.settings.utteranceEndS;
    this.utteranceEnd = gap === undefined ? undefined : new UtteranceEndWatch(gap);
  }

  get settings(): StreamSettings {
    return this.options.settings.stream;
  }

  /** Deepgram says nothing when a stream opens. */
  opening(sessionId: string): readonly WireMessage[] {
    this.requestId = sessionId;
    return [];
  }

  frame(data: Buffer, isBinary: boolean): readonly FrameAction[] {
    if (isBinary) return data.length === 0 ? [{ kind: 'end' }] : this.audio(data);
    const control = parseDeepgramControl(data.toString('utf8'));
    if (!control.ok) {
      this.violation = control.reason;
      return [{ kind: 'end' }];
    }
    switch (control.type) {
      case 'KeepAlive':
        return [{ kind: 'keepalive' }];
      case 'CloseStream':
        return [{ kind: 'end' }];
      case 'Finalize':
        return [{ kind: 'queued', run: (pipeline) => pipeline.command({ type: 'finalize' }).then(() => []) }];
    }
  }

  event(event: Exclude<PipelineEvent, { type: 'failed' }>, context: FramingEventContext): readonly WireMessage[] {
    switch (event.type) {
      case 'speech-started':
        this.awaitingFinals += 1;
        this.newestSegment = event.segmentId;
        return this.options.settings.vadEvents ? [speechStarted(event.start)] : [];
      case 'speech-stopped':
        return [];
      case 'speech-discarded':
        this.awaitingFinals -= 1;
        return [];
      case 'partial':
        // An interim replaces the one before it and names no utterance, so a late one of an earlier utterance (its
        // preview decoded after it ended) would stand for the one now spoken: it is not sent.
        return context.previewsAllowed && event.segmentId === this.newestSegment
          ? [interimResults(event, this.resultsContext)]
          : [];
      case 'final':
        return this.final(event);
    }
  }

  fatal(_reason: CloseReason, message: string): readonly WireMessage[] {
    this.fatalMessage = message;
    return [];
  }

  closing(_reason: CloseReason, stats: SessionStats): readonly WireMessage[] {
    const { settings, model } = this.options;
    return [
      metadata({
        requestId: this.requestId,
        created: this.created,
        sha256: this.audioHash.copy().digest('hex'),
        duration: stats.audio_seconds,
        channels: settings.stream.format.channels,
        model,
        warnings: settings.warnings,
      }),
    ];
  }

  close(reason: CloseReason, code: number): FramingClose {
    if (this.violation !== undefined) return closeFrame(DATA_ERROR.code, `${DATA_ERROR.prefix}: ${this.violation}`);
    if (reason === 'client_closed') return { code, reason: '' };
    if (reason === 'idle_timeout')
      return closeFrame(
        NET_TIMEOUT.code,
        `${NET_TIMEOUT.prefix}: no audio or KeepAlive for ${this.options.idleTimeoutS} s (STREAM_IDLE_TIMEOUT_S)`,
      );
    if (reason === 'server_error')
      return closeFrame(NET_ERROR.code, `${NET_ERROR.prefix}: ${this.fatalMessage ?? 'the server failed'}`);
    // The native protocol's code for the rest (1001, 1008, 1009, 1013, 4002): Deepgram has none of its own.
    return closeFrame(code, this.fatalMessage === undefined ? reason : `${reason}: ${this.fatalMessage}`);
  }

  private audio(data: Buffer): FrameAction[] {
    this.audioHash.update(data);
    this.audioBytes += data.length;
    if (!this.utteranceEnd) return [{ kind: 'audio', data }];
    // Queued behind the audio, it runs once the VAD has heard it: the clock an UtteranceEnd is measured on.
    const clock = this.receivedSeconds();
    return [
      { kind: 'audio', data },
      {
        kind: 'queued',
        run: () => Promise.resolve(this.utteranceEndOf(this.utteranceEnd?.advance(clock, this.quiet))),
      },
    ];
  }

  private final(event: FinalTranscript): WireMessage[] {
    this.awaitingFinals -= 1;
    const results = finalResults(event, this.resultsContext, this.options.settings.endpointing);
    if (!this.utteranceEnd) return [results];
    const lastWordEnd = event.text.trim() === '' ? undefined : (event.words?.at(-1)?.end ?? event.end);
    return [results, ...this.utteranceEndOf(this.utteranceEnd.finalSent(lastWordEnd, this.quiet))];
  }

  private utteranceEndOf(lastWordEnd: number | undefined): WireMessage[] {
    return lastWordEnd === undefined ? [] : [utteranceEnd(lastWordEnd)];
  }

  /** No utterance open or waiting for its final: nothing could still add a word. */
  private get quiet(): boolean {
    return this.awaitingFinals === 0;
  }

  private receivedSeconds(): number {
    return Math.floor(this.audioBytes / this.frameBytes) / this.options.settings.stream.format.sampleRate;
  }

  private get resultsContext(): ResultsContext {
    return { requestId: this.requestId, model: this.options.model, extra: this.options.settings.extra };
  }
}

/** A close frame whose reason fits RFC 6455's 123 bytes (cut on a character boundary). */
function closeFrame(code: number, reason: string): FramingClose {
  if (Buffer.byteLength(reason, 'utf8') <= MAX_CLOSE_REASON_BYTES) return { code, reason };
  const chars = [...reason];
  while (Buffer.byteLength(`${chars.join('')}…`, 'utf8') > MAX_CLOSE_REASON_BYTES) chars.pop();
  return { code, reason: `${chars.join('')}…` };
}
