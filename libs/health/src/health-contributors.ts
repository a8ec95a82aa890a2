import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { HEALTH_CONTRIBUTOR, type HealthContributor } from '@asr/observability';

/** Finds every provider marked with @ContributesHealth() once the app is assembled. */
@Injectable()
export class HealthContributors implements OnApplicationBootstrap {
  private contributors: HealthContributor[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
  ) {}

  onApplicationBootstrap(): void {
    this.contributors = this.discovery
      .getProviders()
      .filter((wrapper) => wrapper.metatype && this.reflector.get(HEALTH_CONTRIBUTOR, wrapper.metatype) === true)
      .map((wrapper) => wrapper.instance as HealthContributor)
      .filter((instance, index, all) => all.indexOf(instance) === index)
      .sort((a, b) => a.healthKey.localeCompare(b.healthKey));
  }

  all(): readonly HealthContributor[] {
    return this.contributors;
  }
}
