/** One recognised word; times in seconds from the start of the recording. */
export interface TranscriptWord {
  word: string;
  start: number;
  end: number;
  /** 0–1 where the engine reports it. */
  confidence?: number;
}

export interface TranscriptSegment {
  id: number;
  start: number;
  end: number;
  text: string;
  words?: TranscriptWord[];
}

/** The transcript model shared by REST, jobs, streaming finals and every output format. */
export interface Transcript {
  text: string;
  language: string;
  /** Seconds of audio. */
  duration: number;
  segments: TranscriptSegment[];
}

/** What a provider returns for one chunk; times relative to the chunk's start. */
export interface ChunkTranscript {
  /** Set when another provider than the configured one served the chunk (ASR_FALLBACK_PROVIDER). */
  provider?: string;
  text: string;
  language?: string;
  segments: Omit<TranscriptSegment, 'id'>[];
}
