import { toLanguageName, type Transcript, type TranscriptSegment, type TranscriptWord } from '@asr/asr';
import { compressionRatio, meanLogConfidence, seekOf } from './segment-scores';

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** 3723.5 → `01:02:03,500` (srt) or `01:02:03.500` (vtt). */
export function timestamp(seconds: number, separator: ',' | '.'): string {
  const totalMs = Math.max(0, Math.round(seconds * 1000));
  const hours = Math.floor(totalMs / 3_600_000);
  const minutes = Math.floor((totalMs % 3_600_000) / 60_000);
  const secs = Math.floor((totalMs % 60_000) / 1000);
  return `${pad(hours, 2)}:${pad(minutes, 2)}:${pad(secs, 2)}${separator}${pad(totalMs % 1000, 3)}`;
}

/** Cues: the segments that have text. */
function cues(transcript: Transcript): TranscriptSegment[] {
  return transcript.segments.filter((segment) => segment.text.trim().length > 0);
}

export function toSrt(transcript: Transcript): string {
  return cues(transcript)
    .map((s, i) => `${i + 1}\n${timestamp(s.start, ',')} --> ${timestamp(s.end, ',')}\n${s.text.trim()}\n`)
    .join('\n');
}

export function toVtt(transcript: Transcript): string {
  const body = cues(transcript)
    .map((s) => `${timestamp(s.start, '.')} --> ${timestamp(s.end, '.')}\n${s.text.trim()}\n`)
    .join('\n');
  return `WEBVTT\n\n${body}`;
}

export function toText(transcript: Transcript): string {
  return `${transcript.text}\n`;
}

export function allWords(transcript: Transcript): TranscriptWord[] {
  return transcript.segments.flatMap((segment) => segment.words ?? []);
}

/** OpenAI's `TranscriptionSegment` (openai 7.59, resources/audio/transcriptions.d.ts): every field is required. */
export interface VerboseSegment {
  id: number;
  seek: number;
  start: number;
  end: number;
  text: string;
  tokens: number[];
  temperature: number;
  avg_logprob: number;
  compression_ratio: number;
  no_speech_prob: number;
}

export interface VerboseJson {
  task: 'transcribe' | 'translate';
  language: string;
  duration: number;
  text: string;
  segments?: VerboseSegment[];
  words?: { word: string; start: number; end: number }[];
  /** `TranscriptionVerbose.Usage`: billed by input duration. */
  usage: { type: 'duration'; seconds: number };
}

/**
 * For a segment nothing scored (a remote server that reports no figures and no confidences): the values at which
 * Whisper's own rules take no action (it drops a segment as silence when no_speech_prob > 0.6 and avg_logprob < −1,
 * and retries one whose avg_logprob < −1), so a client neither trusts nor discards it on their account.
 */
export const UNSCORED = { avgLogprob: -1, noSpeechProb: 0.6 } as const;

/**
 * A segment as OpenAI's verbose_json has it, each figure honest: the provider's own where it gave one (tokens,
 * temperature, avg_logprob, no_speech_prob, compression_ratio); else avg_logprob from the engine's word
 * confidences, no_speech_prob from the VAD (both set when the segment was merged), the compression ratio computed
 * from the text as Whisper does, temperature 0 (nothing was sampled), no token ids (the engine has no tokenizer),
 * and seek from the start time in Whisper's 10 ms frames.
 */
export function verboseSegment(segment: TranscriptSegment): VerboseSegment {
  return {
    id: segment.id,
    seek: seekOf(segment.start),
    start: segment.start,
    end: segment.end,
    text: segment.text,
    tokens: segment.tokens ?? [],
    temperature: segment.temperature ?? 0,
    avg_logprob: segment.avgLogprob ?? meanLogConfidence(segment.words) ?? UNSCORED.avgLogprob,
    compression_ratio: segment.compressionRatio ?? compressionRatio(segment.text),
    no_speech_prob: segment.noSpeechProb ?? UNSCORED.noSpeechProb,
  };
}

/**
 * OpenAI's verbose_json: the language by name, segments and/or words as the granularities ask, usage by duration.
 * A translation (`task: 'translate'`) is in English and has no words (OpenAI's `TranslationVerbose`).
 */
export function toVerboseJson(
  transcript: Transcript,
  granularities: ReadonlySet<'word' | 'segment'>,
  task: VerboseJson['task'] = 'transcribe',
): VerboseJson {
  const out: VerboseJson = {
    task,
    language: task === 'translate' ? 'english' : toLanguageName(transcript.language),
    duration: transcript.duration,
    text: transcript.text,
    usage: { type: 'duration', seconds: transcript.duration },
  };
  const words = granularities.has('word') && task === 'transcribe';
  if (granularities.has('segment') || !words) out.segments = transcript.segments.map(verboseSegment);
  if (words) out.words = allWords(transcript).map((w) => ({ word: w.word, start: w.start, end: w.end }));
  return out;
}
