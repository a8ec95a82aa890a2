import { toLanguageName, type Transcript, type TranscriptSegment, type TranscriptWord } from '@asr/asr';

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

export interface VerboseJson {
  task: 'transcribe';
  language: string;
  duration: number;
  text: string;
  segments?: {
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
  }[];
  words?: { word: string; start: number; end: number }[];
}

/** OpenAI's verbose_json: the language by name, segments and/or words as the granularities ask. */
export function toVerboseJson(transcript: Transcript, granularities: ReadonlySet<'word' | 'segment'>): VerboseJson {
  const out: VerboseJson = {
    task: 'transcribe',
    language: toLanguageName(transcript.language),
    duration: transcript.duration,
    text: transcript.text,
  };
  if (granularities.has('segment') || !granularities.has('word')) {
    out.segments = transcript.segments.map((s) => ({
      id: s.id,
      seek: 0,
      start: s.start,
      end: s.end,
      text: s.text,
      tokens: [],
      temperature: 0,
      avg_logprob: 0,
      compression_ratio: 0,
      no_speech_prob: 0,
    }));
  }
  if (granularities.has('word')) {
    out.words = allWords(transcript).map((w) => ({ word: w.word, start: w.start, end: w.end }));
  }
  return out;
}
