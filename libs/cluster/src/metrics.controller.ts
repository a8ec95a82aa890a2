import { Controller, Get, type OnModuleInit, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AggregatorRegistry, register } from 'prom-client';
import { ClusterChannel } from './cluster-channel';

/** What the primary asks each worker for, and what a worker asks the primary for. */
export const METRICS_TOPICS = { worker: 'metrics.worker', cluster: 'metrics.cluster' } as const;

/**
 * The Prometheus scrape endpoint; left out of the OpenAPI document, which describes the API for clients. Under
 * API_WORKERS it answers for the whole server: the primary gathers every worker's metrics and sums them. It lives
 * here, not in observability (which sets the registry up), because only this layer knows about workers.
 */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController implements OnModuleInit {
  constructor(private readonly channel: ClusterChannel) {}

  onModuleInit(): void {
    this.channel.answer(METRICS_TOPICS.worker, () => register.getMetricsAsJSON());
  }

  @Get()
  async index(@Res({ passthrough: true }) response: FastifyReply): Promise<string> {
    if (!this.channel.inWorker) {
      void response.header('content-type', register.contentType);
      return register.metrics();
    }
    void response.header('content-type', AggregatorRegistry.PROMETHEUS_CONTENT_TYPE);
    return this.channel.ask<string>(METRICS_TOPICS.cluster);
  }
}
