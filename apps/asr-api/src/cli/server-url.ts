import type { AppConfig } from '@asr/config';

/** The running server this machine's configuration describes, for commands that talk to it. */
export function localServerUrl(config: AppConfig, scheme: 'http' | 'ws'): string {
  const host = ['0.0.0.0', '::'].includes(config.api.host) ? '127.0.0.1' : config.api.host;
  return `${scheme}://${host}:${config.api.port}`;
}
