import { setTimeout as sleep } from 'node:timers/promises';
import {
  AsrError,
  type AsrCapabilities,
  AsrProvider,
  type ChunkTranscript,
  type LiveUtterance,
  type TranscribeOptions,
} from '@asr/asr';
import { TARGET_SAMPLE_RATE } from '@asr/audio';
import type { AsrProviderName } from '@asr/config';
import type { ComponentHealth } from '@asr/observability';

/** One `transcribe` call as the fake saw it. */
export interface ScriptedCall {
  /** 0 for the first call, counted across the fake's life. */
  index: number;
  samples: Float32Array;
  options: TranscribeOptions;
}

/** What one call answers: a text (after a delay), or an error. Words are made up from the text unless `words: false`. */
export interface ScriptedAnswer {
  text?: string;
  delayMs?: number;
  /** The call answers only once this settles (after its delay): the test decides when, e.g. once N are in flight. */
  gate?: Promise<unknown>;
  error?: Error;
  words?: boolean;
}

export type Script = (call: ScriptedCall) => ScriptedAnswer;

export interface ScriptedProviderOptions {
  name?: AsrProviderName;
  /** Answers in call order; a call past the end fails the test (a strict fake), unless `script` is given. */
  answers?: ScriptedAnswer[];
  /** The answer computed from the call (used when `answers` is not given). */
  script?: Script;
  capabilities?: Partial<AsrCapabilities>;
  /**
   * Live previews (an engine like the embedded one): `tryOpenLive` returns an utterance whose `preview` resolves to
   * `partial(samplesOfTheUtteranceSoFar)` after `feedDelayMs`; `finish` answers like `transcribe`. `liveSlots` bounds how
   * many are open at once (tryOpenLive returns undefined past it).
   */
  live?: { partial: (fedSamples: number) => string; feedDelayMs?: number; liveSlots?: number };
  /** What `health()` reports (default: up). */
  health?: ComponentHealth;
}

const DEFAULT_CAPABILITIES: AsrCapabilities = {
  streamingPartials: false,
  wordTimestamps: true,
  languages: ['*'],
  honoredFields: [],
  ignoredFields: [],
  maxRequestBytes: null,
  maxChunkSeconds: 30,
  joinsSpeechSpans: true,
  parallelCalls: 4,
  // Like a remote server: it translates and labels speakers (scripted answers say what it "heard").
  translation: 'remote',
  diarization: 'any-model',
};

/**
 * A provider whose every answer the test scripts: texts, delays, errors and live partials. It records each call,
 * counts what is in flight (and the most ever at once), honours abort signals as the real ones do (AsrError
 * `cancelled`), and fails loudly on a call nobody scripted.
 */
export class ScriptedProvider extends AsrProvider {
  readonly name: AsrProviderName;
  readonly capabilities: AsrCapabilities;
  readonly defaultModel = 'scripted-model';
  readonly calls: ScriptedCall[] = [];
  inFlight = 0;
  maxInFlight = 0;
  liveOpened = 0;
  liveOpen = 0;
  /** How many times `openLive` had to wait for a slot. */
  liveWaitedFor = 0;
  private readonly liveWaiters: (() => void)[] = [];
  closed = false;

  constructor(private readonly options: ScriptedProviderOptions = {}) {
    super();
    this.name = options.name ?? 'openai-compatible';
    this.capabilities = {
      ...DEFAULT_CAPABILITIES,
      ...(options.live && { streamingPartials: true }),
      ...options.capabilities,
    };
  }

  async transcribe(samples: Float32Array, options: TranscribeOptions): Promise<ChunkTranscript> {
    const call = { index: this.calls.length, samples: samples.slice(), options };
    this.calls.push(call);
    const answer = this.answerFor(call);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (answer.delayMs) await sleep(answer.delayMs, undefined, { signal: options.signal });
      if (answer.gate) await opened(answer.gate, options.signal);
      if (options.signal?.aborted) throw cancelled();
      if (answer.error) throw answer.error;
      return transcriptOf(answer.text ?? '', samples.length, answer.words !== false && options.wordTimestamps);
    } catch (error) {
      if (error instanceof Error && error.name === 'AbortError') throw cancelled();
      throw error;
    } finally {
      this.inFlight -= 1;
    }
  }

  override tryOpenLive(options: TranscribeOptions): LiveUtterance | undefined {
    const live = this.options.live;
    if (!live || this.liveOpen >= (live.liveSlots ?? Infinity)) return undefined;
    this.liveOpened += 1;
    this.liveOpen += 1;
    let open = true;
    const close = (): void => {
      if (open) {
        this.liveOpen -= 1;
        // Every waiter tries again (in order): one left waiting by an abort must not take another's turn.
        for (const wake of this.liveWaiters.splice(0)) wake();
      }
      open = false;
    };
    return {
      preview: async (soFar) => {
        if (!open) throw new Error('ScriptedProvider: preview after the live utterance ended');
        if (live.feedDelayMs) await sleep(live.feedDelayMs);
        return live.partial(soFar.length);
      },
      finish: async (all, signal) => {
        if (!open) throw new Error('ScriptedProvider: finish after the live utterance ended');
        try {
          return await this.transcribe(all, { ...options, wordTimestamps: true, ...(signal && { signal }) });
        } finally {
          close();
        }
      },
      cancel: close,
    };
  }

  /** Waits, in order, for a live slot to free (as the embedded engine waits for a decoder). */
  override async openLive(options: TranscribeOptions, signal: AbortSignal): Promise<LiveUtterance | undefined> {
    if (!this.options.live) return undefined;
    for (;;) {
      if (signal.aborted) throw cancelled();
      const live = this.tryOpenLive(options);
      if (live) return live;
      this.liveWaitedFor += 1;
      await new Promise<void>((resolve, reject) => {
        this.liveWaiters.push(resolve);
        signal.addEventListener('abort', () => reject(cancelled()), { once: true });
      });
    }
  }

  health(): ComponentHealth {
    return this.options.health ?? { status: 'up' };
  }

  whenReady(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  private answerFor(call: ScriptedCall): ScriptedAnswer {
    const { answers, script } = this.options;
    if (answers) {
      const answer = answers[call.index];
      if (!answer) throw new Error(`ScriptedProvider: call ${call.index} was not scripted (${answers.length} were)`);
      return answer;
    }
    if (script) return script(call);
    throw new Error('ScriptedProvider: neither answers nor a script was given');
  }
}

/** Waits for `gate` to settle, or rejects as an abort (AbortError) when `signal` aborts first. */
function opened(gate: Promise<unknown>, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = (): void => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    gate.then(done, done);
  });
}

function cancelled(): AsrError {
  return new AsrError('cancelled', 'the request was cancelled');
}

/** A transcript of `text` spread evenly over the chunk, one segment, words when asked. */
function transcriptOf(text: string, samples: number, words: boolean): ChunkTranscript {
  const duration = samples / TARGET_SAMPLE_RATE;
  const tokens = text.split(/\s+/).filter((t) => t !== '');
  const step = tokens.length > 0 ? duration / tokens.length : 0;
  return {
    text,
    language: 'en',
    segments:
      text === ''
        ? []
        : [
            {
              start: 0,
              end: duration,
              text,
              ...(words && {
                words: tokens.map((word, i) => ({ word, start: i * step, end: (i + 1) * step, confidence: 0.9 })),
              }),
            },
          ],
  };
}
