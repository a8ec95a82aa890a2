import type { AppConfig, AsrProviderName } from '@asr/config';
import type { AsrProvider } from './asr-provider';
import { FallbackProvider } from './fallback-provider';
import { LocalPocketSphinxProvider } from './local/local-provider';
import { OpenAiCompatibleProvider } from './remote/openai-compatible-provider';

function createOne(config: AppConfig, provider: AsrProviderName): AsrProvider {
  const remote = {
    timeoutS: config.asr.timeoutS,
    maxRetries: config.asr.maxRetries,
    concurrency: config.asr.concurrency,
    breaker: config.asr.breaker,
  };
  switch (provider) {
    case 'local': {
      const local = new LocalPocketSphinxProvider(config.asr.local);
      // In the background: the server listens at once, readiness turns ready when the models are in.
      void local.load();
      return local;
    }
    case 'openai':
      return new OpenAiCompatibleProvider({ name: provider, endpoint: config.asr.openai, ...remote });
    case 'fireworks':
      return new OpenAiCompatibleProvider({ name: provider, endpoint: config.asr.fireworks, ...remote });
    case 'openai-compatible':
      return new OpenAiCompatibleProvider({ name: provider, endpoint: config.asr.compatible, ...remote });
    default: {
      const unknown: never = provider;
      throw new Error(`unknown ASR_PROVIDER ${String(unknown)}`);
    }
  }
}

/** The one place that turns ASR_PROVIDER (and ASR_FALLBACK_PROVIDER) into an implementation. */
export function createAsrProvider(config: AppConfig): AsrProvider {
  const primary = createOne(config, config.asr.provider);
  const fallback = config.asr.fallbackProvider;
  return fallback ? new FallbackProvider(primary, createOne(config, fallback)) : primary;
}
