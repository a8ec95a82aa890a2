import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@asr/config';

/**
 * Where jobs keep their files, under AUDIO_STORAGE_PATH/jobs: the database, and per job its input (the upload as
 * sent, or what its URL gave) and `audio.wav` (the input decoded once to 16 kHz mono, so a resumed job does not
 * decode again and knows its length).
 */
@Injectable()
export class JobFiles {
  constructor(private readonly config: AppConfig) {}

  get root(): string {
    return join(this.config.storage.audioPath, 'jobs');
  }

  get database(): string {
    return join(this.root, 'jobs.sqlite');
  }

  directory(id: string): string {
    return join(this.root, id);
  }

  input(id: string): string {
    return join(this.directory(id), 'input');
  }

  audio(id: string): string {
    return join(this.directory(id), 'audio.wav');
  }

  /** The input's SHA-256 (hex), kept after the input itself is dropped: a Deepgram callback reports it. */
  digest(id: string): string {
    return join(this.directory(id), 'input.sha256');
  }

  /** Hashes the input once; a resumed job keeps the digest its first run recorded. */
  async recordDigest(id: string): Promise<void> {
    if (await this.exists(this.digest(id))) return;
    const hash = createHash('sha256');
    await pipeline(createReadStream(this.input(id)), hash);
    await writeFile(this.digest(id), hash.digest('hex'));
  }

  async readDigest(id: string): Promise<string | undefined> {
    return readFile(this.digest(id), 'utf8').catch(() => undefined);
  }

  async ensureRoot(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }

  /** Moves a spooled upload into the job's directory (a rename: temp and audio storage share a disk, usually). */
  async adoptUpload(id: string, spooled: string): Promise<void> {
    await mkdir(this.directory(id), { recursive: true });
    try {
      await rename(spooled, this.input(id));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      const { copyFile } = await import('node:fs/promises');
      await copyFile(spooled, this.input(id));
      await rm(spooled, { force: true });
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      await stat(path);
      return true;
    } catch {
      return false;
    }
  }

  /** Bytes the jobs' directories hold on disk (what a storage quota counts). */
  async usage(ids: readonly string[]): Promise<number> {
    let bytes = 0;
    for (const id of ids) {
      const entries = await readdir(this.directory(id), { withFileTypes: true }).catch(() => []);
      for (const entry of entries)
        if (entry.isFile()) bytes += (await stat(join(this.directory(id), entry.name)).catch(() => ({ size: 0 }))).size;
    }
    return bytes;
  }

  /** Drops a succeeded job's recording (input and decoded audio); its result stays in the store. */
  async removeAudio(id: string): Promise<void> {
    await Promise.all([rm(this.input(id), { force: true }), rm(this.audio(id), { force: true })]);
  }

  async remove(id: string): Promise<void> {
    await rm(this.directory(id), { recursive: true, force: true });
  }
}
