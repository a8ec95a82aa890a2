import { type DynamicModule, Module, type ModuleMetadata, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AuthModule } from '@asr/auth';
import { ClusterMetricsModule } from '@asr/cluster';
import { type AppConfig, ConfigModule } from '@asr/config';
import { DemoModule } from '@asr/demo';
import { HealthModule } from '@asr/health';
import { JobsModule } from '@asr/jobs';
import { AllExceptionsFilter, ObservabilityModule } from '@asr/observability';
import { StreamingModule } from '@asr/streaming';
import { TranscriptionModule } from '@asr/transcription';

/**
 * The transcription pipeline (it imports audio, VAD and the ASR provider itself) over the two global modules:
 * the server and `asr-api transcribe` share it.
 */
export function pipelineModules(config?: AppConfig): NonNullable<ModuleMetadata['imports']> {
  return [ConfigModule.forRoot(config), ObservabilityModule, TranscriptionModule];
}

/** Composition only: which modules make up the service; each imports the modules whose providers it uses. */
@Module({})
export class AppModule {
  /** `config`: an already validated configuration (the CLI's, a test's); without it the environment is read. */
  static forRoot(config?: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ...pipelineModules(config),
        AuthModule,
        StreamingModule,
        JobsModule,
        ClusterMetricsModule,
        HealthModule,
        DemoModule,
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
