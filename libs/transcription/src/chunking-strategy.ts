import {
  ApiError,
  CLIENT_JSON_MAX_DEPTH,
  describeClientValue,
  type JsonBounds,
  parseBoundedJson,
} from '@asr/observability';
import type { UploadFields } from './upload';

/**
 * OpenAI's `chunking_strategy`: `"auto"`, or `{type: "server_vad", prefix_padding_ms, silence_duration_ms,
 * threshold}` (openai 7.59, resources/audio/transcriptions.d.ts `TranscriptionCreateParams.VadConfig`).
 */
export type ChunkingStrategy =
  { type: 'auto' } | { type: 'server_vad'; prefixPaddingMs?: number; silenceDurationMs?: number; threshold?: number };

const FIELD = 'chunking_strategy';
/** The official SDKs send an object as bracketed fields: `chunking_strategy[type]=server_vad`. */
const BRACKETED = /^chunking_strategy\[([^\]]*)\]$/;
/** A flat object of four members is well under a kilobyte; the depth bound is every client document's. */
export const CHUNKING_STRATEGY_BOUNDS: JsonBounds = { maxDepth: CLIENT_JSON_MAX_DEPTH, maxBytes: 4096 };

/** Each member: its bounds (those of VAD_SPEECH_PAD_MS, VAD_MIN_SILENCE_MS and VAD_THRESHOLD) and whether whole. */
const MEMBERS = {
  prefix_padding_ms: { min: 0, max: 2000, integer: true },
  silence_duration_ms: { min: 0, max: 10_000, integer: true },
  threshold: { min: 0, max: 1, integer: false },
} as const;
type Member = keyof typeof MEMBERS;

const EXPECTED = `chunking_strategy must be "auto" or a server_vad object: {"type":"server_vad"} with any of ${Object.keys(
  MEMBERS,
).join(', ')}`;

function refuse(message: string): ApiError {
  return new ApiError(400, 'validation_failed', message);
}

/** A member's number: in JSON a number, in a form field its text; refused outside its bounds. */
function memberValue(name: Member, raw: unknown, fromText: boolean): number {
  const { min, max, integer } = MEMBERS[name];
  const value = fromText && typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;
  if (!ok || (integer && !Number.isInteger(value)))
    throw refuse(
      `chunking_strategy.${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max} (got ${describeClientValue(raw)})`,
    );
  return value;
}

/** The server_vad object from its members (a parsed JSON object, or the bracketed fields). */
function serverVad(members: ReadonlyMap<string, unknown>, fromText: boolean): ChunkingStrategy {
  const type = members.get('type');
  if (type !== 'server_vad')
    throw refuse(`${EXPECTED}; its "type" must be "server_vad" (got ${describeClientValue(type)})`);
  const unknown = [...members.keys()].filter((key) => key !== 'type' && !Object.hasOwn(MEMBERS, key));
  if (unknown.length > 0)
    throw refuse(
      `${EXPECTED}; unknown member ${describeClientValue(unknown[0])}${unknown.length > 1 ? ` and ${unknown.length - 1} more` : ''}`,
    );
  const value = (name: Member): number | undefined =>
    members.has(name) ? memberValue(name, members.get(name), fromText) : undefined;
  const prefixPaddingMs = value('prefix_padding_ms');
  const silenceDurationMs = value('silence_duration_ms');
  const threshold = value('threshold');
  return {
    type: 'server_vad',
    ...(prefixPaddingMs === undefined ? {} : { prefixPaddingMs }),
    ...(silenceDurationMs === undefined ? {} : { silenceDurationMs }),
    ...(threshold === undefined ? {} : { threshold }),
  };
}

/** One field's text: `"auto"` or the server_vad object as JSON (bounded before it is parsed). */
export function parseChunkingStrategyText(text: string): ChunkingStrategy {
  const trimmed = text.trim();
  if (trimmed === 'auto') return { type: 'auto' };
  if (!trimmed.startsWith('{')) throw refuse(`${EXPECTED} (got ${describeClientValue(text)})`);
  const parsed = parseBoundedJson(trimmed, CHUNKING_STRATEGY_BOUNDS);
  if (!parsed.ok) throw refuse(`${EXPECTED}: ${parsed.reason}`);
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw refuse(`${EXPECTED} (got ${describeClientValue(value)})`);
  return serverVad(new Map(Object.entries(value)), false);
}

/**
 * The request's chunking strategy, from `chunking_strategy` (`auto`, or the object as JSON text) or the bracketed
 * fields the SDKs send; undefined when neither is there. Anything else is a 400 that says what is expected.
 */
export function parseChunkingStrategy(fields: UploadFields): ChunkingStrategy | undefined {
  const bracketed = new Map<string, unknown>();
  for (const [name, value] of Object.entries(fields)) {
    const member = BRACKETED.exec(name)?.[1];
    if (member === undefined) continue;
    if (Array.isArray(value)) throw refuse(`send ${describeClientValue(name)} once`);
    bracketed.set(member, value);
  }
  const whole = fields[FIELD];
  if (whole !== undefined && bracketed.size > 0)
    throw refuse('send chunking_strategy as one field or as chunking_strategy[...] fields, not both');
  if (Array.isArray(whole)) throw refuse('send chunking_strategy once');
  if (whole !== undefined) return parseChunkingStrategyText(whole);
  return bracketed.size > 0 ? serverVad(bracketed, true) : undefined;
}

/**
 * Our VAD settings for the upload: `auto` is the configured segmentation; server_vad's threshold starts speech
 * (VAD_THRESHOLD), its silence ends it (VAD_MIN_SILENCE_MS), its prefix padding is kept around it (VAD_SPEECH_PAD_MS).
 */
export function vadOverridesOf(strategy: ChunkingStrategy | undefined): {
  threshold?: number;
  minSilenceMs?: number;
  speechPadMs?: number;
} {
  if (strategy?.type !== 'server_vad') return {};
  const { threshold, silenceDurationMs, prefixPaddingMs } = strategy;
  return {
    ...(threshold === undefined ? {} : { threshold }),
    ...(silenceDurationMs === undefined ? {} : { minSilenceMs: silenceDurationMs }),
    ...(prefixPaddingMs === undefined ? {} : { speechPadMs: prefixPaddingMs }),
  };
}
