import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import OpenAI, { BadRequestError, toFile } from 'openai';
import type { TranscriptionCreateParams } from 'openai/resources/audio/transcriptions';
import type { TranslationCreateParams } from 'openai/resources/audio/translations';
import { parseSync } from 'subtitle';
import { type CapturedResponse, capturingFetch, OpenAiDeclaredTypes } from './support/openai-capture';
import { LIBRIVOX_DIR, librivoxSamples } from './support/speech';
import { startTestApp, type TestApp } from './support/test-app';
import { corpusWer } from './support/wer';

jest.setTimeout(180_000);

/** Two LibriVox sentences with 1.2 s of silence between: real speech, two speech spans. */
function twoSentences(): { file: string; reference: string } {
  const [a, b] = librivoxSamples().filter((s) => s.id.endsWith('0880') || s.id.endsWith('0930'));
  const dir = mkdtempSync(join(tmpdir(), 'asr-openai-audio-'));
  const padded = join(dir, 'first-then-silence.wav');
  const file = join(dir, 'two.wav');
  execFileSync('sox', [a!.file, padded, 'pad', '0', '1.2']);
  execFileSync('sox', [padded, join(LIBRIVOX_DIR, `${b!.id}.wav`), file]);
  return { file, reference: `${a!.reference} ${b!.reference}` };
}

interface NativeSegment {
  id: number;
  text: string;
  start: number;
  avgLogprob?: number;
  noSpeechProb?: number;
  words?: { word: string; confidence?: number }[];
}

/** OpenAI's error code and message of a refused call. */
async function refusal(call: Promise<unknown>): Promise<{ code: unknown; message: string }> {
  const error: unknown = await call.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(BadRequestError);
  return { code: (error as BadRequestError).code, message: (error as BadRequestError).message };
}

describe('the rest of OpenAI’s audio REST API on the embedded engine, through the official SDK', () => {
  let t: TestApp;
  let client: OpenAI;
  let audio: { file: string; reference: string };
  const captured: Promise<CapturedResponse>[] = [];
  // A File, not a stream: the SDK then sends a FormData the capture can read the asked format from.
  const file = (): ReturnType<typeof toFile> => toFile(readFileSync(audio.file), 'two.wav', { type: 'audio/wav' });
  const wer = (hypothesis: string): number => corpusWer([{ reference: audio.reference, hypothesis }]);
  const transcribe = async (params: Omit<TranscriptionCreateParams, 'file' | 'model'>): Promise<unknown> =>
    client.audio.transcriptions.create({
      file: await file(),
      model: 'whisper-1',
      ...params,
    } as TranscriptionCreateParams);

  beforeAll(async () => {
    t = await startTestApp();
    client = new OpenAI({
      baseURL: `${t.url}/v1`,
      apiKey: 'not-needed-locally',
      maxRetries: 0,
      fetch: capturingFetch(captured),
    });
    audio = twoSentences();
  });
  afterAll(() => t.close());

  it('json carries usage by duration, and the engine’s word confidences as logprobs when asked', async () => {
    const plain = await client.audio.transcriptions.create({ file: await file(), model: 'whisper-1' });
    expect(wer(plain.text)).toBeLessThan(45);
    expect(plain.usage).toEqual({ type: 'duration', seconds: expect.any(Number) as number });
    expect((plain.usage as { seconds: number }).seconds).toBeGreaterThan(5);
    expect(plain).not.toHaveProperty('logprobs');

    const scored = await client.audio.transcriptions.create({
      file: await file(),
      model: 'whisper-1',
      include: ['logprobs'],
    });
    expect(scored.text).toBe(plain.text);
    const logprobs = scored.logprobs!;
    expect(logprobs.map((l) => l.token).join('')).toBe(scored.text);
    expect(logprobs).toHaveLength(scored.text.split(' ').length);
    for (const { token, logprob, bytes } of logprobs) {
      expect(bytes).toEqual([...Buffer.from(token!, 'utf8')]);
      expect(logprob).toBeLessThanOrEqual(0);
    }
    // Confidences of a clean recording: most words well above chance, so the mean log is not far below 0.
    const mean = logprobs.reduce((sum, l) => sum + l.logprob!, 0) / logprobs.length;
    expect(mean).toBeGreaterThan(-3);
    expect(mean).toBeLessThan(0);
  });

  it('verbose_json segments: every field OpenAI requires, each from the engine, the VAD or the text', async () => {
    const form = new FormData();
    form.append('timestamps', 'word');
    form.append('file', new Blob([readFileSync(audio.file)], { type: 'audio/wav' }), 'two.wav');
    const native = (await (await fetch(`${t.url}/api/v1/transcribe`, { method: 'POST', body: form })).json()) as {
      segments: NativeSegment[];
    };
    const verbose = await client.audio.transcriptions.create({
      file: await file(),
      model: 'whisper-1',
      response_format: 'verbose_json',
    });
    expect(verbose.usage).toEqual({ type: 'duration', seconds: verbose.duration });
    const segments = verbose.segments!;
    expect(segments.length).toBeGreaterThanOrEqual(2);
    expect(segments.map((s) => s.text)).toEqual(native.segments.map((s) => s.text));
    for (const [i, segment] of segments.entries()) {
      const words = native.segments[i]!.words!;
      const meanLog = words.reduce((sum, w) => sum + Math.log(Math.max(0.0005, w.confidence!)), 0) / words.length;
      const bytes = Buffer.from(segment.text, 'utf8');
      expect(segment).toMatchObject({ id: i, seek: Math.round(segment.start * 100), tokens: [], temperature: 0 });
      expect(segment.avg_logprob).toBeCloseTo(meanLog, 3);
      expect(segment.avg_logprob).toBeLessThan(0);
      expect(segment.compression_ratio).toBeCloseTo(bytes.length / deflateSync(bytes).length, 3);
      // Speech the VAD found: a small, but not a made-up zero, probability of no speech.
      expect(segment.no_speech_prob).toBeGreaterThan(0);
      expect(segment.no_speech_prob).toBeLessThan(0.5);
      expect(segment.no_speech_prob).toBe(native.segments[i]!.noSpeechProb);
    }
  });

  it('stream: true with include[]=logprobs: deltas and done carry them; done carries no usage the SDK cannot type', async () => {
    const stream = (await transcribe({ stream: true, include: ['logprobs'] })) as AsyncIterable<{
      type: string;
      delta?: string;
      text?: string;
      logprobs?: { token?: string }[];
      usage?: unknown;
    }>;
    const deltas: { delta: string; tokens: string }[] = [];
    let done: { text?: string; logprobs?: { token?: string }[]; usage?: unknown } | undefined;
    for await (const event of stream) {
      if (event.type === 'transcript.text.delta')
        deltas.push({ delta: event.delta!, tokens: event.logprobs!.map((l) => l.token).join('') });
      if (event.type === 'transcript.text.done') done = event;
    }
    expect(deltas.length).toBeGreaterThanOrEqual(2);
    for (const { delta, tokens } of deltas) expect(tokens).toBe(delta);
    expect(done!.text).toBe(deltas.map((d) => d.delta).join(''));
    expect(done!.logprobs!.map((l) => l.token).join('')).toBe(done!.text);
    expect(wer(done!.text!)).toBeLessThan(45);
    // TranscriptionTextDoneEvent's usage is token usage only; the embedded engine bills none.
    expect(done).not.toHaveProperty('usage');
  });

  it('chunking_strategy server_vad: silence_duration_ms longer than the pause keeps the two sentences one chunk', async () => {
    const deltasWith = async (chunking: TranscriptionCreateParams['chunking_strategy']): Promise<number> => {
      const stream = (await transcribe({ stream: true, chunking_strategy: chunking })) as AsyncIterable<{
        type: string;
      }>;
      let deltas = 0;
      for await (const event of stream) if (event.type === 'transcript.text.delta') deltas += 1;
      return deltas;
    };
    // The embedded engine gets each speech span as a chunk of its own: one delta each.
    expect(await deltasWith('auto')).toBe(2);
    expect(await deltasWith({ type: 'server_vad', silence_duration_ms: 2000, prefix_padding_ms: 300 })).toBe(1);
  });

  it('refuses a bad chunking_strategy, diarization and logprobs beside verbose_json with 400s that say why', async () => {
    expect(await refusal(transcribe({ chunking_strategy: { type: 'server_vad', threshold: 2 } }))).toEqual({
      code: 'validation_failed',
      message: '400 chunking_strategy.threshold must be a number from 0 to 1 (got "2")',
    });
    expect((await refusal(transcribe({ chunking_strategy: 'later' as 'auto' }))).message).toMatch(
      /chunking_strategy must be "auto" or a server_vad object/,
    );
    const diarized = await refusal(transcribe({ response_format: 'diarized_json' }));
    expect(diarized.code).toBe('diarization_unsupported');
    expect(diarized.message).toMatch(/embedded engine cannot tell speakers apart.*gpt-4o-transcribe-diarize/);
    expect(
      (
        await refusal(
          transcribe({ known_speaker_names: ['agent'], known_speaker_references: ['data:audio/wav;base64,AA'] }),
        )
      ).code,
    ).toBe('diarization_unsupported');
    expect((await refusal(transcribe({ response_format: 'verbose_json', include: ['logprobs'] }))).message).toMatch(
      /include\[\]=logprobs comes with response_format=json only/,
    );
  });

  it('translations: English audio comes back as its transcript, in json, verbose_json and srt', async () => {
    const translate = async (format?: TranslationCreateParams['response_format']): Promise<unknown> =>
      client.audio.translations.create({
        file: await file(),
        model: 'whisper-1',
        ...(format ? { response_format: format } : {}),
      });
    const json = (await translate()) as { text: string };
    expect(wer(json.text)).toBeLessThan(45);
    const verbose = (await translate('verbose_json')) as {
      task: string;
      language: string;
      text: string;
      segments: { avg_logprob: number; no_speech_prob: number; seek: number; start: number }[];
    };
    expect(verbose).toMatchObject({ task: 'translate', language: 'english', text: json.text });
    expect(verbose).not.toHaveProperty('words');
    expect(verbose.segments.length).toBeGreaterThanOrEqual(2);
    for (const segment of verbose.segments) {
      expect(segment.seek).toBe(Math.round(segment.start * 100));
      expect(segment.avg_logprob).toBeLessThan(0);
      expect(segment.no_speech_prob).toBeGreaterThan(0);
    }
    // Text formats are the transcription's (test/openai-sdk.e2e-spec.ts); one shows the route answers them.
    const cues = parseSync((await translate('srt')) as string).flatMap((n) => (n.type === 'cue' ? [n.data] : []));
    expect(cues.map((c) => c.text).join(' ')).toBe(json.text);
  });

  it('translations from another language: a 400 saying the embedded engine cannot translate', async () => {
    // `language` is not one of OpenAI's translation fields; a client that knows the source may send it.
    const params = { file: await file(), model: 'whisper-1', language: 'fr' } as TranslationCreateParams;
    const refused = await refusal(client.audio.translations.create(params));
    expect(refused.code).toBe('unsupported_language');
    expect(refused.message).toMatch(/the embedded engine cannot translate: it recognises English only/);
  });

  it('lists the model', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['pocketsphinx-en-us']);
  });

  it('every response captured has each field the SDK’s types mark required, with its declared type', async () => {
    const responses = await Promise.all(captured);
    const types = new OpenAiDeclaredTypes();
    const { problems, checked } = types.check(responses);
    expect(problems).toEqual([]);
    // Every kind of body this file asked for was seen and checked.
    for (const type of [
      'Transcription',
      'TranscriptionVerbose',
      'TranscriptionTextDeltaEvent',
      'TranscriptionTextDoneEvent',
      'Translation',
      'TranslationVerbose',
      'ErrorObject',
      'Model',
    ])
      expect({ type, checked: checked[type] ?? 0 }).toEqual({ type, checked: expect.any(Number) as number });
    expect(Object.values(checked).every((n) => n > 0)).toBe(true);
    // The check can fail: a verbose segment without avg_logprob, or with a text for its seek, is caught.
    const verbose = responses.find((r) => r.format === 'verbose_json' && r.path.endsWith('/transcriptions'))!;
    const broken = JSON.parse(verbose.body) as { segments: Record<string, unknown>[] };
    delete broken.segments[0]!.avg_logprob;
    broken.segments[1]!.seek = '12';
    expect(types.violations(broken, 'TranscriptionVerbose').sort()).toEqual([
      'TranscriptionVerbose.segments[0].avg_logprob: required, missing',
      'TranscriptionVerbose.segments[1].seek: expected a number, got string',
    ]);
  });
});
