import { type DynamicModule, Module, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AsrProviderModule } from '@asr/asr';
import { AudioModule } from '@asr/audio';
import { type AppConfig, ConfigModule } from '@asr/config';
import { HealthModule } from '@asr/health';
import { AllExceptionsFilter, ObservabilityModule } from '@asr/observability';
import { TranscriptionModule } from '@asr/transcription';
import { VadModule } from '@asr/vad';

/** Composition only: which modules make up the service. */
@Module({})
export class AppModule {
  /** `config`: an already validated configuration (the CLI's, a test's); without it the environment is read. */
  static forRoot(config?: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule,
        AudioModule,
        VadModule,
        AsrProviderModule,
        TranscriptionModule,
        HealthModule,
      ],
      providers: [
        { provide: APP_FILTER, useExisting: AllExceptionsFilter },
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
        },
      ],
    };
  }
}
