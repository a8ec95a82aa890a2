import { Controller, Get, ServiceUnavailableException, UseFilters } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthCheckResult } from '@nestjs/terminus';
import { type HealthContributor, ShutdownState } from '@asr/observability';
import { HealthContributors } from './health-contributors';
import { HealthResultFilter } from './health-result.filter';

@ApiTags('health')
@UseFilters(HealthResultFilter)
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly contributors: HealthContributors,
    private readonly shutdown: ShutdownState,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process answers. Never depends on remote services.' })
  liveness(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness: 503 when a component is down or shutdown has begun; degraded components are listed with 200.',
  })
  readiness(): Promise<HealthCheckResult> {
    if (this.shutdown.active) {
      throw new ServiceUnavailableException({ status: 'shutting_down', info: {}, error: {}, details: {} });
    }
    return this.health.check(this.contributors.all().map((contributor) => () => this.indicate(contributor)));
  }

  private async indicate(contributor: HealthContributor) {
    const indicator = this.indicators.check(contributor.healthKey);
    try {
      const { status, ...details } = await contributor.checkHealth();
      switch (status) {
        case 'up':
          return indicator.up(details);
        case 'degraded':
          return indicator.degraded(details);
        case 'down':
          return indicator.down(details);
      }
    } catch (error) {
      return indicator.down({ message: error instanceof Error ? error.message : String(error) });
    }
  }
}
