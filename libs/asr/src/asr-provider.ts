import type { AsrProviderName } from '@asr/config';
import type { ComponentHealth } from '@asr/observability';
import type { ChunkTranscript } from './transcript';

/** What a provider can do, shown at GET /api/v1/providers so clients know which request fields matter. */
export interface AsrCapabilities {
  /** Hypotheses while audio is still arriving (the streaming API uses them). */
  streamingPartials: boolean;
  wordTimestamps: boolean;
  /** ISO-639-1 codes, or ['*'] for whatever the remote model supports. */
  languages: string[];
  honoredFields: string[];
  ignoredFields: string[];
  /** Largest request body the provider takes, if it has a limit. */
  maxRequestBytes: number | null;
  /** Longest chunk of audio sent in one call. */
  maxChunkSeconds: number;
  /**
   * Whether several speech spans may share one call (joined with a short pause). Remote providers: yes, fewer
   * calls. The embedded engine: no, it decodes an utterance best on its own, as it was trained.
   */
  joinsSpeechSpans: boolean;
  /** Calls it serves at once (decoders, or the remote concurrency limit): an upload never runs more chunks than this. */
  parallelCalls: number;
}

export interface TranscribeOptions {
  language?: string;
  prompt?: string;
  temperature?: number;
  /** Remote providers pass it on; the embedded engine reports its own. */
  model?: string;
  wordTimestamps: boolean;
  signal?: AbortSignal;
}

/**
 * A speech-recognition engine. Takes 16 kHz mono float audio (one chunk of a recording), returns its transcript
 * with times relative to the chunk. Implementations bound their own concurrency.
 */
export abstract class AsrProvider {
  abstract readonly name: AsrProviderName;
  abstract readonly capabilities: AsrCapabilities;
  /** The model a request without `model` gets. */
  abstract readonly defaultModel: string;

  abstract transcribe(samples: Float32Array, options: TranscribeOptions): Promise<ChunkTranscript>;

  /** For readiness: loaded and configured (never a remote call). */
  abstract health(): ComponentHealth;

  /** Resolves once the provider can take work (the embedded engine loads its models first). */
  abstract whenReady(): Promise<void>;

  abstract close(): Promise<void>;
}
