import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@asr/config';
import { EnergyVadBackend } from './energy-backend';
import { SileroVadBackend } from './silero-backend';
import { findTenVadInstall, TenVadBackend } from './ten-backend';
import type { VadBackend } from './vad-backend';

/**
 * Loads the VAD backend VAD_BACKEND names. A provider token of its own, so a test can put a scripted backend in
 * without touching VadService (which still falls back to the energy detector when a load fails).
 */
export abstract class VadBackendLoader {
  abstract load(name: AppConfig['vad']['backend']): Promise<VadBackend>;
}

const TEN_LICENCE =
  'TEN-VAD is not open source: its licence adds conditions to Apache-2.0 that forbid deployments competing with its owner';

/** The backends this service ships: Silero (ONNX), the energy detector, and the optional TEN-VAD. */
@Injectable()
export class DefaultVadBackendLoader extends VadBackendLoader {
  private readonly logger = new Logger('VAD');

  constructor(private readonly config: AppConfig) {
    super();
  }

  async load(name: AppConfig['vad']['backend']): Promise<VadBackend> {
    switch (name) {
      case 'silero':
        return SileroVadBackend.load(undefined, undefined, this.config.vad.sileroRate);
      case 'energy':
        return new EnergyVadBackend();
      case 'ten': {
        this.logger.warn(TEN_LICENCE);
        const directory = this.config.vad.tenPath ?? findTenVadInstall();
        if (!directory) throw new Error('@gooney-001/ten-vad-lib is not installed and TEN_VAD_PATH is not set');
        return TenVadBackend.load(directory, this.config.vad.threshold);
      }
    }
  }
}
