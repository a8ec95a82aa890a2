import { type DynamicModule, Module, type ModuleMetadata, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AsrProviderModule } from '@asr/asr';
import { AudioModule } from '@asr/audio';
import { AuthModule } from '@asr/auth';
import { type AppConfig, ConfigModule } from '@asr/config';
import { DemoModule } from '@asr/demo';
import { HealthModule } from '@asr/health';
import { JobsModule } from '@asr/jobs';
import { AllExceptionsFilter, ObservabilityModule } from '@asr/observability';
import { StreamingModule } from '@asr/streaming';
import { TranscriptionModule } from '@asr/transcription';
import { VadModule } from '@asr/vad';

/** The transcription pipeline and what it stands on: the server and `asr-api transcribe` share it. */
export function pipelineModules(config?: AppConfig): NonNullable<ModuleMetadata['imports']> {
  return [
    ConfigModule.forRoot(config),
    ObservabilityModule,
    AudioModule,
    VadModule,
    AsrProviderModule,
    TranscriptionModule,
  ];
}

/** Composition only: which modules make up the service. */
@Module({})
export class AppModule {
  /** `config`: an already validated configuration (the CLI's, a test's); without it the environment is read. */
  static forRoot(config?: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [...pipelineModules(config), AuthModule, StreamingModule, JobsModule, HealthModule, DemoModule],
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
