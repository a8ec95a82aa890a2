import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { HealthContributors } from './health-contributors';
import { HealthController } from './health.controller';
import { StorageHealth } from './storage.health';

@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' }), DiscoveryModule],
  controllers: [HealthController],
  providers: [HealthContributors, StorageHealth],
})
export class HealthModule {}
