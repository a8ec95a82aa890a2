import type { TranscribeOptions } from '../asr-provider';

/** The JSON formats asked of a remote server: each gives what the model can (OpenAI's audio API reference). */
export type RemoteFormat = 'verbose_json' | 'json' | 'diarized_json';

/** OpenAI's diarizing model answers json, text or diarized_json only (gpt-4o-transcribe-diarize). */
export function isDiarizeModel(model: string): boolean {
  return /diarize/i.test(model);
}

/** OpenAI's gpt-4o transcription models answer json only: no verbose_json, so no timed segments. */
function isJsonOnlyModel(model: string): boolean {
  return /^(gpt-4o(-mini)?-transcribe|gpt-transcribe)/i.test(model) && !isDiarizeModel(model);
}

/**
 * The format one call asks for. Timed segments (verbose_json) where the model has them; diarized_json when speakers
 * are asked for or the model diarizes (its segments are timed too); json when logprobs are asked for (OpenAI gives
 * them with json only) or the model knows no other; translations are always verbose_json (whisper-1).
 */
export function remoteFormat(options: TranscribeOptions, model: string): RemoteFormat {
  if (options.task === 'translate') return 'verbose_json';
  if (options.diarize || isDiarizeModel(model)) return 'diarized_json';
  if (options.logprobs || isJsonOnlyModel(model)) return 'json';
  return 'verbose_json';
}

/** The multipart fields of one call besides the file and model, as the SDK's `create` takes them. */
export function remoteFields(options: TranscribeOptions, format: RemoteFormat): Record<string, unknown> {
  const common = {
    response_format: format,
    ...(options.prompt ? { prompt: options.prompt } : {}),
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
  };
  // OpenAI's translations take file, model, prompt, response_format and temperature only.
  if (options.task === 'translate') return common;
  const speakers = options.diarize?.knownSpeakers;
  return {
    ...common,
    ...(options.language ? { language: options.language } : {}),
    ...(format === 'verbose_json'
      ? { timestamp_granularities: options.wordTimestamps ? ['word', 'segment'] : ['segment'] }
      : {}),
    ...(format === 'json' && options.logprobs ? { include: ['logprobs'] } : {}),
    // Required by the diarizing model for audio over 30 s; a chunk is up to 120 s.
    ...(format === 'diarized_json' ? { chunking_strategy: 'auto' } : {}),
    ...(speakers && speakers.names.length > 0
      ? { known_speaker_names: speakers.names, known_speaker_references: speakers.references }
      : {}),
  };
}
