import { Global, Module, type OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics, register } from 'prom-client';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppConfig } from '@asr/config';
import { AllExceptionsFilter } from './all-exceptions.filter';
import { ErrorResponder } from './error-responder';
import { HttpMetrics, httpRequestDurationProvider } from './http-metrics';
import { LOG_DESTINATION, LogDestinationModule } from './log-destination';
import { loggerParams } from './logger-options';
import { ShutdownState } from './shutdown-state';

/** A metric of prom-client's default set: registered once the defaults are collected in this process. */
const DEFAULT_METRIC = 'process_cpu_user_seconds_total';

/**
 * Logging (nestjs-pino), the Prometheus registry, error responses and the shutdown flag. `/metrics` itself is
 * served by libs/cluster, which knows whether other workers' metrics belong in the answer.
 */
@Global()
@Module({
  imports: [
    LogDestinationModule,
    LoggerModule.forRootAsync({
      imports: [LogDestinationModule],
      inject: [AppConfig, LOG_DESTINATION],
      useFactory: (config: AppConfig, destination: DestinationStream) => loggerParams(config, destination),
    }),
  ],
  providers: [httpRequestDurationProvider, HttpMetrics, ShutdownState, ErrorResponder, AllExceptionsFilter],
  exports: [HttpMetrics, ShutdownState, ErrorResponder, AllExceptionsFilter],
})
export class ObservabilityModule implements OnModuleInit {
  /**
   * prom-client's default metrics, collected once: its registry is one per process, and a test process builds many
   * apps. Less three gauges named `*_total`, which Prometheus reserves for counters (`promtool check metrics` flags
   * them); the handle and request counts they carry are not worth the lint.
   */
  onModuleInit(): void {
    if (register.getSingleMetric(DEFAULT_METRIC) === undefined) collectDefaultMetrics();
    for (const name of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ]) {
      register.removeSingleMetric(name);
    }
  }
}
