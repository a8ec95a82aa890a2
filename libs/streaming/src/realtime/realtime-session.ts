import { G711_SAMPLE_RATE, type PcmFormat } from '@asr/audio';
import type { SegmenterSettingsMs } from '@asr/vad';
import { booleanAt, type JsonObject, numberAt, objectAt, oneOf, onlyKnown, refuse, stringAt } from './realtime-problem';

/** OpenAI's input formats: 16-bit PCM (24 kHz in OpenAI's API; any rate 8000–48000 here), G.711 μ-law and A-law. */
export type RealtimeAudioFormat = { type: 'audio/pcm'; rate: number } | { type: 'audio/pcmu' } | { type: 'audio/pcma' };

export const DEFAULT_FORMAT: RealtimeAudioFormat = { type: 'audio/pcm', rate: 24_000 };

/** `server_vad` as the client set it; unset fields take the server's VAD settings (VAD_THRESHOLD, …). */
export interface ServerVad {
  type: 'server_vad';
  /** What the client asked for: `semantic_vad` is served as `server_vad` (this server has no turn model). */
  requested: 'server_vad' | 'semantic_vad';
  threshold?: number;
  prefixPaddingMs?: number;
  silenceDurationMs?: number;
}

/** A Realtime transcription session's configuration, as the client set it (what is applied: `describeSession`). */
export interface RealtimeSessionConfig {
  format: RealtimeAudioFormat;
  /** `model` is kept to be reported; `language` and `prompt` reach the provider (the embedded engine has no prompt). */
  transcription: { model?: string; language?: string; prompt?: string };
  /** null: manual commits (`turn_detection: null`), the VAD never ends an utterance on silence. */
  turnDetection: ServerVad | null;
  /** Asked for and accepted; this server applies no noise reduction (session.updated says `null`). */
  noiseReduction: 'near_field' | 'far_field' | null;
  logprobs: boolean;
}

export type SessionChange = Partial<RealtimeSessionConfig>;

export const DEFAULT_SESSION: RealtimeSessionConfig = {
  format: DEFAULT_FORMAT,
  transcription: {},
  turnDetection: { type: 'server_vad', requested: 'server_vad' },
  noiseReduction: null,
  logprobs: false,
};

/** What the server allows a session to ask of its VAD. */
export interface RealtimeLimits {
  /** AUDIO_LOOKBACK_DURATION in ms: the prefix padding comes from the lookback. */
  maxSpeechPadMs: number;
}

/**
 * With `turn_detection: null` only a commit ends an utterance: its silence to end on is longer than any session
 * (STREAM_MAX_SESSION_S is at most a day). An utterance still ends at AUDIO_MAX_DURATION, as every utterance does.
 */
export const MANUAL_COMMIT_SILENCE_MS = 24 * 3600 * 1000;

export const LOGPROBS_INCLUDE = 'item.input_audio_transcription.logprobs';

const LANGUAGE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

// --- reading what the client sent

/** `session` of a `session.update` (GA): `{type: "transcription", audio: {input: {...}}, include}`. */
export function readSession(value: unknown, limits: RealtimeLimits): SessionChange {
  const session = objectAt(value, 'session');
  if (session.type !== 'transcription') {
    if (session.type === 'realtime' || session.type === undefined)
      refuse(
        'invalid_value',
        'session.type',
        'this server serves transcription sessions only: send session.type "transcription" (conversation sessions with a model are not available)',
      );
    oneOf(session.type, ['transcription'], 'session.type');
  }
  onlyKnown(session, ['type', 'audio', 'include', 'object', 'id', 'expires_at'], 'session');
  const change: SessionChange = {};
  if (session.include !== undefined) change.logprobs = readInclude(session.include, 'session.include');
  if (session.audio === undefined) return change;
  const audio = objectAt(session.audio, 'session.audio');
  onlyKnown(audio, ['input'], 'session.audio');
  if (audio.input === undefined) return change;
  const input = objectAt(audio.input, 'session.audio.input');
  const at = 'session.audio.input';
  onlyKnown(input, ['format', 'transcription', 'turn_detection', 'noise_reduction'], at);
  if (input.format !== undefined) change.format = readFormat(input.format, `${at}.format`);
  if (input.transcription !== undefined)
    change.transcription = readTranscription(input.transcription, `${at}.transcription`);
  if (input.turn_detection !== undefined)
    change.turnDetection = readTurnDetection(input.turn_detection, `${at}.turn_detection`, limits);
  if (input.noise_reduction !== undefined)
    change.noiseReduction = readNoiseReduction(input.noise_reduction, `${at}.noise_reduction`);
  return change;
}

/** `session` of the older `transcription_session.update` (the beta API's flat fields). */
export function readLegacySession(value: unknown, limits: RealtimeLimits): SessionChange {
  const session = objectAt(value, 'session');
  onlyKnown(
    session,
    [
      'input_audio_format',
      'input_audio_transcription',
      'turn_detection',
      'input_audio_noise_reduction',
      'include',
      'modalities',
      'client_secret',
    ],
    'session',
  );
  const change: SessionChange = {};
  if (session.include !== undefined) change.logprobs = readInclude(session.include, 'session.include');
  if (session.input_audio_format !== undefined) {
    const format = oneOf(session.input_audio_format, ['pcm16', 'g711_ulaw', 'g711_alaw'], 'session.input_audio_format');
    change.format = LEGACY_FORMATS[format];
  }
  if (session.input_audio_transcription !== undefined)
    change.transcription = readTranscription(session.input_audio_transcription, 'session.input_audio_transcription');
  if (session.turn_detection !== undefined)
    change.turnDetection = readTurnDetection(session.turn_detection, 'session.turn_detection', limits);
  if (session.input_audio_noise_reduction !== undefined)
    change.noiseReduction = readNoiseReduction(
      session.input_audio_noise_reduction,
      'session.input_audio_noise_reduction',
    );
  return change;
}

const LEGACY_FORMATS: Record<'pcm16' | 'g711_ulaw' | 'g711_alaw', RealtimeAudioFormat> = {
  pcm16: DEFAULT_FORMAT,
  g711_ulaw: { type: 'audio/pcmu' },
  g711_alaw: { type: 'audio/pcma' },
};

function readInclude(value: unknown, param: string): boolean {
  if (!Array.isArray(value)) refuse('invalid_type', param, `${param} must be an array`);
  value.forEach((item, i) => oneOf(item, [LOGPROBS_INCLUDE], `${param}[${i}]`));
  return value.length > 0;
}

function readFormat(value: unknown, param: string): RealtimeAudioFormat {
  const format = objectAt(value, param);
  const type = oneOf(format.type ?? 'audio/pcm', ['audio/pcm', 'audio/pcmu', 'audio/pcma'], `${param}.type`);
  if (type !== 'audio/pcm') {
    onlyKnown(format, ['type'], param);
    return { type };
  }
  onlyKnown(format, ['type', 'rate'], param);
  // OpenAI takes 24000 only; the server resamples, so other rates of 16-bit PCM are taken too.
  const rate = format.rate === undefined ? 24_000 : numberAt(format.rate, `${param}.rate`, 8000, 48_000, true);
  return { type, rate };
}

function readTranscription(value: unknown, param: string): RealtimeSessionConfig['transcription'] {
  if (value === null)
    refuse('invalid_value', param, `a transcription session always transcribes: ${param} cannot be null`);
  const transcription = objectAt(value, param);
  // delay, keywords and languages are the SDK's too; this engine has no use for them.
  onlyKnown(transcription, ['model', 'language', 'prompt', 'delay', 'keywords', 'languages'], param);
  const out: RealtimeSessionConfig['transcription'] = {};
  if (transcription.model !== undefined) out.model = stringAt(transcription.model, `${param}.model`, 200);
  if (transcription.language !== undefined) {
    const language = stringAt(transcription.language, `${param}.language`, 35);
    if (!LANGUAGE.test(language))
      refuse('invalid_value', `${param}.language`, `${param}.language must be an ISO-639-1 code such as "en"`);
    out.language = language;
  }
  if (transcription.prompt !== undefined) out.prompt = stringAt(transcription.prompt, `${param}.prompt`, 4096);
  return out;
}

function readTurnDetection(value: unknown, param: string, limits: RealtimeLimits): ServerVad | null {
  if (value === null) return null;
  const detection = objectAt(value, param);
  const requested = oneOf(detection.type ?? 'server_vad', ['server_vad', 'semantic_vad'], `${param}.type`);
  if (requested === 'semantic_vad') {
    onlyKnown(detection, ['type', 'eagerness', 'create_response', 'interrupt_response'], param);
    if (detection.eagerness !== undefined)
      oneOf(detection.eagerness, ['low', 'medium', 'high', 'auto'], `${param}.eagerness`);
    readResponseFlags(detection, param);
    return { type: 'server_vad', requested };
  }
  onlyKnown(
    detection,
    [
      'type',
      'threshold',
      'prefix_padding_ms',
      'silence_duration_ms',
      'idle_timeout_ms',
      'create_response',
      'interrupt_response',
    ],
    param,
  );
  readResponseFlags(detection, param);
  if (detection.idle_timeout_ms !== undefined && detection.idle_timeout_ms !== null)
    numberAt(detection.idle_timeout_ms, `${param}.idle_timeout_ms`, 0, 3_600_000, true);
  const vad: ServerVad = { type: 'server_vad', requested };
  if (detection.threshold !== undefined) vad.threshold = numberAt(detection.threshold, `${param}.threshold`, 0, 1);
  if (detection.prefix_padding_ms !== undefined)
    vad.prefixPaddingMs = numberAt(
      detection.prefix_padding_ms,
      `${param}.prefix_padding_ms`,
      0,
      limits.maxSpeechPadMs,
      true,
    );
  if (detection.silence_duration_ms !== undefined)
    vad.silenceDurationMs = numberAt(detection.silence_duration_ms, `${param}.silence_duration_ms`, 0, 10_000, true);
  return vad;
}

/** Flags about model responses: a transcription session has none, so they are read (checked) and have no effect. */
function readResponseFlags(detection: JsonObject, param: string): void {
  for (const flag of ['create_response', 'interrupt_response'])
    if (detection[flag] !== undefined) booleanAt(detection[flag], `${param}.${flag}`);
}

function readNoiseReduction(value: unknown, param: string): RealtimeSessionConfig['noiseReduction'] {
  if (value === null) return null;
  const reduction = objectAt(value, param);
  onlyKnown(reduction, ['type', 'strength'], param);
  if (reduction.strength !== undefined) numberAt(reduction.strength, `${param}.strength`, 0, 1);
  return oneOf(reduction.type ?? 'near_field', ['near_field', 'far_field'], `${param}.type`);
}

// --- what it comes to

/** The change over the current configuration: each field given replaces that field whole (as OpenAI's does). */
export function applyChange(current: RealtimeSessionConfig, change: SessionChange): RealtimeSessionConfig {
  return { ...current, ...change };
}

export function pcmFormatOf(format: RealtimeAudioFormat): PcmFormat {
  switch (format.type) {
    case 'audio/pcm':
      return { encoding: 'pcm_s16le', sampleRate: format.rate, channels: 1 };
    case 'audio/pcmu':
      return { encoding: 'pcm_mulaw', sampleRate: G711_SAMPLE_RATE, channels: 1 };
    case 'audio/pcma':
      return { encoding: 'pcm_alaw', sampleRate: G711_SAMPLE_RATE, channels: 1 };
  }
}

export function sameFormat(a: RealtimeAudioFormat, b: RealtimeAudioFormat): boolean {
  return a.type === b.type && (a.type !== 'audio/pcm' || a.rate === (b as { rate: number }).rate);
}

/** The VAD overrides a configuration comes to. */
export function vadOverridesOf(config: RealtimeSessionConfig): Partial<SegmenterSettingsMs> {
  const detection = config.turnDetection;
  if (detection === null) return { minSilenceMs: MANUAL_COMMIT_SILENCE_MS };
  return {
    ...(detection.threshold !== undefined && { threshold: detection.threshold }),
    ...(detection.prefixPaddingMs !== undefined && { speechPadMs: detection.prefixPaddingMs }),
    ...(detection.silenceDurationMs !== undefined && { minSilenceMs: detection.silenceDurationMs }),
  };
}

/** What the session really does, for session.created / session.updated. */
export interface AppliedSession {
  id: string;
  /** Seconds since the epoch: when STREAM_MAX_SESSION_S ends the session. */
  expiresAt: number;
  /** The model that transcribes (the provider's, whatever the client named). */
  model: string;
  /** The VAD settings in force (with the client's overrides). */
  vad: SegmenterSettingsMs;
}

/** The session object of `session.created` / `session.updated`: the effective configuration, not the request. */
export function describeSession(config: RealtimeSessionConfig, applied: AppliedSession): JsonObject {
  const { language } = config.transcription;
  return {
    type: 'transcription',
    object: 'realtime.transcription_session',
    id: applied.id,
    expires_at: applied.expiresAt,
    audio: {
      input: {
        format: config.format,
        transcription: { model: applied.model, ...(language !== undefined && { language }) },
        // Asked for or not, no noise reduction is applied here: the session has none (the SDK's type has no null).
        turn_detection: describeTurnDetection(config, applied.vad),
      },
    },
    include: config.logprobs ? [LOGPROBS_INCLUDE] : [],
  };
}

/** The session object of the older `transcription_session.updated`. */
export function describeLegacySession(config: RealtimeSessionConfig, applied: AppliedSession): JsonObject {
  const { language } = config.transcription;
  return {
    id: applied.id,
    object: 'realtime.transcription_session',
    expires_at: applied.expiresAt,
    input_audio_format: legacyFormatName(config.format),
    input_audio_transcription: { model: applied.model, ...(language !== undefined && { language }) },
    input_audio_noise_reduction: null,
    turn_detection: describeTurnDetection(config, applied.vad),
    include: config.logprobs ? [LOGPROBS_INCLUDE] : [],
    modalities: ['text'],
  };
}

function describeTurnDetection(config: RealtimeSessionConfig, vad: SegmenterSettingsMs): JsonObject | null {
  if (config.turnDetection === null) return null;
  return {
    type: 'server_vad',
    threshold: vad.threshold,
    prefix_padding_ms: vad.speechPadMs,
    silence_duration_ms: vad.minSilenceMs,
    idle_timeout_ms: null,
  };
}

function legacyFormatName(format: RealtimeAudioFormat): string {
  if (format.type === 'audio/pcmu') return 'g711_ulaw';
  if (format.type === 'audio/pcma') return 'g711_alaw';
  // The beta API's pcm16 is 24 kHz; another rate is named by the GA form only.
  return format.rate === 24_000 ? 'pcm16' : `pcm16@${format.rate}`;
}
