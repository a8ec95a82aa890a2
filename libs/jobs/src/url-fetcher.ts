import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@asr/config';
import { ApiError, redactUrl } from '@asr/observability';
import { DownloadError, DownloadWatch } from './download-watch';
import { discard, requestPinned } from './pinned-http';
import { TargetPolicy } from './target-policy';

const MAX_REDIRECTS = 5;

/**
 * Fetches a URL job's audio into its directory: every hop of a redirect is judged by the target policy and
 * connected to the address it judged (a public URL may not redirect, or re-resolve, to a private one); the whole
 * download has JOBS_DOWNLOAD_TIMEOUT_S and a floor of JOBS_DOWNLOAD_MIN_RATE; the body is cut at MAX_UPLOAD_BYTES
 * like an upload, or earlier at `maxBytes` (what is left of the key's storage quota). Messages carry the URL with
 * its credentials redacted (presigned URLs end up in job errors and logs). The file appears at `path` only once complete, so a job taken over after a crash never mistakes
 * half a download for its audio.
 */
@Injectable()
export class UrlFetcher {
  constructor(
    private readonly policy: TargetPolicy,
    private readonly config: AppConfig,
  ) {}

  async download(
    raw: string,
    directory: string,
    path: string,
    signal: AbortSignal,
    maxBytes = Infinity,
  ): Promise<void> {
    await mkdir(directory, { recursive: true });
    const watch = new DownloadWatch(signal, {
      deadlineMs: this.config.jobs.downloadTimeoutS * 1000,
      minRate: this.config.jobs.downloadMinRate,
      names: { deadline: 'JOBS_DOWNLOAD_TIMEOUT_S', minRate: 'JOBS_DOWNLOAD_MIN_RATE' },
    });
    const partial = `${path}.part`;
    try {
      await this.fetchInto(raw, partial, watch, maxBytes);
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      // A limit cut the transfer: say which, not the socket error the cut caused.
      if (watch.failure) throw watch.failure;
      if (signal.aborted || error instanceof DownloadError || error instanceof ApiError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new DownloadError('fetch_failed', `fetching ${redactUrl(raw)} failed: ${reason}`);
    } finally {
      watch.stop();
    }
  }

  private async fetchInto(raw: string, file: string, watch: DownloadWatch, quotaBytes: number): Promise<void> {
    const shown = redactUrl(raw);
    let url = raw;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
      const target = await this.policy.pick(url, 'url', watch.signal);
      const response = await requestPinned(target, {
        headers: { 'user-agent': 'asr-api-service' },
        signal: watch.signal,
      });
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (status >= 300 && status < 400 && location) {
        discard(response);
        url = new URL(location, url).toString();
        continue;
      }
      if (status < 200 || status >= 300) {
        discard(response);
        throw new DownloadError('fetch_failed', `fetching ${shown} answered HTTP ${status}`);
      }
      const limit = this.config.audio.maxUploadBytes;
      let bytes = 0;
      const count = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          watch.received(chunk.length);
          if (bytes > limit) {
            done(new DownloadError('download_too_large', `${shown} is larger than MAX_UPLOAD_BYTES=${limit}`));
          } else if (bytes > quotaBytes) {
            done(
              new DownloadError(
                'storage_quota_exceeded',
                `${shown} is larger than what is left of this key's JOBS_STORAGE_QUOTA_MB`,
              ),
            );
          } else done(null, chunk);
        },
      });
      await pipeline(response, count, createWriteStream(file), { signal: watch.signal });
      return;
    }
    throw new DownloadError('fetch_failed', `${shown} redirects more than ${MAX_REDIRECTS} times`);
  }
}
