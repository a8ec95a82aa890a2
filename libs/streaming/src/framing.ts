import type { PcmFormat } from '@asr/audio';
import type { PipelineEvent } from './pipeline-events';
import type { CloseReason, SessionStats } from './protocol';
import type { StreamPipeline } from './stream-pipeline';
import type { StreamSettings } from './stream-params';

/** One JSON message to the client. */
export type WireMessage = Readonly<Record<string, unknown>>;

/** What a framing may do with the pipeline, in the order of what the client sent. */
export type FramingPipeline = Pick<StreamPipeline, 'command'>;

/** What one frame from the client asks of the session. */
export type FrameAction =
  /** Audio in the pipeline's current format: paced, then pushed. */
  | { kind: 'audio'; data: Buffer }
  /** Work that must wait behind the audio sent before it (a commit, a finalize, new settings); its messages follow. */
  | { kind: 'queued'; run: (pipeline: FramingPipeline) => Promise<readonly WireMessage[]> }
  /** Sent at once, ahead of anything queued: an answer to a malformed frame, an acknowledgement. */
  | { kind: 'reply'; messages: readonly WireMessage[] }
  /** The audio format changes; only before the first audio (the framing refuses it later). */
  | { kind: 'reformat'; format: PcmFormat }
  | { kind: 'keepalive' }
  /** The client is done sending: what it sent is finished and answered, then the session closes normally. */
  | { kind: 'end' }
  /** Nothing to do (a frame the protocol says to ignore). */
  | { kind: 'none' };

export interface FramingEventContext {
  /**
   * False while the client reads slowly: previews (partials, deltas) should be held back or skipped, since a
   * slow reader loses previews first and finals are never dropped.
   */
  previewsAllowed: boolean;
}

/** How a framing ends a session: the close code and the reason text, and the last messages before them. */
export interface FramingClose {
  code: number;
  reason: string;
}

/**
 * One live protocol's wire format over the shared transport (StreamSession) and pipeline (StreamPipeline): it reads
 * the client's frames and writes the pipeline's events in its own shapes. It holds the protocol's state (item ids,
 * what was already sent) but no socket, no timers and no limits: those are the transport's, the same for every
 * protocol.
 */
export interface Framing {
  /** The pipeline's settings when the session opens (a framing may later change them by command or reformat). */
  readonly settings: StreamSettings;
  /** The first messages, once the session is admitted. */
  opening(sessionId: string): readonly WireMessage[];
  /** A frame from the client (text or binary), already within STREAM_MAX_FRAME_BYTES. */
  frame(data: Buffer, isBinary: boolean): readonly FrameAction[];
  /** A pipeline event as this protocol's messages (none, one or several). `failed` never reaches a framing. */
  event(event: Exclude<PipelineEvent, { type: 'failed' }>, context: FramingEventContext): readonly WireMessage[];
  /** Why the session ends at once (a limit, a refusal, a server error), said before the closing messages. */
  fatal(reason: CloseReason, message: string, retryAfterS?: number): readonly WireMessage[];
  /** The last messages of a session, however it ends (the native `session.closed`, Deepgram's `Metadata`). */
  closing(reason: CloseReason, stats: SessionStats): readonly WireMessage[];
  /** The close frame for a reason; `code` is the native protocol's code for it (a framing may keep it). */
  close(reason: CloseReason, code: number): FramingClose;
}
