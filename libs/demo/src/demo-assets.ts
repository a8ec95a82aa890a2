import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Injectable } from '@nestjs/common';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface DemoAsset {
  body: Buffer;
  contentType: string;
  etag: string;
}

/**
 * The demo page's files, read once: a handful of small files, so serving them from memory beats a static-file
 * plugin's disk reads, and a name that is not in the folder can never reach the file system. The build copies
 * `public/` beside the compiled code, so `../public` holds in the source tree and in `dist/` alike.
 */
@Injectable()
export class DemoAssets {
  private readonly assets = new Map<string, DemoAsset>();

  constructor() {
    const dir = join(__dirname, '..', 'public');
    for (const name of readdirSync(dir)) {
      const contentType = CONTENT_TYPES[extname(name)];
      if (!contentType) continue; // tsconfig.json and type declarations are for the type checker, not browsers
      const body = readFileSync(join(dir, name));
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
      this.assets.set(name, { body, contentType, etag });
    }
  }

  get(name: string): DemoAsset | undefined {
    return this.assets.get(name);
  }
}
