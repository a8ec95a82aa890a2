import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule as NestConfigModule, ConfigService, registerAs } from '@nestjs/config';
import { AppConfig } from './app-config';
import { loadConfigOrThrow, readEnvironment } from './load-config';

const CONFIG_NAMESPACE = 'asr';

/**
 * Provides `AppConfig` everywhere (and the same object as `ConfigService.get('asr')`).
 * The CLI validates first and passes its config in, so `serve --port` overrides reach the app; without one
 * the environment is read and validated when the provider is built, never when this file is imported.
 */
@Module({})
export class ConfigModule {
  static forRoot(config?: AppConfig): DynamicModule {
    const factory = registerAs(CONFIG_NAMESPACE, () => config ?? loadConfigOrThrow(readEnvironment()));
    return {
      module: ConfigModule,
      global: true,
      imports: [NestConfigModule.forRoot({ ignoreEnvFile: true, load: [factory] })],
      providers: [
        {
          provide: AppConfig,
          inject: [ConfigService],
          useFactory: (service: ConfigService): AppConfig => service.getOrThrow<AppConfig>(CONFIG_NAMESPACE),
        },
      ],
      exports: [AppConfig],
    };
  }
}
