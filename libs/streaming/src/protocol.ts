import type { TranscriptWord } from '@asr/asr';
import { roundSeconds, TARGET_SAMPLE_RATE } from '@asr/audio';
import { CLIENT_JSON_MAX_DEPTH, describeClientValue, type JsonBounds, parseBoundedJson } from '@asr/observability';
import type { FinalError } from './pipeline-events';

/** Close codes of the streaming API (docs/asyncapi.yaml); each is preceded by `session.closed` when possible. */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  policy: 1008,
  tooBig: 1009,
  internalError: 1011,
  tryAgainLater: 1013,
  idle: 4001,
  sessionTooLong: 4002,
} as const;

export type CloseReason =
  | 'client_closed'
  | 'client_disconnected'
  | 'server_shutdown'
  | 'too_fast'
  | 'slow_reader'
  | 'frame_too_large'
  | 'server_full'
  | 'too_many_streams'
  | 'idle_timeout'
  | 'max_duration'
  | 'server_error';

export interface SessionStats {
  audio_seconds: number;
  utterances: number;
  finals: number;
  partials: number;
  partials_skipped: number;
  errors: number;
}

export function emptySessionStats(): SessionStats {
  return { audio_seconds: 0, utterances: 0, finals: 0, partials: 0, partials_skipped: 0, errors: 0 };
}

export type { FinalError } from './pipeline-events';

export type ServerEvent =
  | { type: 'session.started'; session_id: string; config: Record<string, unknown> }
  | { type: 'speech.started'; segment_id: number; start: number }
  | { type: 'transcript.partial'; segment_id: number; text: string; start: number; end: number }
  | {
      type: 'transcript.final';
      segment_id: number;
      text: string;
      start: number;
      end: number;
      words?: TranscriptWord[];
      confidence?: number;
      error?: FinalError;
    }
  | { type: 'speech.stopped'; segment_id: number; end: number }
  | { type: 'error'; code: string; message: string; fatal: boolean; retry_after?: number }
  | { type: 'session.closed'; reason: CloseReason; stats: SessionStats };

export type ClientMessage =
  { type: 'configure'; [field: string]: unknown } | { type: 'finalize' } | { type: 'keepalive' } | { type: 'close' };

export const CLIENT_MESSAGE_TYPES = ['configure', 'finalize', 'keepalive', 'close'];

/**
 * Control messages are a few flat fields: larger or deeper text is refused before it is parsed (a frame of 12 KB
 * nested 6,000 levels once overflowed the stack here). Frames themselves are bounded by STREAM_MAX_FRAME_BYTES.
 */
export const CONTROL_MESSAGE_BOUNDS: JsonBounds = { maxDepth: CLIENT_JSON_MAX_DEPTH, maxBytes: 64 * 1024 };

/** A text frame to a client message, or a reason it is not one (answered with a non-fatal `error`). */
export function parseClientMessage(text: string): { ok: true; message: ClientMessage } | { ok: false; reason: string } {
  const parsed = parseBoundedJson(text, CONTROL_MESSAGE_BOUNDS);
  if (!parsed.ok) {
    if (parsed.code === 'invalid_json')
      return { ok: false, reason: 'text frames must be JSON objects with a "type"; audio goes in binary frames' };
    return { ok: false, reason: `${parsed.reason}: text frames are small JSON objects with a "type"` };
  }
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, reason: 'text frames must be JSON objects with a "type"' };
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !CLIENT_MESSAGE_TYPES.includes(type))
    return {
      ok: false,
      reason: `unknown message type ${describeClientValue(type)}; expected one of ${CLIENT_MESSAGE_TYPES.join(', ')}`,
    };
  return { ok: true, message: value as ClientMessage };
}

/** Seconds on the client's audio clock (16 kHz samples since the session began), to the millisecond. */
export function seconds(samples: number): number {
  return roundSeconds(samples / TARGET_SAMPLE_RATE);
}
