import { Logger } from '@nestjs/common';
import { loadConfigOrThrow, type RawEnvironment } from '@asr/config';
import { FakeOpenAi } from '../../../test/support/fake-openai';
import type { AsrProvider } from './asr-provider';
import { createAsrProvider } from './asr-provider.factory';
import { FallbackProvider } from './fallback-provider';
import { LocalPocketSphinxProvider } from './local/local-provider';
import { OpenAiCompatibleProvider } from './remote/openai-compatible-provider';

/** Models that are not there: the embedded engine's load fails at once instead of costing CPU here. */
const NO_MODELS = { POCKETSPHINX_HMM: '/nonexistent/hmm', LOCAL_ASR_CONCURRENCY: '1' };

const opened: AsrProvider[] = [];
function create(env: RawEnvironment): AsrProvider {
  const provider = createAsrProvider(loadConfigOrThrow({ ...NO_MODELS, ...env }));
  opened.push(provider);
  return provider;
}

beforeAll(() => {
  Logger.overrideLogger(false);
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((provider) => provider.close()));
});

describe('createAsrProvider', () => {
  it('makes the embedded engine for ASR_PROVIDER=local and starts loading it at once', async () => {
    const provider = create({ ASR_PROVIDER: 'local' });
    expect(provider).toBeInstanceOf(LocalPocketSphinxProvider);
    expect(provider.capabilities.parallelCalls).toBe(1);
    // Nobody called load(): the factory did, so readiness settles (here: with the load error).
    await provider.whenReady();
    expect(provider.health()).toMatchObject({
      status: 'down',
      message: expect.stringContaining('/nonexistent/hmm') as string,
    });
  });

  it.each([
    [
      { ASR_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-o', OPENAI_MODEL: 'whisper-1' },
      'openai',
      'whisper-1',
      'https://api.openai.com/v1',
    ],
    [
      { ASR_PROVIDER: 'fireworks', FIREWORKS_API_KEY: 'fw' },
      'fireworks',
      'whisper-v3',
      'https://audio-prod.us-virginia-1.direct.fireworks.ai/v1',
    ],
    [
      { ASR_PROVIDER: 'openai-compatible', ASR_BASE_URL: 'http://10.0.0.5:9000/v1', ASR_MODEL: 'large-v3' },
      'openai-compatible',
      'large-v3',
      'http://10.0.0.5:9000/v1',
    ],
  ])('makes a remote provider on its own endpoint for %j', (env, name, model, baseUrl) => {
    const provider = create(env);
    expect(provider).toBeInstanceOf(OpenAiCompatibleProvider);
    expect([provider.name, provider.defaultModel]).toEqual([name, model]);
    expect(provider.health()).toMatchObject({ status: 'up', provider: name, model, baseUrl });
  });

  it('passes ASR_CONCURRENCY to a remote provider', () => {
    const provider = create({
      ASR_PROVIDER: 'openai-compatible',
      ASR_BASE_URL: 'http://127.0.0.1:1/v1',
      ASR_CONCURRENCY: '3',
    });
    expect(provider.capabilities.parallelCalls).toBe(3);
  });

  it('puts ASR_FALLBACK_PROVIDER behind the primary', async () => {
    const provider = create({
      ASR_PROVIDER: 'openai-compatible',
      ASR_BASE_URL: 'http://127.0.0.1:1/v1',
      ASR_FALLBACK_PROVIDER: 'local',
    });
    expect(provider).toBeInstanceOf(FallbackProvider);
    expect(provider.name).toBe('openai-compatible');
    await provider.whenReady();
    expect(provider.health()).toMatchObject({ status: 'up', fallback: 'local', fallbackStatus: 'down' });
  });

  it('gives the remote provider the configured key, model, retries and breaker: real calls show them', async () => {
    const fake = new FakeOpenAi();
    await fake.start();
    try {
      fake.will({ kind: 'status', status: 503, retryAfter: '0' }, { kind: 'status', status: 503, retryAfter: '0' });
      const provider = create({
        ASR_PROVIDER: 'openai-compatible',
        ASR_BASE_URL: fake.url,
        ASR_API_KEY: 'compat-key',
        ASR_MODEL: 'm-1',
        ASR_MAX_RETRIES: '1',
        ASR_BREAKER_FAILURES: '1',
      });
      await expect(provider.transcribe(new Float32Array(160), { wordTimestamps: false })).rejects.toMatchObject({
        code: 'provider_unavailable',
      });
      const request = { authorization: 'Bearer compat-key', fields: { model: ['m-1'] } };
      expect(fake.seen).toMatchObject([request, request]);
      expect(provider.health()).toMatchObject({ circuit: 'open' });
    } finally {
      await fake.stop();
    }
  });
});
