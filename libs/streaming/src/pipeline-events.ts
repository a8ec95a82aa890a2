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
  | PartialTranscript
  | FinalTranscript
  /** The pipeline itself failed (a bug, never bad input): it is closed; the framing ends the session. */
  | { type: 'failed'; error: unknown };

export interface PartialTranscript {
  type: 'partial';
  segmentId: number;
  text: string;
  start: number;
  end: number;
}

/** Exactly one per `speech-started`, in segment order. */
export interface FinalTranscript {
  type: 'final';
  segmentId: number;
  text: string;
  start: number;
  end: number;
  words?: TranscriptWord[];
  confidence?: number;
  error?: FinalError;
  /** From the end of the utterance's speech to this final, for metrics. */
  latencyS: number;
}
