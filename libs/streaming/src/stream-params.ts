import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
  validateSync,
} from 'class-validator';
import { G711_SAMPLE_RATE, isG711, PCM_ENCODINGS, type PcmEncoding, type PcmFormat } from '@asr/audio';
import type { SegmenterSettingsMs } from '@asr/vad';

/**
 * What a client may set for its stream: as query parameters of the handshake (strings) or in a `configure`
 * message (JSON values). Names are the wire names.
 */
export class StreamParams {
  @IsOptional() @IsInt() @Min(8000) @Max(48_000) sample_rate?: number;
  @IsOptional() @IsIn(PCM_ENCODINGS) encoding?: PcmEncoding;
  @IsOptional() @IsIn([1, 2]) channels?: number;
  @IsOptional() @IsString() @Length(2, 35) language?: string;
  @IsOptional() @IsBoolean() interim_results?: boolean;
  @IsOptional() @IsNumber() @Min(0.01) @Max(0.99) vad_threshold?: number;
  @IsOptional() @IsInt() @Min(0) @Max(10_000) min_silence_ms?: number;
  @IsOptional() @IsInt() @Min(0) @Max(2000) speech_pad_ms?: number;
  @IsOptional() @IsNumber() @Min(1) @Max(600) max_segment_s?: number;
}

/** Fields a `configure` message may change mid-stream (the audio format is fixed at the handshake). */
export const CONFIGURABLE = [
  'language',
  'interim_results',
  'vad_threshold',
  'min_silence_ms',
  'speech_pad_ms',
  'max_segment_s',
];
const AUDIO_FORMAT = ['sample_rate', 'encoding', 'channels'];
const NUMERIC = new Set([
  'sample_rate',
  'channels',
  'vad_threshold',
  'min_silence_ms',
  'speech_pad_ms',
  'max_segment_s',
]);

/** A stream's effective settings: the server's defaults with the client's overrides. */
export interface StreamSettings {
  format: PcmFormat;
  language: string | undefined;
  interimResults: boolean;
  vad: Partial<SegmenterSettingsMs>;
}

/** Server limits the overrides must respect. */
export interface StreamLimits {
  /** AUDIO_LOOKBACK_DURATION in ms: the pad comes from the lookback. */
  maxSpeechPadMs: number;
  /** AUDIO_MAX_DURATION: a stream may shorten its utterances, not lengthen them. */
  maxSegmentS: number;
}

/** Unknown fields a refusal names. */
const MAX_NAMED_FIELDS = 5;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

function fromQueryValue(name: string, value: string): unknown {
  if (NUMERIC.has(name)) return value.trim() === '' ? Number.NaN : Number(value);
  if (name === 'interim_results') return { true: true, false: false, '1': true, '0': false }[value] ?? value;
  return value;
}

function validate(params: StreamParams, limits: StreamLimits): string | undefined {
  const errors = validateSync(params, { forbidUnknownValues: true });
  const problems = errors.flatMap((e) => Object.values(e.constraints ?? {}));
  if (params.speech_pad_ms !== undefined && params.speech_pad_ms > limits.maxSpeechPadMs)
    problems.push(`speech_pad_ms must not be greater than ${limits.maxSpeechPadMs} (the server's lookback)`);
  if (params.max_segment_s !== undefined && params.max_segment_s > limits.maxSegmentS)
    problems.push(`max_segment_s must not be greater than ${limits.maxSegmentS} (the server's AUDIO_MAX_DURATION)`);
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/** The handshake's query string to a stream's settings, or why it is refused (HTTP 400). Unknown keys are ignored. */
export function parseStreamQuery(query: URLSearchParams, limits: StreamLimits): ParseResult<StreamSettings> {
  const params = new StreamParams();
  for (const [name, value] of query) {
    if (AUDIO_FORMAT.includes(name) || CONFIGURABLE.includes(name))
      Object.assign(params, { [name]: fromQueryValue(name, value) });
  }
  const problem = validate(params, limits);
  if (problem) return { ok: false, reason: problem };
  const encoding = params.encoding ?? 'pcm_s16le';
  return {
    ok: true,
    value: {
      format: {
        // Telephony audio (G.711) is 8 kHz unless said otherwise; everything else defaults to the engines' rate.
        sampleRate: params.sample_rate ?? (isG711(encoding) ? G711_SAMPLE_RATE : 16_000),
        encoding,
        channels: params.channels ?? 1,
      },
      ...applyChanges({ language: undefined, interimResults: true, vad: {} }, params),
    },
  };
}

/** A `configure` message's fields to new settings, or why they are refused (a non-fatal error). */
export function parseConfigure(
  message: Record<string, unknown>,
  current: StreamSettings,
  limits: StreamLimits,
): ParseResult<StreamSettings> {
  const fields = Object.keys(message).filter((k) => k !== 'type');
  const unknown = fields.filter((k) => !CONFIGURABLE.includes(k));
  if (unknown.length > 0) {
    // The names are the client's: a few, cut short, are enough to say what was wrong.
    const named = unknown.slice(0, MAX_NAMED_FIELDS).map((k) => (k.length > 40 ? `${k.slice(0, 40)}…` : k));
    const more = unknown.length > MAX_NAMED_FIELDS ? ` and ${unknown.length - MAX_NAMED_FIELDS} more` : '';
    return {
      ok: false,
      reason: `configure cannot set ${named.join(', ')}${more}; it takes ${CONFIGURABLE.join(', ')}`,
    };
  }
  const params = Object.assign(new StreamParams(), Object.fromEntries(fields.map((k) => [k, message[k]])));
  const problem = validate(params, limits);
  if (problem) return { ok: false, reason: problem };
  return { ok: true, value: { ...current, ...applyChanges(current, params) } };
}

function applyChanges(current: Omit<StreamSettings, 'format'>, params: StreamParams): Omit<StreamSettings, 'format'> {
  const vad = { ...current.vad };
  if (params.vad_threshold !== undefined) vad.threshold = params.vad_threshold;
  if (params.min_silence_ms !== undefined) vad.minSilenceMs = params.min_silence_ms;
  if (params.speech_pad_ms !== undefined) vad.speechPadMs = params.speech_pad_ms;
  if (params.max_segment_s !== undefined) vad.maxSpeechS = params.max_segment_s;
  return {
    language: params.language ?? current.language,
    interimResults: params.interim_results ?? current.interimResults,
    vad,
  };
}

/** The settings as the client sees them in `session.started`. */
export function describeSettings(settings: StreamSettings, effectiveVad: SegmenterSettingsMs): Record<string, unknown> {
  return {
    sample_rate: settings.format.sampleRate,
    encoding: settings.format.encoding,
    channels: settings.format.channels,
    language: settings.language ?? null,
    interim_results: settings.interimResults,
    vad_threshold: effectiveVad.threshold,
    min_silence_ms: effectiveVad.minSilenceMs,
    speech_pad_ms: effectiveVad.speechPadMs,
    max_segment_s: effectiveVad.maxSpeechS,
  };
}
