import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { TARGET_SAMPLE_RATE, WavStreamDecoder } from '@asr/audio';
import { loadConfigOrThrow } from '@asr/config';
import { LIBRIVOX_DIR } from '../../../../test/support/speech';
import { LocalPocketSphinxProvider, LOCAL_MODEL } from './local-provider';

/** "he was not an ill disposed young man", a real recording (3 s). */
const CLIP = join(LIBRIVOX_DIR, 'sense_and_sensibility_01_austen_64kb-0880.wav');
/** Its first 1.6 s, "he was not an ill": real speech, kept short because decoding costs CPU in the unit loop. */
const OPENING_S = 1.6;

function readOpening(): Float32Array {
  return new WavStreamDecoder().push(readFileSync(CLIP)).slice(0, OPENING_S * TARGET_SAMPLE_RATE);
}

/** One decoder, one waiting call: enough to see the pool and the queue at work. */
const SETTINGS = loadConfigOrThrow({ LOCAL_ASR_CONCURRENCY: '1', LOCAL_ASR_QUEUE: '1' }).asr.local;

const english = { wordTimestamps: true, language: 'en' };
/** A tenth of a second of silence: the engine decodes it at once, which keeps the queueing tests quick. */
const blip = new Float32Array(1600);

describe('LocalPocketSphinxProvider before its models are in', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('is down while loading, refuses work with a Retry-After and opens no live utterance', async () => {
    const engine = new LocalPocketSphinxProvider(SETTINGS);
    expect(engine.health()).toEqual({ status: 'down', message: 'loading the speech models', provider: 'local' });
    await expect(engine.transcribe(blip, english)).rejects.toMatchObject({
      code: 'provider_unavailable',
      retryAfterS: 2,
    });
    expect(engine.tryOpenLive(english)).toBeUndefined();
  });

  it.each(['de', 'fr-FR'])('refuses language %s at once: it recognises English only', async (language) => {
    const engine = new LocalPocketSphinxProvider(SETTINGS);
    await expect(engine.transcribe(blip, { wordTimestamps: false, language })).rejects.toMatchObject({
      code: 'unsupported_language',
    });
    await engine.close();
  });

  it('refuses to translate from another language, saying it cannot translate and what would', async () => {
    const engine = new LocalPocketSphinxProvider(SETTINGS);
    const error: unknown = await engine
      .transcribe(blip, { wordTimestamps: false, language: 'de', task: 'translate' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'unsupported_language' });
    expect((error as Error).message).toMatch(/cannot translate: it recognises English only.*\/audio\/translations/);
    expect(engine.capabilities).toMatchObject({ translation: 'english-source', diarization: 'none' });
    await engine.close();
  });
});

describe('LocalPocketSphinxProvider with its models', () => {
  let engine: LocalPocketSphinxProvider;
  const clip = readOpening();

  beforeAll(async () => {
    Logger.overrideLogger(false);
    engine = new LocalPocketSphinxProvider(SETTINGS);
    await engine.load();
    await engine.whenReady();
  });
  afterAll(() => engine.close());

  it('is up with its decoders and describes what it can do', () => {
    expect(engine.health()).toEqual({
      status: 'up',
      provider: 'local',
      model: LOCAL_MODEL,
      decoders: 1,
      busy: 0,
      queued: 0,
    });
    expect(engine.defaultModel).toBe(LOCAL_MODEL);
    expect(engine.capabilities).toMatchObject({
      streamingPartials: true,
      languages: ['en'],
      joinsSpeechSpans: false,
      parallelCalls: 1,
    });
  });

  it('transcribes real speech into timed words with confidences, in segments', async () => {
    const result = await engine.transcribe(clip, { wordTimestamps: true });
    expect(result.language).toBe('en');
    const words = result.segments.flatMap((segment) => segment.words ?? []);
    expect(words.map((w) => w.word).join(' ')).toBe(result.text);
    // The reference is "he was not an ill"; the engine gets most of it.
    const reference = new Set(['he', 'was', 'not', 'an', 'ill']);
    expect(words.filter((w) => reference.has(w.word)).length).toBeGreaterThanOrEqual(3);
    for (const [index, word] of words.entries()) {
      expect(word.end).toBeGreaterThan(word.start);
      expect(word.end).toBeLessThanOrEqual(clip.length / TARGET_SAMPLE_RATE + 0.01);
      if (index > 0) expect(word.start).toBeGreaterThanOrEqual(words[index - 1]!.end);
      expect(word.confidence).toBeGreaterThanOrEqual(0);
      expect(word.confidence).toBeLessThanOrEqual(1);
    }
    expect(result.text).not.toMatch(/<s>|<\/s>|<sil>|\(\d\)/);
  });

  it('queues a call behind a busy decoder and answers engine_busy past LOCAL_ASR_QUEUE', async () => {
    const first = engine.transcribe(blip, english);
    const second = engine.transcribe(blip, english);
    expect(engine.health()).toMatchObject({ busy: 1, queued: 1 });
    await expect(engine.transcribe(blip, english)).rejects.toMatchObject({ code: 'engine_busy' });
    await Promise.all([first, second]);
    expect(engine.health()).toMatchObject({ busy: 0, queued: 0 });
  });

  it('refuses a cancelled request without decoding it', async () => {
    await expect(engine.transcribe(clip, { ...english, signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'cancelled',
    });
    expect(engine.health()).toMatchObject({ busy: 0 });
  });

  it('previews a live utterance whole as it grows, holding the decoder until finish', async () => {
    const live = engine.tryOpenLive(english);
    expect(live).toBeDefined();
    expect(engine.tryOpenLive(english)).toBeUndefined();
    expect(engine.health()).toMatchObject({ busy: 1 });
    // Half the opening ("he was"): the hypothesis is words only.
    const firstWords = clip.subarray(0, clip.length / 2);
    const partial = await live!.preview(firstWords);
    expect(partial).toMatch(/^[a-z']+( [a-z']+)*$/);
    // A preview is the whole decode of what it is given, so it is what the final of that audio says...
    const final = await live!.finish(firstWords);
    expect(final.text).toBe(partial);
    expect(final.segments.flatMap((s) => s.words ?? []).map((w) => w.word)).toEqual(final.text.split(' '));
    expect(engine.health()).toMatchObject({ busy: 0 });
    // ...and what an upload of it says, whatever the decoder heard before.
    await expect(engine.transcribe(firstWords, english)).resolves.toMatchObject({ text: partial });
    await expect(live!.preview(blip)).rejects.toMatchObject({ code: 'cancelled' });
    await expect(live!.finish(blip)).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('gives the decoder back once when a live utterance is cancelled', async () => {
    const live = engine.tryOpenLive(english)!;
    await live.preview(blip);
    live.cancel();
    live.cancel();
    // The next call waits for the decoder the cancelled utterance hands back, and gets it.
    await expect(engine.transcribe(blip, english)).resolves.toMatchObject({ language: 'en' });
    expect(engine.health()).toMatchObject({ busy: 0, queued: 0 });
    await expect(live.preview(blip)).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('opens no live utterance for another language', () => {
    expect(engine.tryOpenLive({ wordTimestamps: false, language: 'de' })).toBeUndefined();
  });
});
