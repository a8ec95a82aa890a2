import { Global, Module } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { AppConfig } from '@asr/config';
import { logDestination } from './logger-options';

/** Where log lines go. A token of its own so tests can capture real log output with `overrideProvider`. */
export const LOG_DESTINATION = Symbol('asr:log-destination');

@Global()
@Module({
  providers: [
    {
      provide: LOG_DESTINATION,
      inject: [AppConfig],
      useFactory: (config: AppConfig): DestinationStream => logDestination(config),
    },
  ],
  exports: [LOG_DESTINATION],
})
export class LogDestinationModule {}
