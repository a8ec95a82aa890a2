import type { Transcript, TranscriptSegment, TranscriptWord } from '@asr/asr';
import { roundSeconds } from '@asr/audio';
import { stableUuid } from '@asr/streaming';
import type { ListenResponseOptions, ListenWarning } from './listen-options';

/**
 * Deepgram's prerecorded response (`ListenV1Response` in `@deepgram/sdk` 5.13: the fields it marks required are
 * always here), as this server fills it: one channel (audio is mixed down), one alternative.
 */
export interface ListenWord {
  /** Lowercase, without punctuation, as Deepgram gives `word`. */
  word: string;
  start: number;
  end: number;
  /** 0–1, where the engine reports one. */
  confidence?: number;
  /** The word as the engine wrote it. */
  punctuated_word: string;
}

export interface ListenSentence {
  text: string;
  start: number;
  end: number;
}

export interface ListenParagraph {
  sentences: ListenSentence[];
  num_words: number;
  start: number;
  end: number;
}

export interface ListenAlternative {
  transcript: string;
  /** The mean of the words' confidences, where the engine reports them. */
  confidence?: number;
  words: ListenWord[];
  paragraphs?: { transcript: string; paragraphs: ListenParagraph[] };
}

export interface ListenChannel {
  alternatives: ListenAlternative[];
  detected_language?: string;
}

export interface ListenUtterance {
  id: string;
  start: number;
  end: number;
  confidence?: number;
  channel: number;
  transcript: string;
  words: ListenWord[];
}

export interface ListenModelInfo {
  name: string;
  arch: string;
}

export interface ListenMetadata {
  request_id: string;
  sha256: string;
  created: string;
  duration: number;
  channels: number;
  models: string[];
  model_info: Record<string, ListenModelInfo>;
  warnings?: ListenWarning[];
  tags?: string[];
  extra?: Record<string, string>;
}

export interface ListenResponse {
  metadata: ListenMetadata;
  results: { channels: ListenChannel[]; utterances?: ListenUtterance[] };
}

/** The answer to a request with a `callback`: the result comes later, to the callback. */
export interface ListenAccepted {
  request_id: string;
}

/** Deepgram's error body. */
export interface ListenErrorBody {
  err_code: string;
  err_msg: string;
  request_id: string;
}

export interface ListenResponseInput {
  requestId: string;
  /** ISO time the request arrived. */
  created: string;
  /** Hex SHA-256 of the audio as it was sent. */
  sha256: string;
  transcript: Transcript;
  model: string;
  provider: string;
  options: ListenResponseOptions;
}

function plainWord(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}'-]+/gu, '');
}

function listenWord(word: TranscriptWord): ListenWord {
  return {
    word: plainWord(word.word),
    start: roundSeconds(word.start),
    end: roundSeconds(word.end),
    ...(word.confidence !== undefined ? { confidence: word.confidence } : {}),
    punctuated_word: word.word,
  };
}

function meanConfidence(words: readonly ListenWord[]): { confidence?: number } {
  const known = words.flatMap((w) => (w.confidence === undefined ? [] : [w.confidence]));
  if (known.length === 0) return {};
  return { confidence: Math.round((known.reduce((sum, c) => sum + c, 0) / known.length) * 1000) / 1000 };
}

const wordsOf = (segment: TranscriptSegment): ListenWord[] => (segment.words ?? []).map(listenWord);

/** Each VAD-cut segment is a paragraph of one sentence: the engine gives no sentence boundaries of its own. */
function paragraphsOf(segments: readonly TranscriptSegment[]): NonNullable<ListenAlternative['paragraphs']> {
  const paragraphs = segments.map((s) => ({
    sentences: [{ text: s.text, start: s.start, end: s.end }],
    num_words: s.words?.length ?? s.text.split(/\s+/).filter(Boolean).length,
    start: s.start,
    end: s.end,
  }));
  return { transcript: segments.map((s) => `\n${s.text}`).join('\n'), paragraphs };
}

/** The transcript model in Deepgram's prerecorded response shape. */
export function toListenResponse(input: ListenResponseInput): ListenResponse {
  const { transcript, options } = input;
  const words = transcript.segments.flatMap(wordsOf);
  const alternative: ListenAlternative = {
    transcript: transcript.text,
    ...meanConfidence(words),
    words,
    ...(options.paragraphs ? { paragraphs: paragraphsOf(transcript.segments) } : {}),
  };
  const modelId = stableUuid(`${input.provider}/${input.model}`);
  return {
    metadata: {
      request_id: input.requestId,
      sha256: input.sha256,
      created: input.created,
      duration: roundSeconds(transcript.duration),
      channels: 1,
      models: [modelId],
      model_info: { [modelId]: { name: input.model, arch: input.provider } },
      ...(options.warnings.length > 0 ? { warnings: options.warnings } : {}),
      ...(options.tags.length > 0 ? { tags: options.tags } : {}),
      ...(Object.keys(options.extra).length > 0 ? { extra: options.extra } : {}),
    },
    results: {
      channels: [
        {
          alternatives: [alternative],
          ...(options.detectLanguage ? { detected_language: transcript.language } : {}),
        },
      ],
      ...(options.utterances
        ? {
            utterances: transcript.segments.map((segment, index) => {
              const segmentWords = wordsOf(segment);
              return {
                id: stableUuid(`${input.requestId}/${index}`),
                start: segment.start,
                end: segment.end,
                ...meanConfidence(segmentWords),
                channel: 0,
                transcript: segment.text,
                words: segmentWords,
              };
            }),
          }
        : {}),
    },
  };
}
