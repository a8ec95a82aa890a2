import { type AsrCapabilities, isDiarizeModel, type KnownSpeakers } from '@asr/asr';
import { ApiError } from '@asr/observability';
import { parseChunkingStrategy, vadOverridesOf } from './chunking-strategy';
import type {
  OpenAiTranscriptionFields,
  OpenAiTranslationFields,
  ResponseFormat,
} from './dto/openai-transcription.dto';
import { normaliseLanguage } from './request-fields';
import type { TranscriptionRequest } from './transcription.service';
import type { UploadFields } from './upload';

/** The provider a request goes to, as far as deciding what it can ask: what it can do, the model it will get. */
export interface ProviderView {
  name: string;
  capabilities: AsrCapabilities;
  model: string;
}

/** One OpenAI audio request, read and checked: what to ask the pipeline and how to answer. */
export interface OpenAiCall {
  task: 'transcribe' | 'translate';
  format: ResponseFormat;
  granularities: ReadonlySet<'word' | 'segment'>;
  stream: boolean;
  request: Omit<TranscriptionRequest, 'signal' | 'caller'>;
}

function refuse(code: string, message: string): ApiError {
  return new ApiError(400, code, message);
}

/** Why this provider and model label no speakers, or undefined when they do. */
function noDiarization(provider: ProviderView): string | undefined {
  switch (provider.capabilities.diarization) {
    case 'any-model':
      return undefined;
    case 'diarize-models':
      return isDiarizeModel(provider.model)
        ? undefined
        : `the model "${provider.model}" does not label speakers: ask for model gpt-4o-transcribe-diarize`;
    case 'none':
      return provider.name === 'local'
        ? 'the embedded engine cannot tell speakers apart: diarization needs a remote model that does (ASR_PROVIDER=openai with model gpt-4o-transcribe-diarize, or an openai-compatible server that diarizes)'
        : `${provider.name} has no diarized_json: point ASR_PROVIDER at OpenAI (gpt-4o-transcribe-diarize) or a server that diarizes`;
    default: {
      const unknown: never = provider.capabilities.diarization;
      throw new Error(`unknown diarization support ${String(unknown)}`);
    }
  }
}

/** known_speaker_names[] with their known_speaker_references[], one for one. */
function knownSpeakers(fields: OpenAiTranscriptionFields): KnownSpeakers | undefined {
  const names = fields.known_speaker_names ?? [];
  const references = fields.known_speaker_references ?? [];
  if (names.length === 0 && references.length === 0) return undefined;
  if (names.length !== references.length)
    throw refuse(
      'validation_failed',
      `known_speaker_names[] and known_speaker_references[] go in pairs: got ${names.length} names and ${references.length} references`,
    );
  return { names, references };
}

/**
 * POST /v1/audio/transcriptions: the fields as the pipeline takes them, and a 400 for what this provider cannot
 * do (speakers without a diarizing model) or OpenAI does not allow (logprobs beside another format than json).
 */
export function transcriptionCall(
  fields: OpenAiTranscriptionFields,
  raw: UploadFields,
  provider: ProviderView,
): OpenAiCall {
  const format: ResponseFormat = fields.response_format ?? 'json';
  const granularities = new Set(fields.timestamp_granularities ?? []);
  const speakers = knownSpeakers(fields);
  const diarizing = format === 'diarized_json' || speakers !== undefined;
  if (diarizing) {
    const why = noDiarization(provider);
    if (why) throw refuse('diarization_unsupported', `response_format=diarized_json and known speakers: ${why}`);
  }
  const logprobs = fields.include?.includes('logprobs') ?? false;
  if (logprobs && format !== 'json')
    throw refuse(
      'validation_failed',
      `include[]=logprobs comes with response_format=json only, as OpenAI's does (got ${format})`,
    );
  const chunking = parseChunkingStrategy(raw);
  return {
    task: 'transcribe',
    format,
    granularities,
    stream: fields.stream ?? false,
    request: {
      language: normaliseLanguage(fields.language),
      prompt: fields.prompt,
      temperature: fields.temperature,
      model: fields.model,
      wordTimestamps: granularities.has('word'),
      logprobs,
      ...(diarizing ? { diarize: speakers ? { knownSpeakers: speakers } : {} } : {}),
      ...(chunking ? { vad: vadOverridesOf(chunking) } : {}),
    },
  };
}

/**
 * POST /v1/audio/translations: English text. A remote provider translates; the embedded engine hears English only,
 * so English audio is transcribed (its own translation) and a `language` other than English is a 400 here, before
 * any audio is decoded.
 */
export function translationCall(fields: OpenAiTranslationFields, provider: ProviderView): OpenAiCall {
  const language = normaliseLanguage(fields.language);
  if (provider.capabilities.translation === 'english-source' && language !== undefined && language !== 'en')
    throw refuse(
      'unsupported_language',
      `the embedded engine cannot translate: it recognises English only, so it takes English audio alone (language "${fields.language}" given); point ASR_PROVIDER at a remote server that offers /audio/translations for other languages`,
    );
  return {
    task: 'translate',
    format: fields.response_format ?? 'json',
    granularities: new Set(['segment']),
    stream: false,
    request: {
      task: 'translate',
      // The embedded engine is told the language it checks; remote translations take none (OpenAI's have no field).
      language,
      prompt: fields.prompt,
      temperature: fields.temperature,
      model: fields.model,
      wordTimestamps: false,
    },
  };
}
