import type { ComponentHealth } from '@asr/observability';
import { CircuitOpenError } from './asr-error';
import { type AsrCapabilities, AsrProvider, type LiveUtterance, type TranscribeOptions } from './asr-provider';
import type { ChunkTranscript } from './transcript';

/**
 * ASR_PROVIDER with ASR_FALLBACK_PROVIDER behind it: calls go to the primary; those its open circuit refuses go to
 * the fallback (with the fallback's own model), marked with the fallback's name. Everything else is the primary's:
 * its name, capabilities and failures (a failing call is not retried elsewhere: only an open circuit diverts).
 */
export class FallbackProvider extends AsrProvider {
  readonly name: AsrProvider['name'];
  readonly defaultModel: string;
  readonly capabilities: AsrCapabilities;

  constructor(
    private readonly primary: AsrProvider,
    private readonly fallback: AsrProvider,
  ) {
    super();
    this.name = primary.name;
    this.defaultModel = primary.defaultModel;
    this.capabilities = primary.capabilities;
  }

  async transcribe(samples: Float32Array, options: TranscribeOptions): Promise<ChunkTranscript> {
    try {
      return await this.primary.transcribe(samples, options);
    } catch (error) {
      if (!(error instanceof CircuitOpenError)) throw error;
      const { model: _model, ...rest } = options;
      return { ...(await this.fallback.transcribe(samples, rest)), provider: this.fallback.name };
    }
  }

  override tryOpenLive(options: TranscribeOptions): LiveUtterance | undefined {
    return this.primary.tryOpenLive(options);
  }

  override openLive(options: TranscribeOptions, signal: AbortSignal): Promise<LiveUtterance | undefined> {
    return this.primary.openLive(options, signal);
  }

  health(): ComponentHealth {
    const fallback = this.fallback.health();
    return { ...this.primary.health(), fallback: this.fallback.name, fallbackStatus: fallback.status };
  }

  async whenReady(): Promise<void> {
    await Promise.all([this.primary.whenReady(), this.fallback.whenReady()]);
  }

  async close(): Promise<void> {
    await Promise.all([this.primary.close(), this.fallback.close()]);
  }
}
