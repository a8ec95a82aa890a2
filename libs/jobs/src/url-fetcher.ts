import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@asr/config';
import { TargetPolicy } from './target-policy';

const MAX_REDIRECTS = 5;

export class FetchError extends Error {
  readonly code = 'fetch_failed';
}

/**
 * Fetches a URL job's audio into its directory: every hop of a redirect is checked against the target policy
 * (a public URL may not redirect to a private one), and the body is cut at MAX_UPLOAD_BYTES like an upload.
 */
@Injectable()
export class UrlFetcher {
  constructor(
    private readonly policy: TargetPolicy,
    private readonly config: AppConfig,
  ) {}

  async download(raw: string, directory: string, path: string, signal: AbortSignal): Promise<void> {
    await mkdir(directory, { recursive: true });
    let url = raw;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
      await this.policy.check(url, 'url');
      const response = await fetch(url, { redirect: 'manual', signal });
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        url = new URL(location, url).toString();
        continue;
      }
      if (!response.ok || !response.body) {
        throw new FetchError(`fetching ${raw} answered HTTP ${response.status}`);
      }
      const limit = this.config.audio.maxUploadBytes;
      let bytes = 0;
      const cap = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          if (bytes > limit) done(new FetchError(`${raw} is larger than MAX_UPLOAD_BYTES=${limit}`));
          else done(null, chunk);
        },
      });
      await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), cap, createWriteStream(path));
      return;
    }
    throw new FetchError(`${raw} redirects more than ${MAX_REDIRECTS} times`);
  }
}
