import { Logger } from '@nestjs/common';
import type { AppConfig } from '@asr/config';
import { float32ToInt16 } from '@asr/audio';
import type { ComponentHealth } from '@asr/observability';
import { AsrError } from '../asr-error';
import { type AsrCapabilities, AsrProvider, type LiveUtterance, type TranscribeOptions } from '../asr-provider';
import { SlotPool, withSlot } from '../slot-pool';
import type { ChunkTranscript, TranscriptWord } from '../transcript';
import { loadPocketSphinx, type PocketSphinxLibrary } from './pocketsphinx-binding';
import { wordsToSegments } from './word-segments';

const FRAMES_PER_SECOND = 100;
export const LOCAL_MODEL = 'pocketsphinx-en-us';

/** Fillers and markers the engine emits that are not words. */
function isWord(token: string): boolean {
  return !/^(<s>|<\/s>|<sil>|\[.*\]|\+\+.*\+\+)$/i.test(token);
}

/** `read(2)` → `read`: the engine marks alternative pronunciations. */
function spelling(token: string): string {
  return token.replace(/\(\d+\)$/, '');
}

/**
 * The embedded engine: PocketSphinx (Debian's libpocketsphinx3 and en-us model) through koffi. A pool of
 * decoders, one chunk each at a time; models load in the background after start, readiness waits for them.
 * A cancelled request frees its decoder when the chunk in progress ends (at most maxChunkSeconds of audio).
 */
export class LocalPocketSphinxProvider extends AsrProvider {
  readonly name = 'local' as const;
  readonly defaultModel = LOCAL_MODEL;
  readonly capabilities: AsrCapabilities;

  private static capabilitiesFor(decoders: number): AsrCapabilities {
    return {
      streamingPartials: true,
      wordTimestamps: true,
      languages: ['en'],
      honoredFields: ['language', 'timestamp_granularities'],
      ignoredFields: ['model', 'prompt', 'temperature'],
      maxRequestBytes: null,
      maxChunkSeconds: 20,
      joinsSpeechSpans: false,
      parallelCalls: decoders,
      translation: 'english-source',
      diarization: 'none',
    };
  }

  private readonly logger = new Logger('ASR');
  private readonly pool: SlotPool<unknown>;
  private library: PocketSphinxLibrary | undefined;
  private loaded = 0;
  private loadError: string | undefined;
  private closed = false;
  private loading: Promise<void> | undefined;
  /** Settles once the first decoder is in, loading failed, or the provider closed: what `whenReady` awaits. */
  private readonly ready: Promise<void>;
  private settleReady: () => void = () => undefined;

  constructor(private readonly settings: AppConfig['asr']['local']) {
    super();
    this.ready = new Promise((resolve) => {
      this.settleReady = resolve;
    });
    this.capabilities = LocalPocketSphinxProvider.capabilitiesFor(settings.concurrency);
    this.pool = new SlotPool(settings.queue);
  }

  /** Loads the decoders one after another, off the event loop; transcriptions can start with the first. */
  load(): Promise<void> {
    this.loading ??= this.loadDecoders();
    return this.loading;
  }

  /** Resolves when the first decoder is in, or loading failed (transcribe then says why). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  private async loadDecoders(): Promise<void> {
    const started = Date.now();
    try {
      this.library = loadPocketSphinx();
      for (let i = 0; i < this.settings.concurrency && !this.closed; i += 1) {
        const decoder = await this.library.init(this.settings.hmmPath, this.settings.lmPath, this.settings.dictPath);
        if (this.closed) {
          // Shut down while this one was loading.
          this.library.free(decoder);
          break;
        }
        this.loaded += 1;
        this.pool.add(decoder);
        this.settleReady();
      }
      this.logger.log(`${this.loaded} PocketSphinx decoder(s) loaded in ${Date.now() - started} ms`);
    } catch (error) {
      this.loadError = `${error instanceof Error ? error.message : String(error)}; install the engine with scripts/setup-system.sh`;
      this.logger.error(`embedded engine failed to load: ${this.loadError}`);
      this.settleReady();
    }
  }

  health(): ComponentHealth {
    if (this.loadError) return { status: 'down', message: this.loadError, provider: this.name };
    if (this.loaded === 0) return { status: 'down', message: 'loading the speech models', provider: this.name };
    const details = {
      provider: this.name,
      model: LOCAL_MODEL,
      decoders: this.loaded,
      busy: this.loaded - this.pool.available,
      queued: this.pool.waiting,
    };
    return this.loaded < this.settings.concurrency
      ? { status: 'degraded', message: 'still loading decoders', ...details }
      : { status: 'up', ...details };
  }

  async transcribe(samples: Float32Array, options: TranscribeOptions): Promise<ChunkTranscript> {
    if (this.unsupported(options.language)) throw unsupportedLanguage(options);
    const library = this.library;
    if (this.loadError || !library) {
      throw new AsrError(
        'provider_unavailable',
        this.loadError ?? 'the speech models are still loading; retry shortly',
        2,
      );
    }
    return withSlot(this.pool, options.signal, (decoder) =>
      this.decodeWhole(library, decoder, samples, options.signal),
    );
  }

  override tryOpenLive(options: TranscribeOptions): LiveUtterance | undefined {
    const library = this.library;
    if (!library || this.unsupported(options.language)) return undefined;
    const decoder = this.pool.tryAcquire();
    return decoder === undefined ? undefined : this.liveOn(library, decoder);
  }

  override async openLive(options: TranscribeOptions, signal: AbortSignal): Promise<LiveUtterance | undefined> {
    const library = this.library;
    if (!library || this.unsupported(options.language)) return undefined;
    return this.liveOn(library, await this.pool.acquire(signal));
  }

  /** A live utterance holding `decoder` until its `finish` or `cancel`. */
  private liveOn(library: PocketSphinxLibrary, decoder: unknown): LiveUtterance {
    // live → (finish) finishing → done, or live → (cancel) done: the decoder goes back to the pool exactly once.
    let state: 'live' | 'finishing' | 'done' = 'live';
    let previewing: Promise<unknown> = Promise.resolve();
    const giveBack = (): void => {
      state = 'done';
      this.pool.release(decoder);
    };
    return {
      preview: async (soFar) => {
        if (state !== 'live') throw new AsrError('cancelled', 'the utterance was already finished');
        const decoding = this.decodeText(library, decoder, soFar);
        previewing = decoding.catch(() => undefined);
        return decoding;
      },
      finish: async (all, signal) => {
        if (state !== 'live') throw new AsrError('cancelled', 'the utterance was already finished');
        state = 'finishing';
        try {
          // A caller that did not wait for its preview must not have two calls on one decoder.
          await previewing;
          return await this.decodeWhole(library, decoder, all, signal);
        } finally {
          giveBack();
        }
      },
      cancel: () => {
        if (state !== 'live') return;
        state = 'done';
        // A preview still decoding holds the decoder: it goes back once that call has returned.
        void previewing.finally(() => this.pool.release(decoder));
      },
    };
  }

  /** The words of `samples` decoded whole on a held decoder, fillers dropped (a preview: no times, no confidences). */
  private async decodeText(library: PocketSphinxLibrary, decoder: unknown, samples: Float32Array): Promise<string> {
    await this.decodeOnce(library, decoder, samples);
    return library
      .hypothesis(decoder)
      .split(/\s+/)
      .filter((token) => token && isWord(token))
      .map(spelling)
      .join(' ');
  }

  /** A fresh stream (so nothing heard before colours it) with `samples` as its one utterance, normalised whole. */
  private async decodeOnce(
    library: PocketSphinxLibrary,
    decoder: unknown,
    samples: Float32Array,
    signal?: AbortSignal,
  ): Promise<void> {
    library.startStream(decoder);
    library.startUtterance(decoder);
    try {
      if (signal?.aborted) throw new AsrError('cancelled', 'the request was cancelled');
      await library.processRaw(decoder, float32ToInt16(samples), true);
    } finally {
      await library.endUtterance(decoder);
    }
  }

  /** One chunk on a held decoder, in one call: the engine normalises over all of it, as the raw engine does. */
  private async decodeWhole(
    library: PocketSphinxLibrary,
    decoder: unknown,
    samples: Float32Array,
    signal?: AbortSignal,
  ): Promise<ChunkTranscript> {
    await this.decodeOnce(library, decoder, samples, signal);
    const words: TranscriptWord[] = library
      .segments(decoder)
      .filter((segment) => isWord(segment.word))
      .map((segment) => ({
        word: spelling(segment.word),
        start: segment.startFrame / FRAMES_PER_SECOND,
        end: (segment.endFrame + 1) / FRAMES_PER_SECOND,
        // The posterior can come out a hair above 1 (log-domain arithmetic); a confidence is 0–1.
        confidence: Math.round(Math.min(1, segment.probability) * 1000) / 1000,
      }));
    const segments = wordsToSegments(words);
    return { text: segments.map((s) => s.text).join(' '), language: 'en', segments };
  }

  private unsupported(language: string | undefined): boolean {
    return language !== undefined && !this.capabilities.languages.includes(language.toLowerCase());
  }

  async close(): Promise<void> {
    this.closed = true;
    this.settleReady();
    for (const decoder of this.pool.drain()) this.library?.free(decoder);
    await Promise.resolve();
  }
}

/** English only: another language cannot be transcribed, nor translated (the engine would hear English words). */
function unsupportedLanguage(options: TranscribeOptions): AsrError {
  const remote = 'point ASR_PROVIDER at a multilingual server';
  return new AsrError(
    'unsupported_language',
    options.task === 'translate'
      ? `the embedded engine cannot translate: it recognises English only, so it takes English audio alone (language "${options.language}" asked for); ${remote} that offers /audio/translations for other languages`
      : `the embedded engine recognises English only (language "${options.language}"); ${remote} for other languages`,
  );
}
