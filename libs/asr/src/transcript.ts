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
  /** Mean natural log of the probabilities of the segment's tokens: a Whisper server's own, or the words' confidences'. */
  avgLogprob?: number;
  /** Probability that the segment holds no speech: a Whisper server's own, or 1 − the VAD's mean speech probability. */
  noSpeechProb?: number;
  /** A Whisper server's own figures for the segment, passed on as it reported them. */
  compressionRatio?: number;
  temperature?: number;
  tokens?: number[];
  /** Who spoke it, when a diarizing model labelled it (`A`, `B`, … or a known speaker's name). */
  speaker?: string;
}

/** One token of a transcript with its log probability (OpenAI's `logprobs` entries). */
export interface TokenLogprob {
  token: string;
  logprob: number;
  /** The token's UTF-8 bytes. */
  bytes: number[];
}

/** What a provider billed in tokens (models priced by tokens report it; Whisper-family ones report none). */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  audioTokens?: number;
  textTokens?: number;
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
  /** The provider's own token log probabilities, when asked for (`logprobs`) and it gives them. */
  logprobs?: TokenLogprob[];
  /** The provider's token usage for this chunk, when it reports one. */
  usage?: TokenUsage;
}
