import type { TokenLogprob, TokenUsage, Transcript } from '@asr/asr';

/**
 * The JSON bodies of OpenAI's audio API beyond verbose_json (formats.ts), as the `openai` SDK's types declare them
 * (openai 7.59, resources/audio/transcriptions.d.ts): `Transcription`, `TranscriptionDiarized` and their usage.
 */

/** `Transcription.Tokens`: a provider priced by tokens reported them for every chunk. */
export interface OpenAiTokenUsage {
  type: 'tokens';
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  input_token_details?: { audio_tokens?: number; text_tokens?: number };
}

/** `Transcription.Duration`: the input audio's length, what everything else is measured by. */
export interface OpenAiDurationUsage {
  type: 'duration';
  seconds: number;
}

export type OpenAiUsage = OpenAiTokenUsage | OpenAiDurationUsage;

export interface OpenAiJson {
  text: string;
  logprobs?: TokenLogprob[];
  usage: OpenAiUsage;
}

export interface DiarizedSegment {
  type: 'transcript.text.segment';
  id: string;
  start: number;
  end: number;
  text: string;
  speaker: string;
}

export interface DiarizedJson {
  task: 'transcribe';
  duration: number;
  text: string;
  segments: DiarizedSegment[];
  usage: OpenAiUsage;
}

export function tokenUsage(usage: TokenUsage): OpenAiTokenUsage {
  const details = {
    ...(usage.audioTokens === undefined ? {} : { audio_tokens: usage.audioTokens }),
    ...(usage.textTokens === undefined ? {} : { text_tokens: usage.textTokens }),
  };
  return {
    type: 'tokens',
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens,
    ...(Object.keys(details).length > 0 ? { input_token_details: details } : {}),
  };
}

/** Tokens where the provider reported them; otherwise the duration of the audio sent (the whole recording). */
export function usageOf(transcript: Transcript, tokens: TokenUsage | undefined): OpenAiUsage {
  return tokens ? tokenUsage(tokens) : { type: 'duration', seconds: transcript.duration };
}

/** response_format=json: the text, the logprobs when asked for, the usage. */
export function toOpenAiJson(
  transcript: Transcript,
  extras: { logprobs?: TokenLogprob[]; tokenUsage?: TokenUsage },
): OpenAiJson {
  return {
    text: transcript.text,
    ...(extras.logprobs ? { logprobs: extras.logprobs } : {}),
    usage: usageOf(transcript, extras.tokenUsage),
  };
}

/** One diarized segment; a segment the model left unlabelled says so rather than guessing a speaker. */
export function diarizedSegment(segment: Transcript['segments'][number]): DiarizedSegment {
  return {
    type: 'transcript.text.segment',
    id: `seg_${segment.id}`,
    start: segment.start,
    end: segment.end,
    text: segment.text,
    speaker: segment.speaker ?? 'unknown',
  };
}

/** response_format=diarized_json: the segments with the speakers the model labelled. */
export function toDiarizedJson(transcript: Transcript, tokens: TokenUsage | undefined): DiarizedJson {
  return {
    task: 'transcribe',
    duration: transcript.duration,
    text: transcript.text,
    segments: transcript.segments.map(diarizedSegment),
    usage: usageOf(transcript, tokens),
  };
}
