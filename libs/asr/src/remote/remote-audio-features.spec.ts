import { Logger } from '@nestjs/common';
import { TARGET_SAMPLE_RATE } from '@asr/audio';
import { FakeOpenAi } from '../../../../test/support/fake-openai';
import { OpenAiCompatibleProvider, type RemoteProviderOptions } from './openai-compatible-provider';
import { remoteFormat } from './remote-request';

const fake = new FakeOpenAi();

function provider(overrides: Partial<RemoteProviderOptions> = {}, model = 'whisper-test'): OpenAiCompatibleProvider {
  return new OpenAiCompatibleProvider({
    name: 'openai-compatible',
    endpoint: { apiKey: 'sk-test', baseUrl: fake.url, model },
    timeoutS: 5,
    maxRetries: 0,
    concurrency: 1,
    breaker: { failures: 5, cooldownS: 60 },
    ...overrides,
  });
}

const twoSeconds = new Float32Array(2 * TARGET_SAMPLE_RATE);

beforeAll(async () => {
  Logger.overrideLogger(false);
  await fake.start();
});
afterEach(() => fake.reset());
afterAll(() => fake.stop());

describe('OpenAiCompatibleProvider: the rest of OpenAI’s audio API', () => {
  it('translates through POST /audio/translations with OpenAI’s translation fields only', async () => {
    const result = await provider().transcribe(twoSeconds, {
      wordTimestamps: true,
      task: 'translate',
      language: 'fr',
      prompt: 'In English',
      temperature: 0,
    });
    expect(fake.seen[0]).toMatchObject({ path: '/v1/audio/translations', file: { name: 'audio.wav' } });
    expect(fake.seen[0]!.fields).toEqual({
      model: ['whisper-test'],
      response_format: ['verbose_json'],
      prompt: ['In English'],
      temperature: ['0'],
    });
    expect(result).toMatchObject({ text: 'hello from the fake provider', language: 'en' });
  });

  it('passes a Whisper server’s own segment figures on', async () => {
    fake.will({ kind: 'ok', stats: true });
    const result = await provider().transcribe(twoSeconds, { wordTimestamps: false });
    expect(result.segments[0]).toMatchObject({
      avgLogprob: -0.25,
      noSpeechProb: 0.02,
      compressionRatio: 1.1,
      temperature: 0.2,
      tokens: [50364, 2425, 50414],
    });
  });

  it('asks for json with include[]=logprobs when logprobs are wanted, and gives the server’s tokens and usage', async () => {
    const result = await provider().transcribe(twoSeconds, { wordTimestamps: false, logprobs: true, language: 'en' });
    expect(fake.seen[0]!.fields).toEqual({
      model: ['whisper-test'],
      response_format: ['json'],
      language: ['en'],
      'include[]': ['logprobs'],
    });
    expect(result.logprobs!.map((t) => t.token).join('')).toBe('hello from the fake provider');
    expect(result.logprobs![1]).toEqual({ token: ' from', logprob: -0.1, bytes: [...Buffer.from(' from')] });
    expect(result.usage).toEqual({ inputTokens: 40, outputTokens: 5, totalTokens: 45 });
    // json has no segments: one spans the chunk.
    expect(result.segments).toEqual([{ start: 0, end: 2, text: 'hello from the fake provider' }]);
  });

  it('asks a diarizing model for diarized_json with the known speakers, and gives the speaker labels', async () => {
    const references = ['data:audio/wav;base64,AAAA', 'data:audio/wav;base64,BBBB'];
    const result = await provider({}, 'gpt-4o-transcribe-diarize').transcribe(twoSeconds, {
      wordTimestamps: false,
      diarize: { knownSpeakers: { names: ['agent', 'customer'], references } },
    });
    expect(fake.seen[0]!.fields).toEqual({
      model: ['gpt-4o-transcribe-diarize'],
      response_format: ['diarized_json'],
      chunking_strategy: ['auto'],
      'known_speaker_names[]': ['agent', 'customer'],
      'known_speaker_references[]': references,
    });
    expect(result.segments.map((s) => [s.speaker, s.text])).toEqual([
      ['agent', 'hello from the'],
      ['customer', 'fake provider'],
    ]);
    expect(result.usage).toBeUndefined();
  });

  it('chooses the format by the request and the model', () => {
    const plain = { wordTimestamps: false };
    expect(remoteFormat(plain, 'whisper-1')).toBe('verbose_json');
    expect(remoteFormat(plain, 'gpt-4o-transcribe')).toBe('json');
    expect(remoteFormat(plain, 'gpt-4o-mini-transcribe-2025-12-15')).toBe('json');
    expect(remoteFormat(plain, 'gpt-4o-transcribe-diarize')).toBe('diarized_json');
    expect(remoteFormat({ ...plain, diarize: {} }, 'my-server-model')).toBe('diarized_json');
    expect(remoteFormat({ ...plain, logprobs: true }, 'whisper-1')).toBe('json');
    expect(remoteFormat({ ...plain, task: 'translate' }, 'gpt-4o-transcribe')).toBe('verbose_json');
  });

  it('says what each provider can do beyond transcription', () => {
    expect(provider({ name: 'openai' }).capabilities).toMatchObject({
      translation: 'remote',
      diarization: 'diarize-models',
    });
    expect(provider({ name: 'fireworks' }).capabilities).toMatchObject({ translation: 'remote', diarization: 'none' });
    expect(provider().capabilities).toMatchObject({ translation: 'remote', diarization: 'any-model' });
  });
});
