import { ApiError } from '@asr/observability';

/**
 * Query parameters of Deepgram's `POST /v1/listen` (the `@deepgram/sdk` 5.13 request types, plus `sample_rate` and
 * `channels`, which Deepgram documents for raw audio), by the kind of value each takes. Anything else is refused:
 * a misspelt option silently ignored would leave the caller believing it had been applied.
 */
const BOOLEAN_PARAMS = [
  'detect_entities',
  'detect_language',
  'diarize',
  'dictation',
  'filler_words',
  'intents',
  'measurements',
  'mip_opt_out',
  'multichannel',
  'numerals',
  'paragraphs',
  'profanity_filter',
  'punctuate',
  'sentiment',
  'smart_format',
  'topics',
  'utterances',
] as const;

/** Parameters that may be repeated (`keyterm=a&keyterm=b`). */
const LIST_PARAMS = [
  'custom_intent',
  'custom_topic',
  'extra',
  'keyterm',
  'keywords',
  'redact',
  'replace',
  'search',
  'tag',
] as const;

const TEXT_PARAMS = [
  'callback',
  'callback_method',
  'custom_intent_mode',
  'custom_topic_mode',
  'diarize_model',
  'encoding',
  'language',
  'model',
  'summarize',
  'version',
] as const;

const NUMBER_PARAMS = ['utt_split', 'sample_rate', 'channels'] as const;

type BooleanParam = (typeof BOOLEAN_PARAMS)[number];
type ListParam = (typeof LIST_PARAMS)[number];
type TextParam = (typeof TEXT_PARAMS)[number];
type NumberParam = (typeof NUMBER_PARAMS)[number];

/** Every parameter this route knows, for the OpenAPI document. */
export const LISTEN_PARAMS = {
  boolean: BOOLEAN_PARAMS,
  list: LIST_PARAMS,
  text: TEXT_PARAMS,
  number: NUMBER_PARAMS,
} as const;

const KNOWN = new Set<string>([...BOOLEAN_PARAMS, ...LIST_PARAMS, ...TEXT_PARAMS, ...NUMBER_PARAMS]);

/** Raw audio encodings (no container to say what they are) and what the PCM decoder calls them. */
export const RAW_ENCODINGS = { linear16: 'pcm_s16le', mulaw: 'pcm_mulaw', alaw: 'pcm_alaw' } as const;
export type RawEncoding = keyof typeof RAW_ENCODINGS;

/** Encodings Deepgram lists that arrive in their own container or framing: the decoder recognises them itself. */
const SELF_DESCRIBING_ENCODINGS = new Set(['flac', 'opus', 'ogg-opus', 'amr-nb', 'amr-wb', 'speex', 'g729']);

/** How to read a body of headerless samples (`encoding` + `sample_rate`, and `channels`). */
export interface RawAudioFormat {
  encoding: RawEncoding;
  sampleRate: number;
  channels: number;
}

/** A feature that was asked for and that this server does not perform: reported in `metadata.warnings`. */
export interface ListenWarning {
  parameter: string;
  type: string;
  message: string;
}

/** What shapes the response beyond the transcript (kept with a callback job, so its callback body matches). */
export interface ListenResponseOptions {
  utterances: boolean;
  paragraphs: boolean;
  detectLanguage: boolean;
  tags: string[];
  extra: Record<string, string>;
  warnings: ListenWarning[];
  /** The audio's SHA-256 when known at submit (a body); a URL job's runner records it once downloaded. */
  sha256?: string;
}

/** A request's options, parsed and checked. */
export interface ListenRequest {
  language?: string;
  /** The Deepgram model asked for (never sent to the provider: its names mean nothing there). */
  model?: string;
  keyterms: string[];
  callback?: string;
  raw?: RawAudioFormat;
  /** Features turned on that no engine here performs. */
  unsupported: string[];
  /** Whether `punctuate` or `smart_format` was turned on (the embedded engine does neither). */
  formatting: string[];
  response: Omit<ListenResponseOptions, 'warnings' | 'sha256'>;
}

type Query = Record<string, unknown>;

function refuse(message: string): never {
  throw new ApiError(400, 'invalid_parameter', message);
}

function values(query: Query, name: string): string[] {
  const value = query[name];
  if (value === undefined) return [];
  const all = Array.isArray(value) ? value : [value];
  return all.map((v) => (typeof v === 'string' ? v : refuse(`${name} must be text`)));
}

function single(query: Query, name: string): string | undefined {
  const all = values(query, name);
  if (all.length > 1) refuse(`give ${name} once (it appears ${all.length} times)`);
  return all[0];
}

function flag(query: Query, name: BooleanParam): boolean {
  const value = single(query, name);
  if (value === undefined) return false;
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  return refuse(`${name} must be true or false (got "${value}")`);
}

function number(query: Query, name: NumberParam, integer: boolean, min: number, max: number): number | undefined {
  const value = single(query, name);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || (integer && !Number.isInteger(parsed)))
    refuse(`${name} must be ${integer ? 'a whole number' : 'a number'} (got "${value}")`);
  if (parsed < min || parsed > max) refuse(`${name} must be between ${min} and ${max} (got ${parsed})`);
  return parsed;
}

function oneOf(query: Query, name: TextParam, allowed: readonly string[]): string | undefined {
  const value = single(query, name);
  if (value === undefined) return undefined;
  const lower = value.toLowerCase();
  if (!allowed.includes(lower)) refuse(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
  return lower;
}

/** `extra=key:value` pairs, as Deepgram echoes them in `metadata.extra`. */
function extraPairs(query: Query): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const entry of values(query, 'extra')) {
    const at = entry.indexOf(':');
    if (at <= 0) refuse(`extra takes key:value pairs (got "${entry}")`);
    pairs[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return pairs;
}

function rawFormat(query: Query): RawAudioFormat | undefined {
  const encoding = oneOf(query, 'encoding', [...Object.keys(RAW_ENCODINGS), ...SELF_DESCRIBING_ENCODINGS]);
  const sampleRate = number(query, 'sample_rate', true, 1000, 192_000);
  const channels = number(query, 'channels', true, 1, 32);
  if (encoding === undefined || SELF_DESCRIBING_ENCODINGS.has(encoding)) {
    if (sampleRate !== undefined || channels !== undefined)
      refuse('sample_rate and channels describe raw audio: give them with encoding=linear16, mulaw or alaw');
    return undefined;
  }
  if (sampleRate === undefined) refuse(`encoding=${encoding} is raw audio: give its sample_rate too`);
  return { encoding: encoding as RawEncoding, sampleRate, channels: channels ?? 1 };
}

/** Features Deepgram offers that change the transcript or add analyses; none has an engine here. */
const UNSUPPORTED_FLAGS: readonly BooleanParam[] = [
  'diarize',
  'dictation',
  'filler_words',
  'measurements',
  'multichannel',
  'numerals',
  'profanity_filter',
  'sentiment',
  'topics',
  'intents',
  'detect_entities',
];
const UNSUPPORTED_LISTS: readonly ListParam[] = ['custom_intent', 'custom_topic', 'redact', 'replace', 'search'];

/**
 * Parses a `/v1/listen` query: unknown parameters and malformed values are a 400 naming them; known features this
 * server cannot perform are listed (`unsupported`, `formatting`) for the response's warnings.
 */
export function parseListenQuery(query: Query): ListenRequest {
  const unknown = Object.keys(query).filter((name) => !KNOWN.has(name));
  if (unknown.length > 0)
    throw new ApiError(
      400,
      'unknown_parameter',
      `unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')}; ` +
        "this server takes the query parameters of Deepgram's POST /v1/listen (see the API documentation at /docs)",
    );
  const unsupported: string[] = [
    ...UNSUPPORTED_FLAGS.filter((name) => flag(query, name)),
    ...UNSUPPORTED_LISTS.filter((name) => values(query, name).length > 0),
  ];
  const diarizeModel = single(query, 'diarize_model');
  if (diarizeModel !== undefined) unsupported.push('diarize_model');
  const summarize = single(query, 'summarize');
  if (summarize !== undefined && summarize.toLowerCase() !== 'false') unsupported.push('summarize');
  oneOf(query, 'custom_intent_mode', ['strict', 'extended']);
  oneOf(query, 'custom_topic_mode', ['strict', 'extended']);
  if (number(query, 'utt_split', false, 0, 3600) !== undefined) unsupported.push('utt_split');
  flag(query, 'mip_opt_out');
  single(query, 'version');
  const method = oneOf(query, 'callback_method', ['post', 'put']);
  const callback = single(query, 'callback');
  if (method === 'put') refuse('callback_method=PUT is not supported here: callbacks are sent with POST');
  if (method !== undefined && callback === undefined) refuse('callback_method needs a callback URL');
  const language = single(query, 'language');
  const model = single(query, 'model');
  return {
    ...(language ? { language } : {}),
    ...(model ? { model } : {}),
    keyterms: [...values(query, 'keyterm'), ...values(query, 'keywords')],
    ...(callback !== undefined ? { callback } : {}),
    ...optional('raw', rawFormat(query)),
    unsupported: unsupported.sort(),
    formatting: (['punctuate', 'smart_format'] as const).filter((name) => flag(query, name)),
    response: {
      utterances: flag(query, 'utterances'),
      paragraphs: flag(query, 'paragraphs'),
      detectLanguage: flag(query, 'detect_language'),
      tags: values(query, 'tag'),
      extra: extraPairs(query),
    },
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** What the engine in use honours (from its capabilities). */
export interface EngineFacts {
  /** The model that transcribes. */
  model: string;
  /** Whether it takes a prompt (where key terms go). */
  takesPrompt: boolean;
  /** Whether it writes punctuated, capitalised text (remote Whisper-family models do; the embedded engine does not). */
  punctuates: boolean;
}

const UNSUPPORTED_FEATURE = 'unsupported_feature';

/** The warnings Deepgram's `metadata.warnings` carries for `request` on this engine. */
export function listenWarnings(request: ListenRequest, engine: EngineFacts): ListenWarning[] {
  const warnings: ListenWarning[] = request.unsupported.map((parameter) => ({
    parameter,
    type: UNSUPPORTED_FEATURE,
    message: `${parameter} is not supported by this server; the transcript was made without it`,
  }));
  if (!engine.punctuates)
    for (const parameter of request.formatting)
      warnings.push({
        parameter,
        type: UNSUPPORTED_FEATURE,
        message: `${parameter}: the ${engine.model} engine writes lowercase words without punctuation`,
      });
  if (request.keyterms.length > 0 && !engine.takesPrompt)
    warnings.push({
      parameter: 'keyterm',
      type: UNSUPPORTED_FEATURE,
      message: `the ${engine.model} engine takes no vocabulary hints; keyterm and keywords were not used`,
    });
  if (request.model !== undefined && request.model !== engine.model)
    warnings.push({
      parameter: 'model',
      type: 'unsupported_model',
      message: `this server transcribes with ${engine.model}; the model "${request.model}" was not used`,
    });
  return warnings;
}
