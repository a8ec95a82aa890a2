import { randomBytes } from 'node:crypto';
import type { TranscriptWord } from '@asr/asr';
import type { WireMessage } from '../framing';
import type { FinalError } from '../pipeline-events';
import type { CloseReason } from '../protocol';
import type { EventProblem } from './realtime-problem';

/** OpenAI's `LogProbProperties`: one per word token here (the engine scores words, not sub-word tokens). */
export interface LogProb {
  token: string;
  bytes: number[];
  logprob: number;
}

/**
 * The engine rounds confidences to 0.001: one reported as 0 was below 0.0005, and is taken as that (a log of 0
 * would be -Infinity, which JSON cannot carry).
 */
const MIN_CONFIDENCE = 0.0005;

/** Reasons the client caused (its `error.type` is invalid_request_error); the rest are the server's. */
const CLIENT_CAUSED = new Set<CloseReason>([
  'too_fast',
  'slow_reader',
  'frame_too_large',
  'too_many_streams',
  'idle_timeout',
  'max_duration',
]);

/** Why a session ends when the transport ends it gracefully (no fatal error said it). */
const ENDED_BECAUSE: Partial<Record<CloseReason, string>> = {
  idle_timeout:
    'the session was idle for STREAM_IDLE_TIMEOUT_S (no audio and no client event); reconnect to go on, and send audio or an event more often',
  max_duration: 'the session reached its maximum duration (STREAM_MAX_SESSION_S, expires_at); reconnect to go on',
  server_shutdown: 'the server is shutting down; reconnect (to another instance)',
};

/**
 * Builds the server events of one session, each with its own `event_id` (`event_` + a per-session random part + a
 * counter: unique, and cheaper than random bytes per event), and the items' ids the same way.
 */
export class RealtimeMessages {
  private readonly base = randomBytes(8).toString('hex');
  private events = 0;
  private items = 0;

  newItemId(): string {
    this.items += 1;
    return `item_${this.base}${this.items.toString(36)}`;
  }

  event(type: string, fields: Record<string, unknown> = {}): WireMessage {
    this.events += 1;
    return { type, event_id: `event_${this.base}${this.events.toString(36)}`, ...fields };
  }

  /** A refused client event: the session goes on. */
  problem(problem: EventProblem, eventId: string | undefined): WireMessage {
    return this.error('invalid_request_error', problem.code, problem.message, problem.param, eventId);
  }

  /** Why the transport ends the session (a limit, a refusal, the server), before its close frame. */
  fatal(reason: CloseReason, message: string): WireMessage {
    return this.error(CLIENT_CAUSED.has(reason) ? 'invalid_request_error' : 'server_error', reason, message);
  }

  /** Why a graceful end the client did not ask for happens, or nothing for the client's own. */
  ended(reason: CloseReason): WireMessage | undefined {
    const message = ENDED_BECAUSE[reason];
    return message === undefined ? undefined : this.fatal(reason, message);
  }

  error(type: string, code: string, message: string, param?: string, eventId?: string): WireMessage {
    return this.event('error', {
      error: { type, code, message, param: param ?? null, event_id: eventId ?? null },
    });
  }

  delta(itemId: string, delta: string, logprobs: LogProb[] | null | undefined): WireMessage {
    return this.event('conversation.item.input_audio_transcription.delta', {
      item_id: itemId,
      content_index: 0,
      delta,
      ...(logprobs !== undefined && { logprobs }),
    });
  }

  completed(itemId: string, transcript: string, seconds: number, logprobs: LogProb[] | null | undefined): WireMessage {
    return this.event('conversation.item.input_audio_transcription.completed', {
      item_id: itemId,
      content_index: 0,
      transcript,
      usage: { type: 'duration', seconds: Math.round(seconds * 1000) / 1000 },
      ...(logprobs !== undefined && { logprobs }),
    });
  }

  failed(itemId: string, error: FinalError): WireMessage {
    return this.event('conversation.item.input_audio_transcription.failed', {
      item_id: itemId,
      content_index: 0,
      error: {
        type: error.code === 'unsupported_language' ? 'invalid_request_error' : 'server_error',
        code: error.code,
        message: error.message,
      },
    });
  }
}

/** Log probabilities of words, from their confidences; null when any word has none (the engine gave none). */
export function logprobsOf(words: readonly TranscriptWord[], first: boolean): LogProb[] | null {
  if (words.some((w) => w.confidence === undefined)) return null;
  return words.map((w, i) => {
    const token = (i === 0 && first ? '' : ' ') + w.word;
    return {
      token,
      bytes: [...Buffer.from(token, 'utf8')],
      logprob: Math.log(Math.max(MIN_CONFIDENCE, Math.min(1, w.confidence!))),
    };
  });
}

export function milliseconds(seconds: number): number {
  return Math.round(seconds * 1000);
}
