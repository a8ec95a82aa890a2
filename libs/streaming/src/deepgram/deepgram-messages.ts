import type { TranscriptWord } from '@asr/asr';
import { roundSeconds } from '@asr/audio';
import type { FinalTranscript, PartialTranscript } from '../pipeline-events';
import type { DeepgramWarning } from './deepgram-query';

/**
 * The server messages of Deepgram's live API as this server writes them (docs/asyncapi-deepgram.yaml): every field
 * `@deepgram/sdk` 5.13 marks required on `ListenV1Results`, `ListenV1SpeechStarted`, `ListenV1UtteranceEnd` and
 * `ListenV1Metadata` is always present. One channel: audio is mixed down, so `channel_index` is always [0, 1].
 * The messages are type literals, not interfaces: only those are assignable to a WireMessage (a record).
 */
const CHANNEL: [number, number] = [0, 1];

/** The engine that transcribes, as Deepgram names a model. */
export interface DeepgramModel {
  /** A stable UUID-shaped id of provider and model (the same one the prerecorded endpoint reports). */
  uuid: string;
  name: string;
  /** `latest`: the server runs one version of its engine. */
  version: string;
  /** The provider. */
  arch: string;
}

export interface DeepgramWord {
  /** Lowercase, without punctuation, as Deepgram gives `word`. */
  word: string;
  start: number;
  end: number;
  /** 0–1; 0 where the engine reports none. */
  confidence: number;
  /** The word as the engine wrote it. */
  punctuated_word: string;
}

export type DeepgramResults = {
  type: 'Results';
  channel_index: [number, number];
  start: number;
  duration: number;
  is_final: boolean;
  speech_final: boolean;
  from_finalize: boolean;
  channel: { alternatives: [{ transcript: string; confidence: number; words: DeepgramWord[] }] };
  metadata: {
    request_id: string;
    model_info: { name: string; version: string; arch: string };
    model_uuid: string;
    extra?: Record<string, string>;
  };
  /** This server's addition: why a final has no text (the provider failed); the session goes on. */
  error?: { code: string; message: string };
};

export type DeepgramSpeechStarted = {
  type: 'SpeechStarted';
  channel: [number, number];
  timestamp: number;
};

export type DeepgramUtteranceEnd = {
  type: 'UtteranceEnd';
  channel: [number, number];
  last_word_end: number;
};

export type DeepgramMetadata = {
  type: 'Metadata';
  transaction_key: 'deprecated';
  request_id: string;
  /** Hex SHA-256 of the audio bytes received. */
  sha256: string;
  created: string;
  duration: number;
  channels: number;
  models: string[];
  model_info: Record<string, { name: string; version: string; arch: string }>;
  /** This server's addition, shaped as the prerecorded response's `metadata.warnings`: features asked for, not done. */
  warnings?: DeepgramWarning[];
};

/** What every Results of a session repeats. */
export interface ResultsContext {
  requestId: string;
  model: DeepgramModel;
  extra: Record<string, string>;
}

function plainWord(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}'-]+/gu, '');
}

function deepgramWord(word: TranscriptWord, fallbackConfidence: number): DeepgramWord {
  return {
    word: plainWord(word.word),
    start: roundSeconds(word.start),
    end: roundSeconds(word.end),
    confidence: word.confidence ?? fallbackConfidence,
    punctuated_word: word.word,
  };
}

function meanConfidence(words: readonly TranscriptWord[]): number | undefined {
  const known = words.flatMap((w) => (w.confidence === undefined ? [] : [w.confidence]));
  if (known.length === 0) return undefined;
  return Math.round((known.reduce((sum, c) => sum + c, 0) / known.length) * 1000) / 1000;
}

function metadataOf(context: ResultsContext): DeepgramResults['metadata'] {
  const { uuid, name, version, arch } = context.model;
  return {
    request_id: context.requestId,
    model_info: { name, version, arch },
    model_uuid: uuid,
    ...(Object.keys(context.extra).length > 0 && { extra: context.extra }),
  };
}

/** An interim result: the engine's whole current hypothesis of the utterance (it replaces the previous one). */
export function interimResults(partial: PartialTranscript, context: ResultsContext): DeepgramResults {
  return {
    type: 'Results',
    channel_index: CHANNEL,
    start: partial.start,
    duration: roundSeconds(partial.end - partial.start),
    is_final: false,
    speech_final: false,
    from_finalize: false,
    // The engine scores only what it is sure of: a hypothesis in progress has no confidence yet.
    channel: { alternatives: [{ transcript: partial.text, confidence: 0, words: [] }] },
    metadata: metadataOf(context),
  };
}

/**
 * The one final result of an utterance. `speech_final`: the VAD ended it (silence, or the maximum length) while
 * endpointing is on; `from_finalize`: the client's Finalize ended it.
 */
export function finalResults(final: FinalTranscript, context: ResultsContext, endpointing: boolean): DeepgramResults {
  const words = final.words ?? [];
  const confidence = final.confidence ?? meanConfidence(words) ?? 0;
  return {
    type: 'Results',
    channel_index: CHANNEL,
    start: final.start,
    duration: roundSeconds(final.end - final.start),
    is_final: true,
    speech_final: endpointing && final.endedBy === 'vad',
    from_finalize: final.endedBy === 'finalize',
    channel: {
      alternatives: [
        { transcript: final.text, confidence, words: words.map((word) => deepgramWord(word, confidence)) },
      ],
    },
    metadata: metadataOf(context),
    ...(final.error && { error: { code: final.error.code, message: final.error.message } }),
  };
}

export function speechStarted(start: number): DeepgramSpeechStarted {
  return { type: 'SpeechStarted', channel: CHANNEL, timestamp: start };
}

export function utteranceEnd(lastWordEnd: number): DeepgramUtteranceEnd {
  return { type: 'UtteranceEnd', channel: CHANNEL, last_word_end: lastWordEnd };
}

export interface MetadataInput {
  requestId: string;
  created: string;
  sha256: string;
  duration: number;
  channels: number;
  model: DeepgramModel;
  warnings: readonly DeepgramWarning[];
}

/** The last message of every session, however it ends. */
export function metadata(input: MetadataInput): DeepgramMetadata {
  const { uuid, name, version, arch } = input.model;
  return {
    type: 'Metadata',
    transaction_key: 'deprecated',
    request_id: input.requestId,
    sha256: input.sha256,
    created: input.created,
    duration: input.duration,
    channels: input.channels,
    models: [uuid],
    model_info: { [uuid]: { name, version, arch } },
    ...(input.warnings.length > 0 && { warnings: [...input.warnings] }),
  };
}
