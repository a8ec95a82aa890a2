import type { PcmEncoding } from '@asr/audio';
import type { ParseResult, StreamSettings } from '../stream-params';

/**
 * The query parameters of Deepgram's live `GET /v1/listen`: the `connect()` arguments of `@deepgram/sdk` 5.13
 * (`listen.v1.connect`), plus `filler_words` and `no_delay`, which Deepgram documents and voice-agent plugins send.
 * Anything else refuses the handshake: a misspelt option silently ignored would leave the caller believing it applied.
 */
const FLAG_PARAMS = [
  'detect_entities',
  'diarize',
  'dictation',
  'filler_words',
  'interim_results',
  'mip_opt_out',
  'multichannel',
  'no_delay',
  'numerals',
  'profanity_filter',
  'punctuate',
  'smart_format',
  'vad_events',
] as const;
/** May be given more than once (`keyterm=a&keyterm=b`). */
const LIST_PARAMS = ['extra', 'keyterm', 'keywords', 'redact', 'replace', 'search', 'tag'] as const;
const TEXT_PARAMS = [
  'callback',
  'callback_method',
  'diarize_model',
  'encoding',
  'language',
  'model',
  'version',
] as const;
const NUMBER_PARAMS = ['channels', 'endpointing', 'sample_rate', 'utterance_end_ms'] as const;

type FlagParam = (typeof FLAG_PARAMS)[number];
type ListParam = (typeof LIST_PARAMS)[number];

/** Every parameter the live endpoint knows (docs/asyncapi-deepgram.yaml documents each). */
export const DEEPGRAM_LIVE_PARAMS: readonly string[] = [
  ...FLAG_PARAMS,
  ...LIST_PARAMS,
  ...TEXT_PARAMS,
  ...NUMBER_PARAMS,
].sort();

const KNOWN = new Set(DEEPGRAM_LIVE_PARAMS);

/** Raw (headerless) encodings, and what the PCM decoder calls them. */
export const DEEPGRAM_RAW_ENCODINGS: Readonly<Record<string, PcmEncoding>> = {
  linear16: 'pcm_s16le',
  linear32: 'pcm_f32le',
  mulaw: 'pcm_mulaw',
  alaw: 'pcm_alaw',
};
const RAW_NAMES = 'linear16, linear32, mulaw or alaw';
/** Deepgram's other encodings: compressed or containerised, which the live endpoint here does not decode. */
const COMPRESSED_ENCODINGS = new Set(['flac', 'opus', 'ogg-opus', 'amr-nb', 'amr-wb', 'speex', 'g729']);

const REDACT_VALUES = ['true', 'false', 'pci', 'numbers', 'aggressive_numbers', 'ssn'];
const CALLBACK_METHODS = ['post', 'get', 'put', 'delete'];
/** BCP-47 as Deepgram takes it (`en`, `en-US`, `zh-Hant`), or `multi` (its code-switching: any language here). */
const LANGUAGE_TAG = /^[a-z]{2,3}(?:[-_][a-z0-9]{1,8})*$/i;
/** Names a refusal quotes, each cut short: enough to say what was wrong. */
const MAX_NAMED = 5;
const MAX_NAME_CHARS = 40;

/** A feature asked for that this server does not perform: listed in the closing `Metadata`'s `warnings`. */
export interface DeepgramWarning {
  parameter: string;
  type: 'unsupported_feature' | 'unsupported_model';
  message: string;
}

/** What the engine in use can do, for the warnings. */
export interface DeepgramEngine {
  /** The model that transcribes (the provider's). */
  model: string;
  /** ISO-639-1 codes it transcribes, or `*`. */
  languages: readonly string[];
  /** Whether it writes punctuated, capitalised text (remote Whisper-family models do; the embedded engine does not). */
  punctuates: boolean;
}

/** A live session's settings from its handshake. */
export interface DeepgramSettings {
  stream: StreamSettings;
  /** `vad_events=true`: a `SpeechStarted` per utterance. */
  vadEvents: boolean;
  /** `utterance_end_ms`, in seconds: an `UtteranceEnd` after that much audio with no word since the last one. */
  utteranceEndS: number | undefined;
  /** `endpointing=false`: no utterance ends by silence (only by Finalize, CloseStream or the maximum length). */
  endpointing: boolean;
  /** `extra=key:value`, echoed in each `Results.metadata.extra`, as Deepgram does. */
  extra: Record<string, string>;
  warnings: DeepgramWarning[];
}

class QueryError extends Error {}

function refuse(reason: string): never {
  throw new QueryError(reason);
}

/** A client's parameter name as a refusal quotes it. */
function quoted(name: string): string {
  return JSON.stringify(name.length > MAX_NAME_CHARS ? `${name.slice(0, MAX_NAME_CHARS)}…` : name);
}

class Query {
  constructor(private readonly params: URLSearchParams) {}

  single(name: string): string | undefined {
    const all = this.params.getAll(name);
    if (all.length > 1) refuse(`give ${name} once (it appears ${all.length} times)`);
    return all[0];
  }

  list(name: ListParam): string[] {
    return this.params.getAll(name);
  }

  flag(name: FlagParam): boolean | undefined {
    const value = this.single(name);
    if (value === undefined) return undefined;
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    return refuse(`${name} must be true or false (got ${quoted(value)})`);
  }

  integer(name: string, min: number, max: number): number | undefined {
    const value = this.single(name);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (value.trim() === '' || !Number.isInteger(parsed))
      refuse(`${name} must be a whole number from ${min} to ${max} (got ${quoted(value)})`);
    if (parsed < min || parsed > max) refuse(`${name} must be from ${min} to ${max} (got ${parsed})`);
    return parsed;
  }

  text(name: string): string | undefined {
    const value = this.single(name);
    if (value !== undefined && value.trim() === '') refuse(`${name} must not be empty`);
    return value;
  }

  oneOf(name: string, allowed: readonly string[]): string | undefined {
    const value = this.text(name);
    if (value === undefined) return undefined;
    const lower = value.toLowerCase();
    if (!allowed.includes(lower)) refuse(`${name} must be one of ${allowed.join(', ')} (got ${quoted(value)})`);
    return lower;
  }
}

function checkKnown(params: URLSearchParams): void {
  const unknown = [...new Set(params.keys())].filter((name) => !KNOWN.has(name));
  if (unknown.length === 0) return;
  const named = unknown.slice(0, MAX_NAMED).map(quoted).join(', ');
  const more = unknown.length > MAX_NAMED ? ` and ${unknown.length - MAX_NAMED} more` : '';
  refuse(
    `unknown parameter${unknown.length > 1 ? 's' : ''} ${named}${more}: /v1/listen takes the query parameters of ` +
      "Deepgram's live API (docs/asyncapi-deepgram.yaml)",
  );
}

/** `encoding`, `sample_rate` and `channels`: raw audio only (a container's header is not read on this socket). */
function audioFormat(query: Query): StreamSettings['format'] {
  const encoding = query.text('encoding')?.toLowerCase();
  if (encoding === undefined)
    refuse(
      `encoding is required: this live endpoint takes raw audio (encoding=${RAW_NAMES} ` +
        'with sample_rate); containerised audio (WebM/Opus from a browser, Ogg, WAV, MP3) is transcribed by POST /v1/listen',
    );
  const pcm = DEEPGRAM_RAW_ENCODINGS[encoding];
  if (pcm === undefined) {
    if (COMPRESSED_ENCODINGS.has(encoding))
      refuse(
        `encoding=${encoding} is not decoded on the live endpoint: send raw ${RAW_NAMES} audio, or POST the file to /v1/listen`,
      );
    refuse(`encoding must be one of ${RAW_NAMES} (got ${quoted(encoding)})`);
  }
  const sampleRate = query.integer('sample_rate', 8000, 48_000);
  if (sampleRate === undefined) refuse(`encoding=${encoding} is raw audio: give its sample_rate (8000 to 48000)`);
  const channels = query.integer('channels', 1, 2);
  return { encoding: pcm, sampleRate, channels: channels ?? 1 };
}

/** The engine's code for a BCP-47 tag (`en-US` → `en`); `multi` and none: whatever the engine detects. */
function languageOf(query: Query, engine: DeepgramEngine): string | undefined {
  const tag = query.text('language');
  if (tag === undefined || tag.toLowerCase() === 'multi') return undefined;
  if (!LANGUAGE_TAG.test(tag)) refuse(`language must be a BCP-47 tag such as en or en-US (got ${quoted(tag)})`);
  const code = tag.toLowerCase().split(/[-_]/)[0]!;
  if (!engine.languages.includes('*') && !engine.languages.includes(code))
    refuse(
      `language=${tag} is not one the ${engine.model} engine transcribes (it takes: ${engine.languages.join(', ')})`,
    );
  return code;
}

/** `endpointing`: milliseconds of silence that end an utterance, `false` for none, `true` for the server's default. */
function endpointingOf(query: Query): { endpointing: boolean; minSilenceMs?: number } {
  const value = query.single('endpointing');
  if (value === undefined || value.toLowerCase() === 'true') return { endpointing: true };
  if (value.toLowerCase() === 'false') return { endpointing: false, minSilenceMs: Number.POSITIVE_INFINITY };
  const ms = query.integer('endpointing', 0, 10_000);
  return { endpointing: true, minSilenceMs: ms };
}

function extraPairs(query: Query): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const entry of query.list('extra')) {
    const at = entry.indexOf(':');
    if (at <= 0) refuse(`extra takes key:value pairs (got ${quoted(entry)})`);
    pairs[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return pairs;
}

/** Features Deepgram performs on the transcript that no engine here does. */
const UNSUPPORTED_FLAGS: readonly FlagParam[] = [
  'detect_entities',
  'diarize',
  'dictation',
  'filler_words',
  'numerals',
  'profanity_filter',
];
const UNSUPPORTED_LISTS: readonly ListParam[] = ['keyterm', 'keywords', 'replace', 'search'];

function unsupported(parameter: string, message: string): DeepgramWarning {
  return { parameter, type: 'unsupported_feature', message };
}

/** What was asked for and will not be done, each said once, in the closing Metadata. */
function warningsOf(query: Query, engine: DeepgramEngine): DeepgramWarning[] {
  const warnings: DeepgramWarning[] = [];
  for (const name of UNSUPPORTED_FLAGS)
    if (query.flag(name) === true)
      warnings.push(unsupported(name, `${name} is not supported by this server; the transcript was made without it`));
  for (const name of UNSUPPORTED_LISTS)
    if (query.list(name).length > 0)
      warnings.push(unsupported(name, `${name} is not supported on the live endpoint; it was not used`));
  const redact = query.list('redact').map((value) => value.toLowerCase());
  for (const value of redact)
    if (!REDACT_VALUES.includes(value))
      refuse(`redact must be one of ${REDACT_VALUES.join(', ')} (got ${quoted(value)})`);
  if (redact.some((value) => value !== 'false'))
    warnings.push(unsupported('redact', 'redact is not supported by this server; nothing was redacted'));
  if (query.flag('multichannel') === true)
    warnings.push(
      unsupported('multichannel', 'the channels are mixed down into one transcript (channel_index is [0, 1])'),
    );
  if (query.text('diarize_model') !== undefined)
    warnings.push(unsupported('diarize_model', 'diarization is not supported by this server'));
  const method = query.oneOf('callback_method', CALLBACK_METHODS);
  const callback = query.text('callback');
  if (method !== undefined && callback === undefined) refuse('callback_method needs a callback URL');
  if (callback !== undefined)
    warnings.push(unsupported('callback', 'live results are sent on this socket only; the callback was not called'));
  if (!engine.punctuates)
    for (const name of ['punctuate', 'smart_format'] as const)
      if (query.flag(name) === true)
        warnings.push(
          unsupported(name, `${name}: the ${engine.model} engine writes lowercase words without punctuation`),
        );
  const model = query.text('model');
  if (model !== undefined && model !== engine.model)
    warnings.push({
      parameter: 'model',
      type: 'unsupported_model',
      message: `this server transcribes with ${engine.model}; the model ${quoted(model)} was not used`,
    });
  const version = query.text('version');
  if (version !== undefined && version.toLowerCase() !== 'latest')
    warnings.push({
      parameter: 'version',
      type: 'unsupported_model',
      message: `this server keeps one version of ${engine.model}; version ${quoted(version)} was not used`,
    });
  return warnings;
}

/**
 * A `GET /v1/listen` handshake's query to the session's settings, or why it is refused (HTTP 400): unknown
 * parameters, malformed values, and audio this socket cannot decode are named; known features the engine does not
 * perform are accepted and listed in `warnings`.
 */
export function parseDeepgramQuery(params: URLSearchParams, engine: DeepgramEngine): ParseResult<DeepgramSettings> {
  try {
    checkKnown(params);
    const query = new Query(params);
    const format = audioFormat(query);
    const language = languageOf(query, engine);
    const { endpointing, minSilenceMs } = endpointingOf(query);
    const utteranceEndMs = query.integer('utterance_end_ms', 1, 10_000);
    // Checked for their form only: they change nothing here.
    query.flag('mip_opt_out');
    query.flag('no_delay');
    return {
      ok: true,
      value: {
        stream: {
          format,
          language,
          // Deepgram's default: finals only.
          interimResults: query.flag('interim_results') ?? false,
          vad: minSilenceMs === undefined ? {} : { minSilenceMs },
        },
        vadEvents: query.flag('vad_events') ?? false,
        utteranceEndS: utteranceEndMs === undefined ? undefined : utteranceEndMs / 1000,
        endpointing,
        extra: extraPairs(query),
        warnings: warningsOf(query, engine),
      },
    };
  } catch (error) {
    if (error instanceof QueryError) return { ok: false, reason: error.message };
    throw error;
  }
}
