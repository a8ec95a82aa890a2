import type { TranscriptWord } from '@asr/asr';

/** Why an utterance has no text: the session goes on. */
export interface FinalError {
  code: string;
  message: string;
}

/**
 * What a live stream's pipeline tells its framing, in the order it happened. Times are seconds on the session's
 * clock (the audio received so far), rounded to the millisecond; each framing renames and reshapes them for its wire.
 */
export type PipelineEvent =
  | { type: 'speech-started'; segmentId: number; start: number }
  | { type: 'speech-stopped'; segmentId: number; end: number }
  /** The utterance was dropped on request (a `discard` command): it gets no final. */
  | { type: 'speech-discarded'; segmentId: number }
  | PartialTranscript
  | FinalTranscript
  /** The pipeline itself failed (a bug, never bad input): it is closed; the framing ends the session. */
  | { type: 'failed'; error: unknown };

export interface PartialTranscript {
  type: 'partial';
  segmentId: number;
  /** The whole hypothesis so far. */
  text: string;
  /** Its words the hypotheses agree on (only ever grows within an utterance); the final begins with them. */
  stable: string;
  start: number;
  end: number;
}

/** The VAD (silence, or the maximum length), the client's finalize, or the end of the stream. */
export type SpeechEndCause = 'vad' | 'finalize' | 'stream-end';

/** Exactly one per `speech-started` (unless it was discarded), in segment order. */
export interface FinalTranscript {
  type: 'final';
  segmentId: number;
  text: string;
  start: number;
  end: number;
  words?: TranscriptWord[];
  confidence?: number;
  error?: FinalError;
  /** What ended the utterance. */
  endedBy: SpeechEndCause;
  /** From the end of the utterance's speech to this final, for metrics. */
  latencyS: number;
}
