import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import { AggregatorRegistry, register } from 'prom-client';
import { answerPrimary, askPrimary, inClusterWorker } from './cluster-ipc';

/** What the primary asks each worker for, and what a worker asks the primary for. */
export const METRICS_TOPICS = { worker: 'metrics.worker', cluster: 'metrics.cluster' } as const;

/**
 * The Prometheus scrape endpoint; left out of the OpenAPI document, which describes the API for clients. Under
 * API_WORKERS it answers for the whole server: the primary gathers every worker's metrics and sums them.
 */
@ApiExcludeController()
@Controller()
export class MetricsController extends PrometheusController {
  constructor() {
    super();
    if (inClusterWorker()) answerPrimary(METRICS_TOPICS.worker, () => register.getMetricsAsJSON());
  }

  @Get()
  override async index(@Res({ passthrough: true }) response: FastifyReply): Promise<string> {
    if (!inClusterWorker()) return super.index(response);
    void response.header('content-type', AggregatorRegistry.PROMETHEUS_CONTENT_TYPE);
    return askPrimary<string>(METRICS_TOPICS.cluster);
  }
}
