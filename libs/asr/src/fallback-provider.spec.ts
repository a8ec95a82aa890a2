import { TARGET_SAMPLE_RATE } from '@asr/audio';
import {
  type ScriptedAnswer,
  ScriptedProvider,
  type ScriptedProviderOptions,
} from '../../../test/support/scripted-provider';
import { AsrError, CircuitOpenError } from './asr-error';
import { FallbackProvider } from './fallback-provider';

const samples = new Float32Array(TARGET_SAMPLE_RATE);
const options = { wordTimestamps: false, model: 'primary-model', language: 'en' };

function pair(primaryAnswer: ScriptedProviderOptions, fallbackAnswers: ScriptedAnswer[] = [{ text: 'b' }]) {
  const primary = new ScriptedProvider({ name: 'openai', ...primaryAnswer });
  const fallback = new ScriptedProvider({ name: 'local', answers: fallbackAnswers });
  return { primary, fallback, provider: new FallbackProvider(primary, fallback) };
}

describe('FallbackProvider', () => {
  it('is the primary to the outside: its name, model and capabilities', () => {
    const { provider, primary } = pair({ answers: [], capabilities: { parallelCalls: 9 } });
    expect(provider.name).toBe('openai');
    expect(provider.defaultModel).toBe(primary.defaultModel);
    expect(provider.capabilities.parallelCalls).toBe(9);
  });

  it('answers from the primary while it works, without calling the fallback', async () => {
    const { provider, fallback } = pair({ answers: [{ text: 'from the primary' }] });
    const result = await provider.transcribe(samples, options);
    expect(result.text).toBe('from the primary');
    expect(result.provider).toBeUndefined();
    expect(fallback.calls).toHaveLength(0);
  });

  it('sends a call the open circuit refuses to the fallback, with the fallback’s own model, marked with its name', async () => {
    const { provider, primary, fallback } = pair({
      answers: [{ error: new CircuitOpenError('circuit open', 3) }],
    });
    const result = await provider.transcribe(samples, options);
    expect(result).toMatchObject({ text: 'b', provider: 'local' });
    expect(primary.calls).toHaveLength(1);
    expect(fallback.calls).toHaveLength(1);
    expect(fallback.calls[0]!.options).toEqual({ wordTimestamps: false, language: 'en' });
    expect(fallback.calls[0]!.samples).toEqual(samples);
  });

  it.each([
    ['a provider error', new AsrError('provider_error', 'upstream 500')],
    ['a timeout', new AsrError('provider_timeout', 'too slow')],
    ['a cancelled request', new AsrError('cancelled', 'gone')],
    ['a plain error', new Error('bug')],
  ])('passes on %s from the primary without retrying it on the fallback', async (_kind, error) => {
    const { provider, fallback } = pair({ answers: [{ error }] });
    await expect(provider.transcribe(samples, options)).rejects.toBe(error);
    expect(fallback.calls).toHaveLength(0);
  });

  it('passes on the fallback’s own failure', async () => {
    const failure = new AsrError('engine_busy', 'busy', 2);
    const { provider } = pair({ answers: [{ error: new CircuitOpenError('open', 1) }] }, [{ error: failure }]);
    await expect(provider.transcribe(samples, options)).rejects.toBe(failure);
  });

  it('opens live utterances on the primary only', () => {
    const live = pair({ answers: [], live: { partial: () => 'partial' } });
    expect(live.provider.tryOpenLive(options)).toBeDefined();
    expect(live.primary.liveOpened).toBe(1);
    const remote = pair({ answers: [] });
    expect(remote.provider.tryOpenLive(options)).toBeUndefined();
  });

  it('reports the primary’s health with the fallback’s beside it, and waits for and closes both', async () => {
    const primary = new ScriptedProvider({
      name: 'openai',
      answers: [],
      health: { status: 'degraded', circuit: 'open' },
    });
    const fallback = new ScriptedProvider({ name: 'local', answers: [], health: { status: 'down' } });
    const provider = new FallbackProvider(primary, fallback);
    expect(provider.health()).toEqual({
      status: 'degraded',
      circuit: 'open',
      fallback: 'local',
      fallbackStatus: 'down',
    });
    await expect(provider.whenReady()).resolves.toBeUndefined();
    await provider.close();
    expect([primary.closed, fallback.closed]).toEqual([true, true]);
  });
});
