export { AppConfig, type LogFormat, type LogLevel, type RemoteProviderConfig } from './app-config';
export { ConfigModule } from './config.module';
export { envVarDefinitions, type ConfigGroup, type EnvVarDefinition } from './env-var.decorator';
export { ASR_PROVIDERS, EnvironmentVariables, type AsrProviderName } from './environment-variables';
export {
  childEnvironment,
  describeEffectiveConfig,
  formatProblem,
  InvalidConfigError,
  loadConfig,
  loadConfigOrThrow,
  readEnvironment,
  type ConfigProblem,
  type ConfigResult,
  type RawEnvironment,
} from './load-config';
export { renderConfigTable, renderEnvExample } from './config-docs';
export { type TlsFiles } from './tls-files';
