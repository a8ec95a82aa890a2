import { Injectable } from '@nestjs/common';
import { AppConfig } from '@asr/config';
import { ApiError } from '@asr/observability';
import { JobFiles } from './job-files';
import { JobStore } from './job-store';

/** Thrown while a job decodes past its key's quota; the job fails with this code. */
export class StorageQuotaError extends Error {
  readonly code = 'storage_quota_exceeded';
}

/**
 * JOBS_STORAGE_QUOTA_MB per key: the bytes a tenant's unexpired jobs hold on disk (inputs, decoded audio). A
 * submission that would pass it is refused (413); a decode that would pass it fails its job. A succeeded job's
 * recording is dropped unless `keep_audio`, so the quota mostly bounds jobs waiting or running at once.
 */
@Injectable()
export class JobStorageQuota {
  private readonly quotaBytes: number;

  constructor(
    private readonly store: JobStore,
    private readonly files: JobFiles,
    config: AppConfig,
  ) {
    this.quotaBytes = config.jobs.storageQuotaBytes;
  }

  /** Bytes `tenant` may still store; Infinity without a quota. */
  async remaining(tenant: string): Promise<number> {
    if (this.quotaBytes === 0) return Infinity;
    const used = await this.files.usage(await this.store.tenantJobIds(tenant));
    return this.quotaBytes - used;
  }

  /** Refuses a submission of `bytes` that would take `tenant` past its quota. */
  async admit(tenant: string, bytes: number): Promise<void> {
    const remaining = await this.remaining(tenant);
    if (bytes <= remaining && remaining > 0) return;
    throw new ApiError(
      413,
      'storage_quota_exceeded',
      `this key's jobs already hold ${this.describe(this.quotaBytes - remaining)} of JOBS_STORAGE_QUOTA_MB=${this.quotaBytes / 1024 / 1024}; ` +
        'wait for running jobs to finish (succeeded jobs drop their audio unless keep_audio) or for old ones to expire',
    );
  }

  /** Passes decoded 16-bit samples through, failing once they would take the file past `allowanceBytes`. */
  async *capped(blocks: AsyncIterable<Float32Array>, allowanceBytes: number): AsyncGenerator<Float32Array> {
    let bytes = 0;
    for await (const block of blocks) {
      bytes += block.length * 2;
      if (bytes > allowanceBytes)
        throw new StorageQuotaError(
          `the decoded recording would take this key past JOBS_STORAGE_QUOTA_MB=${this.quotaBytes / 1024 / 1024}`,
        );
      yield block;
    }
  }

  private describe(bytes: number): string {
    return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
  }
}
