import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { AsrError, type AsrErrorCode, CircuitOpenError } from '../asr-error';
import { ProviderCircuit } from './provider-circuit';

const fail = (code: AsrErrorCode) => (): Promise<never> => Promise.reject(new AsrError(code, code));
const ok = (): Promise<string> => Promise.resolve('ok');

/** Runs `times` failing calls through the circuit, swallowing what they throw. */
async function failTimes(circuit: ProviderCircuit, times: number, code: AsrErrorCode): Promise<void> {
  for (let i = 0; i < times; i += 1) await circuit.run(fail(code)).catch(() => undefined);
}

describe('ProviderCircuit', () => {
  // The circuit logs every transition; the tests read its position instead.
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('passes results and failures through while closed', async () => {
    const circuit = new ProviderCircuit('openai', { failures: 3, cooldownS: 60 });
    await expect(circuit.run(ok)).resolves.toBe('ok');
    await expect(circuit.run(fail('provider_error'))).rejects.toMatchObject({ code: 'provider_error' });
    expect(circuit.position).toBe('closed');
    expect(circuit.health()).toEqual({ circuit: 'closed' });
  });

  it.each<[AsrErrorCode, boolean]>([
    ['provider_unavailable', true],
    ['provider_error', true],
    ['provider_timeout', true],
    ['provider_auth_failed', true],
    // One request refused, not the provider unwell:
    ['provider_rejected', false],
    ['provider_rate_limited', false],
    ['cancelled', false],
    ['unsupported_language', false],
  ])('counts %s towards opening: %s', async (code, counted) => {
    const circuit = new ProviderCircuit('openai', { failures: 3, cooldownS: 60 });
    await failTimes(circuit, 2, code);
    expect(circuit.position).toBe('closed');
    await failTimes(circuit, 5, code);
    expect(circuit.position).toBe(counted ? 'open' : 'closed');
  });

  it('once open, refuses at once without calling, saying when to retry', async () => {
    const circuit = new ProviderCircuit('openai', { failures: 3, cooldownS: 60 });
    await failTimes(circuit, 3, 'provider_timeout');
    expect(circuit.position).toBe('open');
    const call = jest.fn(ok);
    const refusal = await circuit.run(call).catch((error: unknown) => error);
    expect(call).not.toHaveBeenCalled();
    expect(refusal).toBeInstanceOf(CircuitOpenError);
    expect(refusal).toMatchObject({ code: 'provider_unavailable' });
    expect((refusal as CircuitOpenError).retryAfterS).toBeGreaterThanOrEqual(59);
    expect((refusal as CircuitOpenError).retryAfterS).toBeLessThanOrEqual(60);
    expect(circuit.health()).toMatchObject({ status: 'degraded', circuit: 'open' });
  });

  it('does not count plain errors', async () => {
    const circuit = new ProviderCircuit('openai', { failures: 1, cooldownS: 60 });
    await expect(circuit.run(() => Promise.reject(new Error('bug')))).rejects.toThrow('bug');
    expect(circuit.position).toBe('closed');
  });

  it('counts failures in a row only: a success in between starts the count again', async () => {
    const circuit = new ProviderCircuit('openai', { failures: 2, cooldownS: 60 });
    await failTimes(circuit, 1, 'provider_error');
    await circuit.run(ok);
    await failTimes(circuit, 1, 'provider_error');
    expect(circuit.position).toBe('closed');
  });

  it('lets one trial call through after the cooldown: success closes it, failure opens it again', async () => {
    const circuit = new ProviderCircuit('openai', { failures: 1, cooldownS: 0.02 });
    await failTimes(circuit, 1, 'provider_timeout');
    expect(circuit.position).toBe('open');
    await sleep(30);
    await failTimes(circuit, 1, 'provider_timeout');
    expect(circuit.position).toBe('open');
    await sleep(30);
    await expect(circuit.run(ok)).resolves.toBe('ok');
    expect(circuit.position).toBe('closed');
  });

  it('is half-open while the trial call runs; calls meanwhile wait for its outcome', async () => {
    const { circuit, trial } = await trialUnderway();
    expect(circuit.position).toBe('half-open');
    expect(circuit.health()).toMatchObject({ status: 'degraded', circuit: 'half-open' });
    const behind = jest.fn(ok);
    const waiting = circuit.run(behind);
    await new Promise((resolve) => setImmediate(resolve));
    expect(behind).not.toHaveBeenCalled();
    trial.resolve('trial ok');
    await expect(waiting).resolves.toBe('ok');
    expect(circuit.position).toBe('closed');
  });

  it('refuses the calls that waited on a trial that failed', async () => {
    const { circuit, trial } = await trialUnderway();
    const behind = jest.fn(ok);
    const waiting = circuit.run(behind);
    trial.reject(new AsrError('provider_unavailable', 'still down'));
    await expect(waiting).rejects.toBeInstanceOf(CircuitOpenError);
    expect(behind).not.toHaveBeenCalled();
  });
});

/** An open circuit past its cooldown with its one trial call in flight; the test settles the trial. */
async function trialUnderway(): Promise<{ circuit: ProviderCircuit; trial: Trial }> {
  const circuit = new ProviderCircuit('openai', { failures: 1, cooldownS: 0.02 });
  await failTimes(circuit, 1, 'provider_error');
  await sleep(30);
  return new Promise((started) => {
    void circuit
      .run(
        () =>
          new Promise<string>((resolve, reject) => {
            started({ circuit, trial: { resolve, reject } });
          }),
      )
      .catch(() => undefined);
  });
}

interface Trial {
  resolve: (value: string) => void;
  reject: (error: Error) => void;
}
