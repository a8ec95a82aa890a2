import type { ChunkTranscript, TokenLogprob, TokenUsage, TranscriptSegment, TranscriptWord } from '../transcript';
import { toLanguageCode } from './language-codes';

/**
 * What an OpenAI-compatible server answers, in any of the JSON formats this provider asks for: verbose_json
 * (Whisper: timed segments with their statistics, words), json (gpt-4o models: text, logprobs, token usage) or
 * diarized_json (speaker-labelled segments). Every field but `text` may be missing.
 */
export interface RemoteTranscription {
  text: string;
  language?: string;
  duration?: number;
  segments?: RemoteSegment[];
  words?: { word: string; start: number; end: number }[];
  logprobs?: { token?: string; logprob?: number; bytes?: number[] }[];
  usage?: { type?: string; input_tokens?: number; output_tokens?: number; total_tokens?: number } & {
    input_token_details?: { audio_tokens?: number; text_tokens?: number };
  };
}

interface RemoteSegment {
  start: number;
  end: number;
  text: string;
  speaker?: string;
  avg_logprob?: number;
  no_speech_prob?: number;
  compression_ratio?: number;
  temperature?: number;
  tokens?: number[];
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** The statistics a Whisper server reports for a segment, and the speaker a diarizing one labels it with. */
function segmentExtras(segment: RemoteSegment): Partial<TranscriptSegment> {
  return {
    ...(isNumber(segment.avg_logprob) ? { avgLogprob: segment.avg_logprob } : {}),
    ...(isNumber(segment.no_speech_prob) ? { noSpeechProb: segment.no_speech_prob } : {}),
    ...(isNumber(segment.compression_ratio) ? { compressionRatio: segment.compression_ratio } : {}),
    ...(isNumber(segment.temperature) ? { temperature: segment.temperature } : {}),
    ...(Array.isArray(segment.tokens) && segment.tokens.every(isNumber) ? { tokens: segment.tokens } : {}),
    ...(typeof segment.speaker === 'string' ? { speaker: segment.speaker } : {}),
  };
}

function logprobsOf(result: RemoteTranscription): TokenLogprob[] | undefined {
  if (!Array.isArray(result.logprobs)) return undefined;
  return result.logprobs.flatMap((entry) =>
    typeof entry?.token === 'string' && isNumber(entry.logprob)
      ? [{ token: entry.token, logprob: entry.logprob, bytes: entry.bytes ?? [...Buffer.from(entry.token, 'utf8')] }]
      : [],
  );
}

/** Token usage as a server priced by tokens reports it; a duration (or nothing) is no token usage. */
function usageOf(result: RemoteTranscription): TokenUsage | undefined {
  const usage = result.usage;
  if (usage?.type !== 'tokens' || !isNumber(usage.input_tokens) || !isNumber(usage.output_tokens)) return undefined;
  const details = usage.input_token_details;
  return {
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    totalTokens: isNumber(usage.total_tokens) ? usage.total_tokens : usage.input_tokens + usage.output_tokens,
    ...(isNumber(details?.audio_tokens) ? { audioTokens: details.audio_tokens } : {}),
    ...(isNumber(details?.text_tokens) ? { textTokens: details.text_tokens } : {}),
  };
}

/**
 * The chunk's transcript from the server's answer: the response's words attached to the segments they fall in; a
 * response without segments (json) becomes one segment over the chunk (`chunkSeconds` long, or as long as the
 * server says).
 */
export function toChunkTranscript(
  result: RemoteTranscription,
  requestedLanguage: string | undefined,
  chunkSeconds: number,
): ChunkTranscript {
  if (typeof result?.text !== 'string') throw new Error('the response has no "text"');
  const words: TranscriptWord[] = (result.words ?? []).map((w) => ({
    word: w.word.trim(),
    start: w.start,
    end: w.end,
  }));
  const spoken = result.text.trim().length > 0;
  const rawSegments: RemoteSegment[] =
    result.segments && result.segments.length > 0
      ? result.segments
      : [
          {
            start: 0,
            end: result.duration ?? words[words.length - 1]?.end ?? (spoken ? chunkSeconds : 0),
            text: result.text,
          },
        ];
  const segments = rawSegments.map((segment, index) => {
    const last = index === rawSegments.length - 1;
    const inside = words.filter((w) => w.start >= segment.start && (last ? true : w.start < segment.end));
    return {
      start: segment.start,
      end: segment.end,
      text: segment.text.trim(),
      ...(words.length > 0 ? { words: inside } : {}),
      ...segmentExtras(segment),
    };
  });
  const logprobs = logprobsOf(result);
  const usage = usageOf(result);
  return {
    text: result.text.trim(),
    language: toLanguageCode(result.language) ?? requestedLanguage,
    segments,
    ...(logprobs ? { logprobs } : {}),
    ...(usage ? { usage } : {}),
  };
}
