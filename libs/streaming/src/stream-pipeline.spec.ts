import { setTimeout as sleep } from 'node:timers/promises';
import { AsrError } from '@asr/asr';
import { SampleBufferPool, TARGET_SAMPLE_RATE } from '@asr/audio';
import { segmenterSettings, type SegmenterSettingsMs, VadBatcher } from '@asr/vad';
import {
  type ScriptedAnswer,
  ScriptedProvider,
  type ScriptedProviderOptions,
} from '../../../test/support/scripted-provider';
import { ScriptedVadBackend, scriptedAudio, silence, speech } from '../../../test/support/scripted-vad';
import type { PipelineEvent } from './pipeline-events';
import { type PipelineSettings, StreamPipeline } from './stream-pipeline';

const VAD_DEFAULTS: SegmenterSettingsMs = {
  threshold: 0.5,
  negThreshold: 0.35,
  minSilenceMs: 200,
  minSpeechMs: 100,
  speechPadMs: 30,
  maxSpeechS: 30,
};

const SETTINGS: PipelineSettings = { language: 'en', interimResults: false, vad: {} };

/** The seconds of speech of a provider call, rounded to 0.1 s: the tests script answers by utterance length. */
const lengthOf = (samples: Float32Array): number => Math.round((samples.length / TARGET_SAMPLE_RATE) * 10) / 10;

interface Harness {
  pipeline: StreamPipeline;
  provider: ScriptedProvider;
  backend: ScriptedVadBackend;
  events: PipelineEvent[];
  /** Sends the scripted probabilities as f32 PCM, in blocks of `blockFrames` frames. */
  send: (probabilities: number[], blockFrames?: number) => Promise<void>;
  finals: () => Extract<PipelineEvent, { type: 'final' }>[];
}

function harness(
  provider: ScriptedProviderOptions,
  options: {
    settings?: Partial<PipelineSettings>;
    emit?: (event: PipelineEvent) => void;
    utteranceBuffers?: SampleBufferPool;
  } = {},
): Harness {
  const backend = new ScriptedVadBackend();
  const scripted = new ScriptedProvider(provider);
  const events: PipelineEvent[] = [];
  const pipeline = new StreamPipeline({
    format: { encoding: 'pcm_f32le', sampleRate: TARGET_SAMPLE_RATE, channels: 1 },
    settings: { ...SETTINGS, ...options.settings },
    provider: scripted,
    vad: {
      sharedBatcher: new VadBatcher(backend, 64),
      settings: (overrides = {}) => segmenterSettings({ ...VAD_DEFAULTS, ...overrides }),
      ...(options.utteranceBuffers && { utteranceBuffers: options.utteranceBuffers }),
    },
    lookbackSamples: 0.5 * TARGET_SAMPLE_RATE,
    partialEverySamples: 0.5 * TARGET_SAMPLE_RATE,
    emit: (event) => {
      events.push(event);
      options.emit?.(event);
    },
    report: (error) => {
      throw error;
    },
  });
  const send = async (probabilities: number[], blockFrames = 10): Promise<void> => {
    for (let i = 0; i < probabilities.length; i += blockFrames) {
      const audio = scriptedAudio(probabilities.slice(i, i + blockFrames));
      await pipeline.push(Buffer.from(audio.buffer, audio.byteOffset, audio.byteLength));
    }
  };
  const finals = (): Extract<PipelineEvent, { type: 'final' }>[] =>
    events.filter((e): e is Extract<PipelineEvent, { type: 'final' }> => e.type === 'final');
  return { pipeline, provider: scripted, backend, events, send, finals };
}

/** An utterance buffer pool as the service has (4 s, doubling to 32 s), with every buffer it hands out noted. */
function watchedPool(): { pool: SampleBufferPool; taken: Float32Array[] } {
  const pool = new SampleBufferPool({
    smallest: 4 * TARGET_SAMPLE_RATE,
    largest: 32 * TARGET_SAMPLE_RATE,
    keepBytes: 1 << 26,
  });
  const taken: Float32Array[] = [];
  const take = pool.take.bind(pool);
  pool.take = (samples) => {
    taken.push(take(samples));
    return taken.at(-1)!;
  };
  return { pool, taken };
}

/** Utterances of these lengths (seconds), each followed by a second of silence. */
const scene = (lengths: number[]): number[] => lengths.flatMap((s) => [...speech(s), ...silence(1)]);

/** A seeded generator, so a failing order is reproducible. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** A live engine with `liveSlots` decoders whose every preview says `text`; `lengths`: the lengths it previewed. */
function recordingLive(
  text: string,
  liveSlots: number,
): { live: NonNullable<ScriptedProviderOptions['live']>; lengths: number[] } {
  const lengths: number[] = [];
  return {
    lengths,
    live: {
      liveSlots,
      partial: (soFar) => {
        lengths.push(soFar);
        return text;
      },
    },
  };
}

/** Polls `condition` every 5 ms until it holds (a test that waits too long fails on Jest's timeout). */
async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(5);
}

/** Every `speech-started` has exactly one final, and finals leave in segment order. */
function expectOneFinalEachInOrder(events: PipelineEvent[]): void {
  const started = events.flatMap((e) => (e.type === 'speech-started' ? [e.segmentId] : []));
  const finals = events.flatMap((e) => (e.type === 'final' ? [e.segmentId] : []));
  expect(finals).toEqual(started);
  expect(started).toEqual(started.map((_, i) => i));
}

describe('StreamPipeline', () => {
  it('sends finals in segment order when a slow first answer ends after a fast second', async () => {
    // The first utterance (0.6 s) answers after 150 ms, the second (1.2 s) at once: the second is ready first.
    const h = harness({
      script: (call) => ({ text: `len ${lengthOf(call.samples)}`, delayMs: call.index === 0 ? 150 : 0 }),
    });
    await h.send(scene([0.6, 1.2]));
    await h.pipeline.finish();
    expect(h.provider.calls).toHaveLength(2);
    expect(h.finals().map((f) => f.segmentId)).toEqual([0, 1]);
    expect(h.finals()[0]!.text).toMatch(/^len 0\.[6-7]$/);
    expectOneFinalEachInOrder(h.events);
  });

  it.each([1, 2, 3])(
    'exactly one final per utterance, in order, under random provider latency (seed %i)',
    async (seed) => {
      const next = random(seed);
      const h = harness({ script: () => ({ text: 'words', delayMs: Math.floor(next() * 60) }) });
      const lengths = Array.from({ length: 12 }, () => 0.2 + Math.round(next() * 10) / 10);
      // Short silences: utterances end while the ones before them are still being transcribed.
      await h.send(
        lengths.flatMap((s) => [...speech(s), ...silence(0.3)]),
        3,
      );
      await h.pipeline.finish();
      expect(h.finals()).toHaveLength(12);
      expectOneFinalEachInOrder(h.events);
    },
  );

  it('a provider error gives that utterance an error final; the ones around it still get theirs', async () => {
    const answers: ScriptedAnswer[] = [
      { text: 'one' },
      { error: new AsrError('provider_timeout', 'the provider did not answer in 1 s') },
      { text: 'three', delayMs: 20 },
    ];
    const h = harness({ answers });
    await h.send(scene([0.5, 0.5, 0.5]));
    await h.pipeline.finish();
    expect(h.finals().map((f) => [f.text, f.error?.code])).toEqual([
      ['one', undefined],
      ['', 'provider_timeout'],
      ['three', undefined],
    ]);
    expect(h.finals()[1]!.error!.message).toContain('did not answer');
  });

  it('finalize ends the utterance in progress at once; the speech after it is a new utterance', async () => {
    const h = harness({ script: () => ({ text: 'said' }) });
    await h.send(speech(1));
    await h.pipeline.command({ type: 'finalize' });
    const stoppedAt = h.events.findIndex((e) => e.type === 'speech-stopped');
    expect(stoppedAt).toBeGreaterThan(0);
    await h.send([...speech(0.5), ...silence(1)]);
    await h.pipeline.finish();
    expect(h.finals().map((f) => f.segmentId)).toEqual([0, 1]);
    const stopped = h.events.find((e) => e.type === 'speech-stopped');
    expect(stopped).toMatchObject({ segmentId: 0 });
    expect(stopped?.type === 'speech-stopped' && stopped.end).toBeCloseTo(1, 1);
    expectOneFinalEachInOrder(h.events);
  });

  it('each final says what ended its utterance: the VAD, a finalize, or the end of the stream', async () => {
    const h = harness({ script: () => ({ text: 'said' }) });
    await h.send(scene([0.5]));
    await h.send(speech(0.5));
    await h.pipeline.command({ type: 'finalize' });
    await h.send(speech(0.5));
    await h.pipeline.finish();
    expect(h.finals().map((f) => f.endedBy)).toEqual(['vad', 'finalize', 'stream-end']);
  });

  it('discard drops the utterance in progress untranscribed; the speech after it is the next utterance', async () => {
    const h = harness({ script: () => ({ text: 'kept' }) });
    await h.send(speech(1));
    await h.pipeline.command({ type: 'discard' });
    await h.send(scene([0.5]));
    await h.pipeline.finish();
    expect(h.events.map((e) => e.type)).toEqual([
      'speech-started',
      'speech-discarded',
      'speech-started',
      'speech-stopped',
      'final',
    ]);
    expect(h.finals().map((f) => f.segmentId)).toEqual([1]);
    // Only the kept utterance reached the provider.
    expect(h.provider.calls).toHaveLength(1);
  });

  it('a push that completes no VAD frame is worked through at once, with no promise; one that completes a frame waits for it', async () => {
    const { pipeline, backend } = harness({});
    const audio = scriptedAudio(speech(0.1));
    const bytes = Buffer.from(audio.buffer, audio.byteOffset, audio.byteLength);
    // 20 ms of f32 PCM, then the rest of the first 32 ms frame.
    expect(pipeline.push(bytes.subarray(0, 1280))).toBeUndefined();
    const completing = pipeline.push(bytes.subarray(1280, 2048));
    expect(completing).toBeInstanceOf(Promise);
    // Queued behind the frame in the batcher, though it completes none itself.
    const behind = pipeline.push(bytes.subarray(2048, 2560));
    expect(behind).toBeInstanceOf(Promise);
    await behind;
    expect(backend.framesInferred).toBe(1);
    expect(pipeline.push(bytes.subarray(2560, 3072))).toBeUndefined();
  });

  it('an utterance’s buffer goes back to the pool once its final is out, and the next utterance reuses it intact', async () => {
    const { pool, taken } = watchedPool();
    const h = harness({ script: (call) => ({ text: `len ${lengthOf(call.samples)}` }) }, { utteranceBuffers: pool });
    await h.send(scene([0.6, 1.2, 0.9]));
    await h.pipeline.finish();
    // Each final saw its own utterance's audio, though all three lived in one buffer.
    expect(h.finals().map((f) => f.text)).toEqual([
      expect.stringMatching(/^len 0\.[6-7]$/),
      expect.stringMatching(/^len 1\.[2-3]$/),
      expect.stringMatching(/^len (0\.9|1)$/),
    ]);
    expect(taken).toHaveLength(3);
    expect(new Set(taken).size).toBe(1);
    expect(pool.idle).toBe(1);
  });

  it('a long utterance grows into pooled buffers, gives each back after its final, and the next one reuses them', async () => {
    const { pool, taken } = watchedPool();
    const h = harness({ script: (call) => ({ text: `len ${lengthOf(call.samples)}` }) }, { utteranceBuffers: pool });
    await h.send(scene([6, 6.5]));
    await h.pipeline.finish();
    expect(h.finals().map((f) => f.text)).toEqual([
      expect.stringMatching(/^len 6(\.1)?$/),
      expect.stringMatching(/^len 6\.[5-6]$/),
    ]);
    // Each utterance started in 4 s and grew into 8 s, both from the pool, and the second took the first's two.
    expect(taken.map((buffer) => buffer.length / TARGET_SAMPLE_RATE)).toEqual([4, 8, 4, 8]);
    expect(new Set(taken).size).toBe(2);
    expect(pool.idle).toBe(2);
  });

  it('an utterance whose final is still awaited keeps its buffer: the next one that starts meanwhile gets another', async () => {
    const { pool, taken } = watchedPool();
    const h = harness(
      { script: (call) => ({ text: `len ${lengthOf(call.samples)}`, delayMs: call.index === 0 ? 1500 : 0 }) },
      { utteranceBuffers: pool },
    );
    await h.send(scene([0.6, 1.2]));
    // The second utterance has ended while the first one's call still runs.
    expect(h.events.filter((e) => e.type === 'speech-stopped')).toHaveLength(2);
    expect(h.finals()).toHaveLength(0);
    expect(new Set(taken).size).toBe(2);
    // The second one's transcription is done (its final waits its turn, and reads no audio): only its buffer is back.
    expect(pool.idle).toBe(1);
    await h.pipeline.finish();
    expect(h.finals().map((f) => f.text)).toEqual([
      expect.stringMatching(/^len 0\.[6-7]$/),
      expect.stringMatching(/^len 1\.[2-3]$/),
    ]);
    expect(pool.idle).toBe(2);
  });

  it('a cancelled utterance keeps its buffer: a call it abandoned may still read it', async () => {
    const { pool } = watchedPool();
    const h = harness({ script: () => ({ text: 'late', delayMs: 1000 }) }, { utteranceBuffers: pool });
    await h.send([...speech(0.6), ...silence(1), ...speech(0.5)]);
    // The first utterance's final is awaited, the second is in progress: both are cancelled by the close.
    await h.pipeline.command({ type: 'close' });
    await sleep(80);
    expect(pool.idle).toBe(0);
  });

  it('reformat before any audio: the next audio is read in the new format', () => {
    const h = harness({ script: () => ({ text: 'said' }) });
    h.pipeline.reformat({ encoding: 'pcm_s16le', sampleRate: 8000, channels: 1 });
    // One second of 8 kHz s16 is 16,000 bytes.
    expect(h.pipeline.secondsIn(16_000)).toBe(1);
  });

  it('configure mid-stream: the next utterance is transcribed with the new language and segmented with the new VAD', async () => {
    const h = harness({ script: () => ({ text: 'ok' }) });
    await h.send(scene([0.5]));
    await h.pipeline.command({
      type: 'configure',
      settings: { ...SETTINGS, language: 'fr', vad: { threshold: 0.95 } },
    });
    // 0.9 is speech under the old threshold, not under the new one.
    await h.send(scene([0.5]));
    await h.send([...new Array<number>(20).fill(0.97), ...silence(1)]);
    await h.pipeline.finish();
    expect(h.provider.calls.map((c) => c.options.language)).toEqual(['en', 'fr']);
    expect(h.finals()).toHaveLength(2);
  });

  it('cuts speech at the maximum segment length into contiguous utterances, each with its final', async () => {
    const h = harness({ script: () => ({ text: 'long' }) }, { settings: { vad: { maxSpeechS: 1 } } });
    await h.send([...speech(3.5), ...silence(1)]);
    await h.pipeline.finish();
    const starts = h.events.flatMap((e) => (e.type === 'speech-started' ? [e.start] : []));
    const ends = h.events.flatMap((e) => (e.type === 'speech-stopped' ? [e.end] : []));
    expect(starts.length).toBeGreaterThanOrEqual(4);
    for (let i = 0; i < starts.length; i += 1) expect(ends[i]! - starts[i]!).toBeLessThanOrEqual(1.001);
    // Each piece starts where the one before it was cut.
    for (let i = 1; i < starts.length; i += 1) expect(starts[i]).toBeCloseTo(ends[i - 1]!, 3);
    for (const call of h.provider.calls) expect(call.samples.length).toBeLessThanOrEqual(TARGET_SAMPLE_RATE + 1);
    expectOneFinalEachInOrder(h.events);
  });

  it('finish with an utterance open: it ends, its final is out before finish resolves, then nothing more', async () => {
    const h = harness({ script: () => ({ text: 'last words', delayMs: 30 }) });
    await h.send(speech(0.8));
    expect(h.events.map((e) => e.type)).toEqual(['speech-started']);
    await h.pipeline.finish();
    expect(h.events.map((e) => e.type)).toEqual(['speech-started', 'speech-stopped', 'final']);
    expect(h.finals()[0]).toMatchObject({ text: 'last words', start: 0 });
    expect(h.pipeline.closed).toBe(true);
    await h.send(scene([0.5]));
    expect(h.events).toHaveLength(3);
    expect(h.backend.openStates).toBe(0);
  });

  it('close drops the utterance in progress: its provider call is aborted, no final, the VAD state freed', async () => {
    const h = harness({ script: () => ({ text: 'never', delayMs: 5_000 }) });
    await h.send(scene([0.5]));
    expect(h.provider.inFlight).toBe(1);
    await h.pipeline.command({ type: 'close' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.provider.inFlight).toBe(0);
    await h.send(scene([0.5]));
    await h.pipeline.finish();
    expect(h.events.map((e) => e.type)).toEqual(['speech-started', 'speech-stopped']);
    expect(h.backend.openStates).toBe(0);
  });

  it.each([
    ['a remote provider', {}],
    ['a live engine', { live: { partial: () => 'so far' } }],
  ])(
    'a close in answer to speech-stopped (%s) still abandons that utterance: no final, nothing held',
    async (_, extra) => {
      const ref: { pipeline?: StreamPipeline } = {};
      const h = harness(
        { script: () => ({ text: 'never', delayMs: 5_000 }), ...extra },
        {
          settings: { interimResults: true },
          emit: (event) => {
            if (event.type === 'speech-stopped') void ref.pipeline?.command({ type: 'close' });
          },
        },
      );
      ref.pipeline = h.pipeline;
      await h.send(scene([0.6]));
      await h.pipeline.finish();
      await new Promise((resolve) => setImmediate(resolve));
      expect(h.events.map((e) => e.type).filter((t) => t !== 'partial')).toEqual(['speech-started', 'speech-stopped']);
      expect(h.provider.inFlight).toBe(0);
      expect(h.provider.liveOpen).toBe(0);
      expect(h.pipeline.closed).toBe(true);
    },
  );

  it('a close while finish ends the open utterance stays closed: no final after it', async () => {
    const ref: { pipeline?: StreamPipeline } = {};
    const h = harness(
      { script: () => ({ text: 'late', delayMs: 20 }) },
      {
        emit: (event) => {
          if (event.type === 'speech-stopped') void ref.pipeline?.command({ type: 'close' });
        },
      },
    );
    ref.pipeline = h.pipeline;
    // Speech to the end: its speech-stopped comes from finish itself.
    await h.send(speech(0.5));
    await h.pipeline.finish();
    expect(h.events.map((e) => e.type)).toEqual(['speech-started', 'speech-stopped']);
    expect(h.pipeline.closed).toBe(true);
  });

  it('words come in session time, offset by where the utterance began', async () => {
    const h = harness({ script: () => ({ text: 'alpha beta' }) });
    await h.send([...silence(2), ...speech(1), ...silence(1)]);
    await h.pipeline.finish();
    const final = h.finals()[0]!;
    expect(final.start).toBeGreaterThan(1.9);
    expect(final.words?.map((w) => w.word)).toEqual(['alpha', 'beta']);
    expect(final.words![0]!.start).toBeCloseTo(final.start, 3);
    expect(final.words![1]!.end).toBeLessThanOrEqual(final.end + 0.001);
    expect(final.latencyS).toBeGreaterThanOrEqual(0);
  });

  it('partials from a remote provider: the growing utterance re-transcribed every chunk, then one final', async () => {
    const h = harness(
      { script: (call) => ({ text: call.options.wordTimestamps ? 'final text' : 'final' }) },
      { settings: { interimResults: true } },
    );
    await h.send([...speech(1.6), ...silence(1)], 2);
    await h.pipeline.finish();
    const partials = h.events.filter((e) => e.type === 'partial');
    expect(partials.length).toBeGreaterThanOrEqual(2);
    expect(h.events.at(-1)).toMatchObject({ type: 'final', text: 'final text' });
    expect(h.events.findIndex((e) => e.type === 'final')).toBeGreaterThan(h.events.lastIndexOf(partials.at(-1)!));
  });

  it('partials from a live engine: previews of the utterance so far; the final decodes the whole utterance', async () => {
    const h = harness(
      { script: (call) => ({ text: `whole ${lengthOf(call.samples)}` }), live: { partial: () => 'whole' } },
      { settings: { interimResults: true } },
    );
    await h.send([...speech(1.2), ...silence(1)], 2);
    await h.pipeline.finish();
    expect(h.provider.liveOpened).toBe(1);
    expect(h.provider.liveOpen).toBe(0);
    expect(h.events.filter((e) => e.type === 'partial').length).toBeGreaterThanOrEqual(2);
    expect(h.finals()[0]!.text).toMatch(/^whole 1\.[2-4]$/);
  });

  it('previews are whole steps of AUDIO_CHUNK_DURATION of the utterance, the same however its audio arrives or how slow the engine', async () => {
    const previewLengths = async (blockFrames: number, feedDelayMs = 0): Promise<number[]> => {
      const lengths: number[] = [];
      const h = harness(
        {
          script: () => ({ text: 'whole' }),
          live: {
            feedDelayMs,
            partial: (soFar) => {
              lengths.push(soFar);
              return `after ${soFar}`;
            },
          },
        },
        { settings: { interimResults: true } },
      );
      await h.send([...speech(4.2), ...silence(1)], blockFrames);
      await h.pipeline.finish();
      return lengths;
    };
    const inTwos = await previewLengths(2);
    expect(await previewLengths(7)).toEqual(inTwos);
    // Audio arriving in large blocks, the one that ends the utterance crossing a preview's length.
    expect(await previewLengths(23)).toEqual(inTwos);
    expect(await previewLengths(70)).toEqual(inTwos);
    // An engine far behind the audio still decodes every preview the utterance's length calls for (those due at
    // its end before the final): the stable words, and the final, do not depend on its speed.
    expect(await previewLengths(7, 300)).toEqual(inTwos);
    // 0.5 s steps, then less often as the utterance grows (each preview decodes all of it).
    const step = 0.5 * TARGET_SAMPLE_RATE;
    expect(inTwos.map((length) => length / step)).toEqual([1, 2, 3, 5, 8]);
  });

  it('an utterance that starts while every decoder is busy gets one when it frees, and catches up its previews', async () => {
    const previewsWith = async (liveSlots: number): Promise<number[]> => {
      const { live, lengths } = recordingLive('whole', liveSlots);
      // The final holds its decoder for a while: the next utterance starts before it is free again.
      const h = harness(
        { script: () => ({ text: 'whole', delayMs: 600 }), live },
        { settings: { interimResults: true } },
      );
      // The second utterance begins while the first's final holds the only decoder, which frees meanwhile.
      await h.send([...scene([2.2]), ...speech(0.4)], 4);
      await sleep(800);
      await h.send([...speech(1.8), ...silence(1)], 4);
      await h.pipeline.finish();
      expect(h.finals()).toHaveLength(2);
      return lengths.sort((a, b) => a - b);
    };
    const enough = await previewsWith(2);
    expect(await previewsWith(1)).toEqual(enough);
    expect(enough.length).toBeGreaterThanOrEqual(6);
  });

  it('an utterance that ends while every decoder is busy waits for one: the same partials and final, all before its final', async () => {
    const run = async (liveSlots: number) => {
      const { live, lengths: previews } = recordingLive('the cat', liveSlots);
      // Each final holds its decoder a while: with one slot the second utterance ends before it frees.
      const h = harness(
        { script: () => ({ text: 'a cat sat down', delayMs: 400 }), live },
        { settings: { interimResults: true } },
      );
      await h.send(scene([2.2, 1.6]), 4);
      await h.pipeline.finish();
      const bySegment = (id: number) => h.events.filter((e) => 'segmentId' in e && e.segmentId === id);
      for (const id of [0, 1]) {
        const events = bySegment(id);
        // Every partial of a segment before its final, however late it was decoded.
        expect(events.findLastIndex((e) => e.type === 'partial')).toBeLessThan(
          events.findIndex((e) => e.type === 'final'),
        );
      }
      const partials = h.events.flatMap((e) =>
        e.type === 'partial' ? [`${e.segmentId} ${e.text} | ${e.stable}`] : [],
      );
      return {
        finals: h.finals().map((f) => f.text),
        previews: previews.sort((a, b) => a - b),
        partials,
        waited: h.provider.liveWaitedFor,
      };
    };
    const enough = await run(2);
    expect(enough.waited).toBe(0);
    expect(enough.finals).toEqual(['the cat sat down', 'the cat sat down']);
    const one = await run(1);
    expect(one.waited).toBeGreaterThanOrEqual(1);
    expect(one.finals).toEqual(enough.finals);
    expect(one.previews).toEqual(enough.previews);
    expect([...one.partials].sort()).toEqual([...enough.partials].sort());
  });

  it('a client gone while its utterance waits for a decoder: the wait ends, nothing is sent, no decoder kept', async () => {
    const h = harness(
      { script: () => ({ text: 'a cat sat down', delayMs: 400 }), live: { liveSlots: 1, partial: () => 'the cat' } },
      { settings: { interimResults: true } },
    );
    await h.send(scene([2.2, 1.6]), 4);
    // The second utterance has ended and waits for the only decoder, which the first's final holds.
    await waitUntil(() => h.provider.liveWaitedFor > 0);
    await h.pipeline.command({ type: 'close' });
    await sleep(600);
    expect(h.provider.liveOpen).toBe(0);
    expect(h.events.filter((e) => e.type === 'final' || e.type === 'partial').filter((e) => e.segmentId === 1)).toEqual(
      [],
    );
  });

  it('a final that contradicts its stable words is held to them: the final begins with what previews settled', async () => {
    const h = harness(
      { script: () => ({ text: 'a cat sat down' }), live: { partial: () => 'the cat' } },
      { settings: { interimResults: true } },
    );
    await h.send([...speech(1.6), ...silence(1)], 2);
    await h.pipeline.finish();
    const partials = h.events.filter((e) => e.type === 'partial');
    expect(partials.map((p) => p.stable)).toEqual(['', 'the cat']);
    const final = h.finals()[0]!;
    expect(final.text).toBe('the cat sat down');
    const [the, cat] = final.words!;
    // "the" replaced the final's "a": its time, not its confidence; "cat" is the final's own word.
    expect(the).toEqual({ word: 'the', start: final.start, end: expect.any(Number) as number });
    expect(cat).toMatchObject({ word: 'cat', confidence: 0.9 });
    expect(final.confidence).toBe(0.9);
  });

  it('a throw in the framing ends the pipeline with one `failed` and nothing after it', async () => {
    let thrown = false;
    const h = harness(
      { script: () => ({ text: 'x' }) },
      {
        emit: (event) => {
          if (event.type === 'speech-stopped' && !thrown) {
            thrown = true;
            throw new Error('the socket broke');
          }
        },
      },
    );
    await h.send(scene([0.5, 0.5]));
    await h.pipeline.finish();
    expect(h.events.map((e) => e.type)).toEqual(['speech-started', 'speech-stopped', 'failed']);
    expect(h.pipeline.closed).toBe(true);
    expect(h.backend.openStates).toBe(0);
  });
});
