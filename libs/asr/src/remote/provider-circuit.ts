import { Logger } from '@nestjs/common';
import { BrokenCircuitError, circuitBreaker, CircuitState, ConsecutiveBreaker, handleWhen } from 'cockatiel';
import type { ComponentHealth } from '@asr/observability';
import { AsrError, type AsrErrorCode, CircuitOpenError } from '../asr-error';

/** Failures that say the provider itself is unwell. Refusals of one request (400s, 429, cancels) do not count. */
const COUNTED: ReadonlySet<AsrErrorCode> = new Set([
  'provider_unavailable',
  'provider_error',
  'provider_timeout',
  'provider_auth_failed',
]);

export type CircuitPosition = 'closed' | 'open' | 'half-open';

/**
 * A circuit breaker for one remote provider (cockatiel): after `failures` counted failures in a row it opens and
 * calls fail at once, sparing clients the wait and the provider the load; after `cooldownS` one trial call goes
 * through (half-open) and its outcome closes or reopens it.
 */
export class ProviderCircuit {
  private readonly logger = new Logger('ASR');
  private readonly policy;
  private openedAtMs = 0;

  constructor(
    private readonly provider: string,
    private readonly settings: { failures: number; cooldownS: number },
  ) {
    this.policy = circuitBreaker(
      handleWhen((error) => error instanceof AsrError && COUNTED.has(error.code)),
      { halfOpenAfter: settings.cooldownS * 1000, breaker: new ConsecutiveBreaker(settings.failures) },
    );
    this.policy.onBreak(() => {
      this.openedAtMs = Date.now();
      this.logger.warn(
        `${provider}: ${settings.failures} failures in a row; circuit open, calls fail at once for ${settings.cooldownS} s`,
      );
    });
    this.policy.onHalfOpen(() => this.logger.log(`${provider}: circuit half-open, one trial call goes through`));
    this.policy.onReset(() => this.logger.log(`${provider}: circuit closed again`));
  }

  get position(): CircuitPosition {
    if (this.policy.state === CircuitState.Closed) return 'closed';
    return this.policy.state === CircuitState.HalfOpen ? 'half-open' : 'open';
  }

  /** Runs `call` through the breaker; while it is open, throws CircuitOpenError (503, Retry-After) at once. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await this.policy.execute(call);
    } catch (error) {
      if (!(error instanceof BrokenCircuitError)) throw error;
      const leftS = Math.max(1, Math.ceil((this.openedAtMs + this.settings.cooldownS * 1000 - Date.now()) / 1000));
      throw new CircuitOpenError(
        `${this.provider} is failing (circuit open after ${this.settings.failures} failures in a row); calls fail at once for about ${leftS} s`,
        leftS,
      );
    }
  }

  /** For readiness: degraded while open or half-open (the service still answers, with 503s or the fallback). */
  health(): Partial<ComponentHealth> {
    const position = this.position;
    if (position === 'closed') return { circuit: position };
    return {
      status: 'degraded',
      circuit: position,
      message: `circuit ${position}: the provider failed ${this.settings.failures} times in a row`,
    };
  }
}
