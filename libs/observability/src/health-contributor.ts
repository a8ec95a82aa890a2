import { SetMetadata } from '@nestjs/common';

export type ComponentStatus = 'up' | 'degraded' | 'down';

export interface ComponentHealth {
  status: ComponentStatus;
  /** Shown to operators in the readiness body: what is wrong and what to do. */
  message?: string;
  [detail: string]: unknown;
}

/** A provider that reports on one part of the service in readiness. */
export interface HealthContributor {
  readonly healthKey: string;
  checkHealth(): Promise<ComponentHealth>;
}

export const HEALTH_CONTRIBUTOR = Symbol('asr:health-contributor');

/**
 * Marks a provider class as a readiness contributor. The health module discovers it, so adding a component's
 * indicator never means editing the health module, and no lib has to import it.
 */
export const ContributesHealth = (): ClassDecorator => SetMetadata(HEALTH_CONTRIBUTOR, true);
