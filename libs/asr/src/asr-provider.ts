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
  /**
   * Translation into English (OpenAI's /audio/translations): `remote`, the server translates; `english-source`, the
   * engine hears English only, so English audio is transcribed (its own translation) and other languages refused.
   */
  translation: 'remote' | 'english-source';
  /**
   * Speaker labels (OpenAI's diarized_json): `diarize-models`, only models named so (gpt-4o-transcribe-diarize);
   * `any-model`, passed on and left to the server; `none`, refused.
   */
  diarization: 'diarize-models' | 'any-model' | 'none';
}

/** Speakers a diarizing model should recognise: short names, each with a 2–10 s sample as a data URL. */
export interface KnownSpeakers {
  names: string[];
  references: string[];
}

export interface TranscribeOptions {
  language?: string;
  prompt?: string;
  temperature?: number;
  /** Remote providers pass it on; the embedded engine reports its own. */
  model?: string;
  wordTimestamps: boolean;
  signal?: AbortSignal;
  /** `translate`: English text whatever the language spoken (OpenAI's /audio/translations). Default: transcribe. */
  task?: 'transcribe' | 'translate';
  /** Ask the provider for token log probabilities (remote servers that give them; OpenAI's `include[]=logprobs`). */
  logprobs?: boolean;
  /** Label speakers (a diarizing remote model), with the speakers it should know when given. */
  diarize?: { knownSpeakers?: KnownSpeakers };
}

/**
 * An utterance previewed while it is spoken (an engine that can: the embedded one), holding one of its decoders
 * from `tryOpenLive` until `finish` or `cancel`. Not re-entrant: await each call before the next.
 */
export interface LiveUtterance {
  /**
   * The hypothesis of the utterance so far: `soFar` (all of its audio up to now) decoded whole, as the final will
   * be. Whole, not incremental: the engine's incremental search disagrees with its whole-utterance decode on most
   * utterances, and a preview is only worth sending if the final will mostly keep it.
   */
  preview(soFar: Float32Array): Promise<string>;
  /** The final transcript of the utterance, `all` of its audio decoded at once, then the decoder is free again. */
  finish(all: Float32Array, signal?: AbortSignal): Promise<ChunkTranscript>;
  /** Frees the decoder without a result. */
  cancel(): void;
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

  /**
   * A live utterance if this engine previews utterances on a decoder of their own and has one free right now;
   * otherwise undefined (the caller tries again later, or waits for one with `openLive`). Remote providers have
   * none.
   */
  tryOpenLive(options: TranscribeOptions): LiveUtterance | undefined {
    void options;
    return undefined;
  }

  /**
   * A live utterance on the next decoder that frees, in turn with the engine's other work (an utterance that never
   * got one while it was spoken decodes its owed previews and its final on it); undefined where the engine has no
   * live utterances. Rejects as `transcribe` does when the engine's queue is full or `signal` aborts.
   */
  openLive(options: TranscribeOptions, signal: AbortSignal): Promise<LiveUtterance | undefined> {
    void signal;
    return Promise.resolve(this.tryOpenLive(options));
  }

  /** For readiness: loaded and configured (never a remote call). */
  abstract health(): ComponentHealth;

  /** Resolves once the provider can take work (the embedded engine loads its models first). */
  abstract whenReady(): Promise<void>;

  abstract close(): Promise<void>;
}
