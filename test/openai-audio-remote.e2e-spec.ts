import { readFileSync } from 'node:fs';
import OpenAI, { BadRequestError, toFile } from 'openai';
import type { TranscriptionCreateParams } from 'openai/resources/audio/transcriptions';
import type { TranslationVerbose } from 'openai/resources/audio/translations';
import { FakeOpenAi, withFakeProvider } from './support/fake-openai';
import { type CapturedResponse, capturingFetch, OpenAiDeclaredTypes } from './support/openai-capture';
import { librivoxSamples } from './support/speech';
import { startTestApp, type TestApp } from './support/test-app';

jest.setTimeout(120_000);

/** One LibriVox sentence: the VAD finds speech, so the remote server gets one chunk. */
const SPEECH = readFileSync(librivoxSamples()[1]!.file);
const FAKE_TEXT = 'hello from the fake provider';
const REFERENCES = ['data:audio/wav;base64,UklGRiQAAABXQVZF', 'data:audio/mpeg;base64,SUQzBAAAAAAA'];
const captured: Promise<CapturedResponse>[] = [];

function sdk(t: TestApp): OpenAI {
  return new OpenAI({ baseURL: `${t.url}/v1`, apiKey: 'unused', maxRetries: 0, fetch: capturingFetch(captured) });
}

const speech = (): ReturnType<typeof toFile> => toFile(SPEECH, 'speech.wav', { type: 'audio/wav' });

async function events(stream: unknown): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const event of stream as AsyncIterable<Record<string, unknown>>) out.push(event);
  return out;
}

describe('the rest of OpenAI’s audio REST API passed to an OpenAI-compatible server', () => {
  const { fake, app } = withFakeProvider({ ASR_MODEL: 'whisper-large-v3' });
  let client: OpenAI;
  const transcribe = async (params: Omit<TranscriptionCreateParams, 'file' | 'model'>): Promise<unknown> =>
    client.audio.transcriptions.create({
      file: await speech(),
      model: 'whisper-1',
      ...params,
    } as TranscriptionCreateParams);
  beforeAll(() => {
    client = sdk(app());
  });
  beforeEach(() => fake.reset());

  it('translations go to the server’s /audio/translations and come back in OpenAI’s shapes', async () => {
    const json = await client.audio.translations.create({ file: await speech(), model: 'whisper-1', prompt: 'Names' });
    expect(json.text).toBe(FAKE_TEXT);
    expect(fake.seen).toHaveLength(1);
    expect(fake.seen[0]).toMatchObject({
      path: '/v1/audio/translations',
      fields: { model: ['whisper-1'], response_format: ['verbose_json'], prompt: ['Names'] },
    });
    const verbose = (await client.audio.translations.create({
      file: await speech(),
      model: 'whisper-1',
      response_format: 'verbose_json',
    })) as TranslationVerbose;
    expect(verbose).toMatchObject({ task: 'translate', language: 'english', text: FAKE_TEXT });
    expect(verbose.segments).toHaveLength(1);
  });

  it('verbose_json passes the server’s own segment figures on; seek is the recording’s', async () => {
    fake.will({ kind: 'ok', stats: true });
    const verbose = await client.audio.transcriptions.create({
      file: await speech(),
      model: 'whisper-1',
      response_format: 'verbose_json',
    });
    const [segment] = verbose.segments!;
    expect(segment).toMatchObject({
      avg_logprob: -0.25,
      no_speech_prob: 0.02,
      compression_ratio: 1.1,
      temperature: 0.2,
      tokens: [50364, 2425, 50414],
      seek: Math.round(segment!.start * 100),
    });
    expect(verbose.usage).toEqual({ type: 'duration', seconds: verbose.duration });
  });

  it('a server that reports no figures: no_speech_prob from the VAD, compression ratio from the text', async () => {
    const verbose = await client.audio.transcriptions.create({
      file: await speech(),
      model: 'whisper-1',
      response_format: 'verbose_json',
    });
    const [segment] = verbose.segments!;
    expect(segment!.no_speech_prob).toBeGreaterThan(0);
    expect(segment!.no_speech_prob).toBeLessThan(0.5);
    // Nothing scored the text: the value at which Whisper's rules neither trust nor drop a segment (README).
    expect(segment).toMatchObject({ tokens: [], temperature: 0, avg_logprob: -1 });
    expect(segment!.compression_ratio).toBeGreaterThan(0.5);
  });

  it('include[]=logprobs asks the server for json with logprobs and gives its tokens and token usage', async () => {
    const json = await client.audio.transcriptions.create({
      file: await speech(),
      model: 'whisper-1',
      include: ['logprobs'],
    });
    expect(fake.seen[0]!.fields).toMatchObject({ response_format: ['json'], 'include[]': ['logprobs'] });
    expect(json.logprobs!.map((l) => l.token).join('')).toBe(FAKE_TEXT);
    expect(json.logprobs![0]).toEqual({ token: 'hello', logprob: -0.05, bytes: [...Buffer.from('hello')] });
    expect(json.usage).toEqual({ type: 'tokens', input_tokens: 40, output_tokens: 5, total_tokens: 45 });
    const plain = await client.audio.transcriptions.create({ file: await speech(), model: 'whisper-1' });
    expect(plain.usage).toEqual({ type: 'duration', seconds: expect.any(Number) as number });
  });

  it('stream: true: done carries the logprobs and the token usage the server reported', async () => {
    const all = await events(await transcribe({ stream: true, include: ['logprobs'] }));
    expect(all.map((e) => e.type)).toEqual(['transcript.text.delta', 'transcript.text.done']);
    expect(all[1]).toMatchObject({
      text: FAKE_TEXT,
      usage: { type: 'tokens', input_tokens: 40, output_tokens: 5, total_tokens: 45 },
    });
    expect((all[1]!.logprobs as { token: string }[]).map((l) => l.token).join('')).toBe(FAKE_TEXT);
  });

  it('diarized_json with known speakers is passed on, and the server’s speaker labels come back', async () => {
    const body = (await transcribe({
      response_format: 'diarized_json',
      known_speaker_names: ['agent', 'customer'],
      known_speaker_references: REFERENCES,
    })) as { segments: { speaker: string; text: string; type: string; id: string }[]; task: string };
    expect(fake.seen[0]!.fields).toMatchObject({
      response_format: ['diarized_json'],
      chunking_strategy: ['auto'],
      'known_speaker_names[]': ['agent', 'customer'],
      'known_speaker_references[]': REFERENCES,
    });
    expect(body.task).toBe('transcribe');
    expect(body.segments.map((s) => [s.speaker, s.text])).toEqual([
      ['agent', 'hello from the'],
      ['customer', 'fake provider'],
    ]);
    const streamed = await events(await transcribe({ response_format: 'diarized_json', stream: true }));
    expect(streamed.filter((e) => e.type === 'transcript.text.segment').map((e) => e.speaker)).toEqual(['A', 'B']);
  });

  it('refuses a speaker sample longer than a form field may be, rather than pass it on cut', async () => {
    const long = `data:audio/wav;base64,${Buffer.alloc(70 * 1024).toString('base64')}`;
    const error: unknown = await transcribe({
      response_format: 'diarized_json',
      known_speaker_names: ['agent'],
      known_speaker_references: [long],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error).toMatchObject({ status: 413, code: 'field_too_large' });
    expect((error as Error).message).toMatch(
      /known_speaker_references\[\]" is longer than a form field may be \(64 KiB\)/,
    );
    expect(fake.seen).toHaveLength(0);
  });
});

describe('diarization with ASR_PROVIDER=openai: the diarizing model only', () => {
  const fake = new FakeOpenAi();
  let t: TestApp;
  let client: OpenAI;
  beforeAll(async () => {
    await fake.start();
    t = await startTestApp({ env: { ASR_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-openai', OPENAI_BASE_URL: fake.url } });
    client = sdk(t);
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
  });

  it('refuses diarized_json for whisper-1 before any call, naming the model that diarizes', async () => {
    const error: unknown = await client.audio.transcriptions
      .create({ file: await speech(), model: 'whisper-1', response_format: 'diarized_json' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).code).toBe('diarization_unsupported');
    expect((error as BadRequestError).message).toMatch(
      /"whisper-1" does not label speakers.*gpt-4o-transcribe-diarize/,
    );
    expect(fake.seen).toHaveLength(0);
  });

  it('passes gpt-4o-transcribe-diarize on, with diarized_json even for a json answer', async () => {
    const json = await client.audio.transcriptions.create({ file: await speech(), model: 'gpt-4o-transcribe-diarize' });
    expect(json.text).toBe(FAKE_TEXT);
    expect(fake.seen[0]!.fields).toMatchObject({
      model: ['gpt-4o-transcribe-diarize'],
      response_format: ['diarized_json'],
      chunking_strategy: ['auto'],
    });
  });
});

describe('every /v1 response captured above', () => {
  it('has each field the SDK’s types mark required, with its declared type', async () => {
    const responses = await Promise.all(captured);
    const { problems, checked } = new OpenAiDeclaredTypes().check(responses);
    expect(problems).toEqual([]);
    for (const type of [
      'Transcription',
      'TranscriptionVerbose',
      'TranscriptionDiarized',
      'TranscriptionTextDeltaEvent',
      'TranscriptionTextDoneEvent',
      'TranscriptionTextSegmentEvent',
      'Translation',
      'TranslationVerbose',
      'ErrorObject',
    ])
      expect({ type, seen: (checked[type] ?? 0) > 0 }).toEqual({ type, seen: true });
  });
});
