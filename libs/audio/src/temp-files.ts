import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '@asr/config';

/**
 * Owns TEMP_STORAGE_PATH. At start it removes entries older than TEMP_FILE_MAX_AGE_S: leftovers of a crash.
 * Age, not "everything", because other workers may share the directory and be using their files right now.
 */
@Injectable()
export class TempFiles implements OnApplicationBootstrap {
  private readonly logger = new Logger('storage');

  constructor(private readonly config: AppConfig) {}

  get directory(): string {
    return this.config.storage.tempPath;
  }

  async onApplicationBootstrap(): Promise<void> {
    const removed = await this.removeStale();
    if (removed > 0) this.logger.log(`removed ${removed} stale temporary file(s) from ${this.directory}`);
  }

  /** A fresh path inside the temp directory; the caller removes it with `remove`. */
  async path(suffix = ''): Promise<string> {
    await mkdir(this.directory, { recursive: true });
    return join(this.directory, `${randomUUID()}${suffix}`);
  }

  async remove(path: string): Promise<void> {
    await rm(path, { recursive: true, force: true });
  }

  async removeStale(now: number = Date.now()): Promise<number> {
    await mkdir(this.directory, { recursive: true });
    const cutoff = now - this.config.storage.tempMaxAgeS * 1000;
    let removed = 0;
    for (const name of await readdir(this.directory)) {
      const path = join(this.directory, name);
      try {
        if ((await stat(path)).mtimeMs < cutoff) {
          await rm(path, { recursive: true, force: true });
          removed += 1;
        }
      } catch (error) {
        this.logger.warn(`could not remove stale temporary file ${path}: ${String(error)}`);
      }
    }
    return removed;
  }
}
