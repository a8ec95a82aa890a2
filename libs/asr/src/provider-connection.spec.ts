import { loadConfigOrThrow } from '@asr/config';
import { type Behaviour, FakeOpenAi } from '../../../test/support/fake-openai';
import { checkProviderConnection } from './provider-connection';
import { remoteProviderSettings } from './remote-provider-settings';

const fake = new FakeOpenAi();
beforeAll(() => fake.start());
afterEach(() => fake.reset());
afterAll(() => fake.stop());

const compatible = (baseUrl = fake.url) =>
  loadConfigOrThrow({
    ASR_PROVIDER: 'openai-compatible',
    ASR_BASE_URL: baseUrl,
    ASR_MODEL: 'whisper-x',
    ASR_API_KEY: 'k1',
  });

const models = (...ids: string[]): Behaviour => ({
  kind: 'json',
  body: { object: 'list', data: ids.map((id) => ({ id, object: 'model' })) },
});

describe('checkProviderConnection', () => {
  it('has nothing to connect to for the embedded engine', async () => {
    await expect(checkProviderConnection(loadConfigOrThrow({}))).resolves.toEqual({
      verdict: 'ok',
      message: 'local engine: no remote provider to connect to',
    });
    expect(fake.seen).toHaveLength(0);
  });

  it.each<[string, Behaviour, string, RegExp]>([
    ['the model is listed', models('whisper-x', 'other'), 'ok', /key accepted \(2 models listed\)/],
    ['no models are listed', models(), 'ok', /key accepted \(0 models listed\)/],
    ['the model is not listed', models('other'), 'warning', /model "whisper-x" is not among 1 listed models/],
    ['the key is refused', { kind: 'status', status: 401 }, 'failed', /the API key was rejected \(HTTP 401\)/],
    ['the key may not list', { kind: 'status', status: 403 }, 'failed', /the API key was rejected \(HTTP 403\)/],
    ['there is no /models', { kind: 'status', status: 404 }, 'warning', /serves no \/models/],
    ['the server fails', { kind: 'status', status: 500, message: 'boom' }, 'failed', /HTTP 500: .*boom/],
  ])('says %s', async (_case, behaviour, verdict, message) => {
    fake.will(behaviour);
    const report = await checkProviderConnection(compatible());
    expect(report.verdict).toBe(verdict);
    expect(report.message).toMatch(message);
    expect(report.message.startsWith(`openai-compatible at ${fake.url}: `)).toBe(true);
    expect(fake.seen).toMatchObject([{ method: 'GET', path: '/v1/models', authorization: 'Bearer k1' }]);
  });

  it('gives up after its timeout, once', async () => {
    fake.will({ kind: 'hang' });
    const report = await checkProviderConnection(compatible(), 50);
    expect(report).toEqual({ verdict: 'failed', message: `openai-compatible at ${fake.url}: no answer within 0.05s` });
    expect(fake.seen).toHaveLength(1);
  });

  it('fails when nothing listens', async () => {
    const report = await checkProviderConnection(compatible('http://127.0.0.1:1/v1'));
    expect(report.verdict).toBe('failed');
    expect(report.message).toMatch(/^openai-compatible at http:\/\/127\.0\.0\.1:1\/v1: connection failed/);
  });
});

describe('remoteProviderSettings', () => {
  it.each([
    [{ ASR_PROVIDER: 'local' }, undefined],
    [
      { ASR_PROVIDER: 'openai', OPENAI_API_KEY: 'o' },
      { apiKey: 'o', baseUrl: 'https://api.openai.com/v1' },
    ],
    [
      { ASR_PROVIDER: 'fireworks', FIREWORKS_API_KEY: 'f' },
      { apiKey: 'f', model: 'whisper-v3' },
    ],
    [
      { ASR_PROVIDER: 'openai-compatible', ASR_BASE_URL: 'http://h/v1' },
      { apiKey: undefined, baseUrl: 'http://h/v1' },
    ],
  ])('for %j is %j', (env, expected) => {
    const settings = remoteProviderSettings(loadConfigOrThrow(env));
    if (expected === undefined) expect(settings).toBeUndefined();
    else expect(settings).toMatchObject(expected);
  });
});
