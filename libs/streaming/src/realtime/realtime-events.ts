import { CLIENT_JSON_MAX_DEPTH, describeClientValue, type JsonBounds, parseBoundedJson } from '@asr/observability';
import { type EventProblem, EventProblemError, onlyKnown, refuse } from './realtime-problem';
import { type RealtimeLimits, readLegacySession, readSession, type SessionChange } from './realtime-session';

/** The client events a transcription session takes (the `openai` SDK's RealtimeClientEvent, and the beta API's). */
export type RealtimeClientEvent = { eventId?: string } & (
  | { type: 'session.update'; change: SessionChange }
  | { type: 'transcription_session.update'; change: SessionChange }
  | { type: 'input_audio_buffer.append'; audio: Buffer }
  | { type: 'input_audio_buffer.commit' }
  | { type: 'input_audio_buffer.clear' }
);

export const REALTIME_CLIENT_EVENTS = [
  'session.update',
  'transcription_session.update',
  'input_audio_buffer.append',
  'input_audio_buffer.commit',
  'input_audio_buffer.clear',
] as const;

/** OpenAI's other client events: they belong to conversation sessions (a model that answers), which this server has not. */
const CONVERSATION_EVENTS = new Set([
  'conversation.item.create',
  'conversation.item.delete',
  'conversation.item.retrieve',
  'conversation.item.truncate',
  'output_audio_buffer.clear',
  'response.cancel',
  'response.create',
]);

/**
 * Events are flat but an append carries up to STREAM_MAX_FRAME_BYTES of base64 audio: the transport bounds their
 * size, this bounds their nesting (a deep one is refused before it is parsed, as every client JSON is).
 */
export const REALTIME_EVENT_BOUNDS: JsonBounds = { maxDepth: CLIENT_JSON_MAX_DEPTH, maxBytes: 16 * 1024 * 1024 };

/** A client's own event ids are echoed back in errors: bounded, as everything of the client's we repeat is. */
const MAX_EVENT_ID_CHARS = 512;

export type ParsedClientEvent =
  { ok: true; event: RealtimeClientEvent } | { ok: false; problem: EventProblem; eventId?: string };

/** A text frame to a client event, or what is wrong with it (answered with an `error` event; the session goes on). */
export function parseClientEvent(text: string | Buffer, limits: RealtimeLimits): ParsedClientEvent {
  const parsed = parseBoundedJson(text, REALTIME_EVENT_BOUNDS);
  if (!parsed.ok)
    return {
      ok: false,
      problem: {
        code: parsed.code,
        message: `${parsed.reason}: each text frame is one client event, a JSON object with a "type"`,
      },
    };
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return {
      ok: false,
      problem: { code: 'invalid_type', message: 'each text frame is one client event, a JSON object with a "type"' },
    };
  const fields = value as Record<string, unknown>;
  const eventId = typeof fields.event_id === 'string' ? fields.event_id.slice(0, MAX_EVENT_ID_CHARS) : undefined;
  try {
    return { ok: true, event: readEvent(fields, limits) };
  } catch (error) {
    if (error instanceof EventProblemError)
      return { ok: false, problem: error.problem, ...(eventId !== undefined && { eventId }) };
    throw error;
  }
}

function readEvent(fields: Record<string, unknown>, limits: RealtimeLimits): RealtimeClientEvent {
  const { type } = fields;
  const eventId = readEventId(fields.event_id);
  const id = eventId === undefined ? {} : { eventId };
  switch (type) {
    case 'session.update':
      onlyKnown(fields, ['type', 'event_id', 'session'], 'event');
      if (fields.session === undefined)
        refuse('missing_required_parameter', 'session', 'session.update needs a session');
      return { type, change: readSession(fields.session, limits), ...id };
    case 'transcription_session.update':
      onlyKnown(fields, ['type', 'event_id', 'session'], 'event');
      if (fields.session === undefined)
        refuse('missing_required_parameter', 'session', 'transcription_session.update needs a session');
      return { type, change: readLegacySession(fields.session, limits), ...id };
    case 'input_audio_buffer.append':
      onlyKnown(fields, ['type', 'event_id', 'audio'], 'event');
      return { type, audio: readAudio(fields.audio), ...id };
    case 'input_audio_buffer.commit':
    case 'input_audio_buffer.clear':
      onlyKnown(fields, ['type', 'event_id'], 'event');
      return { type, ...id };
    default:
      return refuseType(type);
  }
}

function readEventId(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') refuse('invalid_type', 'event_id', 'event_id must be a string');
  if (value.length > MAX_EVENT_ID_CHARS)
    refuse('invalid_value', 'event_id', `event_id must be at most ${MAX_EVENT_ID_CHARS} characters`);
  return value;
}

/**
 * Base64 as the SDK writes it (padding optional); anything else is refused rather than decoded leniently. Node's
 * decoder skips what is not base64 and stops at padding, so ASCII text with anything else decodes to fewer bytes
 * than its length promises; the URL-safe alphabet it also takes is looked for apart, and so is anything not ASCII.
 * Native passes only, and no second string: a regular expression over every append cost Realtime sessions a tenth more CPU than native ones
 * (bench/stream.mjs --framings).
 */
function readAudio(value: unknown): Buffer {
  if (value === undefined)
    refuse('missing_required_parameter', 'audio', 'input_audio_buffer.append needs audio (base64-encoded)');
  if (typeof value !== 'string') refuse('invalid_type', 'audio', 'audio must be a base64-encoded string');
  const bytes = Buffer.from(value, 'base64');
  // Node decodes a character past ASCII by its low byte: text of ASCII only, so none can pass for a digit.
  const ascii = Buffer.byteLength(value, 'utf8') === value.length;
  if (!ascii || bytes.length !== base64Bytes(value) || value.includes('-') || value.includes('_'))
    refuse('invalid_value', 'audio', 'audio is not valid base64: encode the raw audio bytes with base64');
  return bytes;
}

/** The bytes that base64 text of this length and padding holds; -1 for a length no encoder writes. */
function base64Bytes(text: string): number {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const digits = text.length - padding;
  if (digits % 4 === 1 || text.length % 4 === 1) return -1;
  return Math.floor((digits * 3) / 4);
}

function refuseType(type: unknown): never {
  if (typeof type !== 'string') refuse('invalid_type', 'type', 'each client event needs a "type" (a string)');
  const served = `this server takes ${REALTIME_CLIENT_EVENTS.join(', ')}`;
  if (CONVERSATION_EVENTS.has(type))
    refuse(
      'invalid_value',
      'type',
      `${type} belongs to conversation sessions; this server serves transcription sessions only: ${served}`,
    );
  refuse('invalid_value', 'type', `unknown event type ${describeClientValue(type)}: ${served}`);
}
