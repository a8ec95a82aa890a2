import { Injectable } from '@nestjs/common';
import { type ComponentHealth, ContributesHealth, type HealthContributor } from '@asr/observability';
import { AsrProvider } from './asr-provider';

/** Readiness waits for the engine: models loaded (local) or configured (remote; never a remote call). */
@ContributesHealth()
@Injectable()
export class AsrHealth implements HealthContributor {
  readonly healthKey = 'asr';

  constructor(private readonly provider: AsrProvider) {}

  checkHealth(): Promise<ComponentHealth> {
    return Promise.resolve(this.provider.health());
  }
}
