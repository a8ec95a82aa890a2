import { constants } from 'node:fs';
import { access, mkdir, statfs } from 'node:fs/promises';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@asr/config';
import { type ComponentHealth, ContributesHealth, type HealthContributor } from '@asr/observability';

const MB = 1024 * 1024;

/** Storage directories exist and are writable (down otherwise); free disk above STORAGE_MIN_FREE_MB (degraded otherwise). */
@ContributesHealth()
@Injectable()
export class StorageHealth implements HealthContributor {
  readonly healthKey = 'storage';

  constructor(private readonly config: AppConfig) {}

  private directories(): string[] {
    const { audioPath, tempPath, logPath } = this.config.storage;
    return [audioPath, tempPath, ...(logPath ? [logPath] : [])];
  }

  async checkHealth(): Promise<ComponentHealth> {
    const unwritable: string[] = [];
    let freeMb = Number.POSITIVE_INFINITY;
    for (const directory of this.directories()) {
      try {
        await mkdir(directory, { recursive: true });
        await access(directory, constants.W_OK);
        const stats = await statfs(directory);
        freeMb = Math.min(freeMb, (stats.bavail * stats.bsize) / MB);
      } catch {
        unwritable.push(directory);
      }
    }
    const details = {
      freeMb: Number.isFinite(freeMb) ? Math.floor(freeMb) : null,
      minFreeMb: this.config.storage.minFreeMb,
    };
    if (unwritable.length > 0) {
      return { status: 'down', message: `not writable: ${unwritable.join(', ')}`, ...details };
    }
    if (freeMb < this.config.storage.minFreeMb) {
      return { status: 'degraded', message: 'free disk space is below STORAGE_MIN_FREE_MB', ...details };
    }
    return { status: 'up', ...details };
  }
}
