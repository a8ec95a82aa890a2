import OpenAI from 'openai';
import type { AppConfig } from '@asr/config';
import { remoteProviderSettings } from './remote-provider-settings';

export type ConnectionVerdict = 'ok' | 'warning' | 'failed';

export interface ConnectionReport {
  verdict: ConnectionVerdict;
  message: string;
}

/**
 * One cheap authenticated call (GET {base}/models) to the selected remote provider: the deployment guide's
 * "test the API key" step. No retries, a short timeout: it answers whether the key and URL work right now.
 */
export async function checkProviderConnection(config: AppConfig, timeoutMs = 10_000): Promise<ConnectionReport> {
  const remote = remoteProviderSettings(config);
  if (!remote) return { verdict: 'ok', message: 'local engine: no remote provider to connect to' };
  const client = new OpenAI({
    apiKey: remote.apiKey ?? 'none',
    baseURL: remote.baseUrl,
    maxRetries: 0,
    timeout: timeoutMs,
  });
  const target = `${config.asr.provider} at ${remote.baseUrl}`;
  try {
    const page = await client.models.list();
    const ids = page.data.map((model) => model.id);
    const hasModel = ids.includes(remote.model);
    return hasModel || ids.length === 0
      ? { verdict: 'ok', message: `${target}: key accepted (${ids.length} models listed)` }
      : {
          verdict: 'warning',
          message: `${target}: key accepted, but model "${remote.model}" is not among ${ids.length} listed models`,
        };
  } catch (error) {
    if (error instanceof OpenAI.AuthenticationError || error instanceof OpenAI.PermissionDeniedError) {
      return { verdict: 'failed', message: `${target}: the API key was rejected (HTTP ${error.status})` };
    }
    if (error instanceof OpenAI.NotFoundError) {
      return {
        verdict: 'warning',
        message: `${target}: reachable, key not rejected, but it serves no /models to confirm it`,
      };
    }
    if (error instanceof OpenAI.APIConnectionTimeoutError) {
      return { verdict: 'failed', message: `${target}: no answer within ${timeoutMs / 1000}s` };
    }
    if (error instanceof OpenAI.APIError) {
      const status = error.status === undefined ? 'connection failed' : `HTTP ${error.status}`;
      return { verdict: 'failed', message: `${target}: ${status}: ${error.message}` };
    }
    return { verdict: 'failed', message: `${target}: ${error instanceof Error ? error.message : String(error)}` };
  }
}
