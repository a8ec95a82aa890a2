import { Global, Module, type OnModuleInit } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { register } from 'prom-client';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppConfig } from '@asr/config';
import { AllExceptionsFilter } from './all-exceptions.filter';
import { ErrorResponder } from './error-responder';
import { HttpMetrics, httpRequestDurationProvider } from './http-metrics';
import { LOG_DESTINATION, LogDestinationModule } from './log-destination';
import { loggerParams } from './logger-options';
import { MetricsController } from './metrics.controller';
import { ShutdownState } from './shutdown-state';

/** Logging (nestjs-pino), the Prometheus registry with /metrics, error responses and the shutdown flag. */
@Global()
@Module({
  imports: [
    LogDestinationModule,
    LoggerModule.forRootAsync({
      imports: [LogDestinationModule],
      inject: [AppConfig, LOG_DESTINATION],
      useFactory: (config: AppConfig, destination: DestinationStream) => loggerParams(config, destination),
    }),
    PrometheusModule.register({ path: '/metrics', controller: MetricsController, defaultMetrics: { enabled: true } }),
  ],
  providers: [httpRequestDurationProvider, HttpMetrics, ShutdownState, ErrorResponder, AllExceptionsFilter],
  exports: [PrometheusModule, HttpMetrics, ShutdownState, ErrorResponder, AllExceptionsFilter],
})
export class ObservabilityModule implements OnModuleInit {
  /**
   * prom-client's default metrics include three gauges named `*_total`, which Prometheus reserves for counters
   * (`promtool check metrics` flags them); the handle and request counts they carry are not worth the lint.
   */
  onModuleInit(): void {
    for (const name of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ]) {
      register.removeSingleMetric(name);
    }
  }
}
