import type { AppConfig, AsrProviderName, RemoteProviderConfig } from '@asr/config';

/** The remote endpoint the configured provider talks to, or undefined for the embedded engine. */
export function remoteProviderSettings(config: AppConfig): RemoteProviderConfig | undefined {
  const provider: AsrProviderName = config.asr.provider;
  switch (provider) {
    case 'local':
      return undefined;
    case 'openai':
      return config.asr.openai;
    case 'fireworks':
      return config.asr.fireworks;
    case 'openai-compatible':
      return config.asr.compatible;
  }
}
