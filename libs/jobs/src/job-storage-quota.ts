import { Injectable } from '@nestjs/common';
import { AppConfig } from '@asr/config';
import type { DownloadErrorCode } from './download-watch';
import { JobFiles } from './job-files';
import { JobStore } from './job-store';

/** How much a decode writes between two looks at what the key's jobs hold on disk. */
const RECHECK_BYTES = 1024 * 1024;

/** A submission, or a job's decode, past its key's quota: the submission is refused, the job fails with this code. */
export class StorageQuotaError extends Error {
  readonly code: DownloadErrorCode = 'storage_quota_exceeded';
}

/**
 * JOBS_STORAGE_QUOTA_MB per key: the bytes a tenant's unexpired jobs hold on disk (inputs, decoded audio). A
 * submission that would pass it is refused (413, from the error table); a decode that would pass it fails its job.
 * A succeeded job's recording is dropped unless `keep_audio`, so the quota mostly bounds jobs waiting or running
 * at once.
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
    throw new StorageQuotaError(
      `this key's jobs already hold ${this.describe(this.quotaBytes - remaining)} of JOBS_STORAGE_QUOTA_MB=${this.quotaBytes / 1024 / 1024}; ` +
        'wait for running jobs to finish (succeeded jobs drop their audio unless keep_audio) or for old ones to expire',
    );
  }

  /**
   * Passes decoded 16-bit samples through, failing once the file being written would take `tenant` past its
   * quota. What is left is read again after every RECHECK_BYTES, from the disk (this file's part and other jobs'
   * included), so two jobs of one key decoding at once pass the quota by at most that much each.
   */
  async *capped(blocks: AsyncIterable<Float32Array>, tenant: string): AsyncGenerator<Float32Array> {
    let left = await this.remaining(tenant);
    let sinceCheck = 0;
    for await (const block of blocks) {
      const bytes = block.length * 2;
      sinceCheck += bytes;
      if (sinceCheck > RECHECK_BYTES && left !== Infinity) {
        left = await this.remaining(tenant);
        sinceCheck = bytes;
      }
      if (sinceCheck > left)
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
