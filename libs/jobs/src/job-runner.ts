import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AbortReason, abortKindOf } from '@asr/asr';
import { OPEN_TENANT } from '@asr/auth';
import { AudioDecoder, DecodeSlots, writeWavFile } from '@asr/audio';
import { AppConfig } from '@asr/config';
import { jobFailureOf } from '@asr/observability';
import { TranscriptionService } from '@asr/transcription';
import type { Job, JobError } from './job';
import { JobFiles } from './job-files';
import { JobStorageQuota } from './job-storage-quota';
import { JobStore, type Lease } from './job-store';
import { JobsMetrics } from './jobs-metrics';
import { Slots } from './slots';
import { UrlFetcher } from './url-fetcher';

/** How often an idle runner looks for work it was not told about (another process's submissions, orphans). */
const POLL_MS = 1000;
/** How often a runner renews its leases and learns of cancels made by other processes. */
const HEARTBEAT_MS = 500;

/** `host:pid:random`: which process holds a job. */
function newOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/** True when `owner` names a process of this machine that no longer runs (so its jobs can be taken at once). */
function ownerIsDead(owner: string, me: string): boolean {
  const [host, pid] = owner.split(':');
  if (host !== hostname() || !pid) return false;
  if (Number(pid) === process.pid) return owner !== me;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Domain errors as the error table records them; another coded error (a refused URL) keeps its code. */
function jobError(error: unknown): JobError {
  const known = jobFailureOf(error);
  if (known) return known;
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    return { code: error.code, message: error.message };
  }
  return { code: 'internal', message: error instanceof Error ? error.message : String(error) };
}

/**
 * Runs jobs: up to JOBS_CONCURRENCY at a time in this process, each decoded once to a WAV, then VAD-chunked and
 * transcribed chunk by chunk with every finished chunk saved, so a job taken over after a crash or a restart sends
 * only the chunks not yet done. A cancel (from any process) aborts the provider call in flight.
 *
 * A URL job gives its runner slot back while its audio downloads (JOBS_DOWNLOAD_CONCURRENCY at a time), so a slow
 * server never holds up transcription; it takes a slot again, ahead of newly claimed jobs, once the audio is there.
 */
@Injectable()
export class JobRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('jobs');
  private readonly lease: Lease;
  private readonly running = new Map<string, AbortController>();
  private pollTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private filling = false;
  /** A wake came while filling: fill once more, or a slot freed meanwhile waits for the next poll. */
  private wakeAgain = false;
  private stopped = false;
  /** JOBS_CONCURRENCY: jobs decoding or transcribing. */
  private readonly runnerSlots: Slots;
  private readonly downloadSlots: Slots;
  /** URL jobs held here before their audio is there, downloading or waiting to. */
  private downloadPhase = 0;
  private readonly work = new Set<Promise<void>>();

  constructor(
    private readonly store: JobStore,
    private readonly files: JobFiles,
    private readonly decoder: AudioDecoder,
    private readonly decodeSlots: DecodeSlots,
    private readonly quota: JobStorageQuota,
    private readonly transcription: TranscriptionService,
    private readonly fetcher: UrlFetcher,
    private readonly metrics: JobsMetrics,
    private readonly config: AppConfig,
  ) {
    // A lease not renewed for JOBS_LEASE_S marks an orphan any runner may take.
    this.lease = { owner: newOwner(), ttlMs: config.jobs.leaseS * 1000 };
    this.runnerSlots = new Slots(config.jobs.concurrency);
    this.downloadSlots = new Slots(config.jobs.downloadConcurrency);
  }

  onApplicationBootstrap(): void {
    this.pollTimer = setInterval(() => this.wake(), POLL_MS);
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), HEARTBEAT_MS);
    this.wake();
  }

  /** Stops taking jobs; jobs in progress go back to the queue where they stand (their finished chunks kept). */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearInterval(this.heartbeatTimer);
    for (const controller of this.running.values()) controller.abort(new AbortReason('shutdown'));
    await Promise.allSettled([...this.work]);
  }

  /** A job was submitted here, or a slot came free: look for work now rather than at the next poll. */
  wake(): void {
    if (this.stopped) return;
    if (this.filling) {
      this.wakeAgain = true;
      return;
    }
    this.filling = true;
    void this.fill().finally(() => {
      this.filling = false;
      if (this.wakeAgain) {
        this.wakeAgain = false;
        this.wake();
      }
    });
  }

  /** Cancels a job this process runs (the store already says cancelled). */
  abortLocal(id: string): void {
    this.running.get(id)?.abort(new AbortReason('cancelled'));
  }

  get active(): number {
    return this.running.size;
  }

  /**
   * Claims while a runner slot is free. The store hands out the oldest job, URL or not, so once this process holds
   * JOBS_DOWNLOAD_CONCURRENCY downloading and as many waiting it claims nothing (other processes may) until one
   * is done: one process must not hoard the queue's URL jobs.
   */
  private async fill(): Promise<void> {
    try {
      const maxDownloadPhase = 2 * this.config.jobs.downloadConcurrency;
      while (!this.stopped && this.downloadPhase < maxDownloadPhase && this.runnerSlots.tryTake()) {
        let job: Job | undefined;
        try {
          job = await this.store.claim(this.lease, (owner) => ownerIsDead(owner, this.lease.owner));
        } finally {
          if (!job) this.runnerSlots.give();
        }
        if (!job) break;
        // Decided before the next claim, so the bound on URL jobs held here is exact.
        const fetchFirst = Boolean(job.source.url) && !(await this.files.exists(this.files.input(job.id)));
        if (fetchFirst) {
          this.downloadPhase += 1;
          this.runnerSlots.give();
        }
        const controller = new AbortController();
        this.running.set(job.id, controller);
        const work = this.run(job, controller.signal, fetchFirst)
          .catch((error: unknown) => this.logger.error({ err: error, job: job.id }, 'job bookkeeping failed'))
          .finally(() => {
            this.running.delete(job.id);
            this.work.delete(work);
            this.wake();
          });
        this.work.add(work);
      }
      this.metrics.counts(await this.store.countByStatus());
    } catch (error) {
      this.logger.error({ err: error }, 'could not take jobs from the store');
    }
  }

  private async heartbeat(): Promise<void> {
    for (const [id, controller] of this.running) {
      try {
        const status = await this.store.renew(id, this.lease);
        if (status !== 'running') controller.abort(new AbortReason('cancelled'));
      } catch (error) {
        this.logger.warn({ err: error, job: id }, 'could not renew a job lease');
      }
    }
  }

  /** Fetches a URL job's audio holding a download slot only. */
  private async download(job: Job, input: string, signal: AbortSignal): Promise<void> {
    await this.downloadSlots.take(signal);
    try {
      const allowance = await this.quota.remaining(job.tenant ?? OPEN_TENANT);
      await this.fetcher.download(job.source.url!, this.files.directory(job.id), input, signal, allowance);
    } finally {
      this.downloadSlots.give();
    }
  }

  /**
   * Entered holding a runner slot, or (`fetchFirst`) in the download phase without one; gives back whatever it
   * holds however it ends.
   */
  private async run(job: Job, signal: AbortSignal, fetchFirst: boolean): Promise<void> {
    const started = performance.now();
    const owner = this.lease.owner;
    this.logger.log({ job: job.id, run: job.runs, doneS: job.doneS }, job.runs > 1 ? 'job resumed' : 'job started');
    let holdsSlot = !fetchFirst;
    try {
      const input = this.files.input(job.id);
      if (fetchFirst) {
        let slot: Promise<void> | undefined;
        try {
          await this.download(job, input, signal);
          // In line for a runner slot before waking the claim loop, so a newly claimed job cannot take it first.
          slot = this.runnerSlots.take(signal);
        } finally {
          this.downloadPhase -= 1;
          this.wake();
        }
        await slot;
        holdsSlot = true;
      }
      // A Deepgram callback reports the SHA-256 of the audio sent; by the time it is called the input is gone.
      if (job.options.deepgram && !job.options.deepgram.sha256) await this.files.recordDigest(job.id);
      const audio = this.files.audio(job.id);
      // Jobs stored before tenancy share one caller for fairness and quota; they belong to no key.
      const tenant = job.tenant ?? OPEN_TENANT;
      const caller = `key:${tenant}`;
      if (job.durationS === undefined || !(await this.files.exists(audio))) {
        const durationS = await this.decode(input, audio, tenant, caller, signal);
        await this.store.setDuration(job.id, owner, durationS);
      }
      const result = await this.transcription.transcribe(
        { path: audio },
        {
          language: job.options.language,
          prompt: job.options.prompt,
          wordTimestamps: job.options.wordTimestamps,
          signal,
          finished: await this.store.chunks(job.id),
          onChunk: (chunk, index) => this.store.saveChunk(job.id, owner, index, chunk),
          caller,
        },
      );
      const stored = await this.store.finish(
        job.id,
        owner,
        {
          result: {
            transcript: result.transcript,
            provider: result.provider,
            model: result.model,
            processingMs: result.processingMs,
          },
        },
        true,
      );
      // The transcript is stored; the recording goes unless the submitter asked to keep it (it counts to the quota).
      if (stored && !job.options.keepAudio) await this.files.removeAudio(job.id);
      if (stored) this.metrics.finished('succeeded', (performance.now() - started) / 1000);
      this.logger.log({ job: job.id, ms: Math.round(performance.now() - started) }, 'job succeeded');
    } catch (error) {
      if (signal.aborted) {
        if (abortKindOf(signal) === 'shutdown') {
          await this.store.release(job.id, owner);
          this.logger.log({ job: job.id }, 'job returned to the queue for the next start');
        } else {
          await this.store.forget(job.id, owner);
          // A cancelled job never runs again: its recording only takes up the key's quota.
          await this.files.removeAudio(job.id);
          this.metrics.finished('cancelled', (performance.now() - started) / 1000);
          this.logger.log({ job: job.id }, 'job cancelled');
        }
        return;
      }
      const failure = jobError(error);
      if (await this.store.finish(job.id, owner, { error: failure }, true)) {
        // Failed is final too: the recording goes, the error stays on the job.
        await this.files.removeAudio(job.id);
        this.metrics.finished('failed', (performance.now() - started) / 1000);
      }
      this.logger.warn({ job: job.id, error: failure }, 'job failed');
    } finally {
      if (holdsSlot) this.runnerSlots.give();
    }
  }

  /**
   * The input decoded once to `audio` (16 kHz WAV), in a fair decode slot, and cut off where the decoded file would
   * take the job's key past its storage quota (what the input already holds counts).
   */
  private async decode(
    input: string,
    audio: string,
    tenant: string,
    caller: string,
    signal: AbortSignal,
  ): Promise<number> {
    const release = await this.decodeSlots.acquire(caller, signal);
    try {
      return await writeWavFile(this.quota.capped(this.decoder.decodeFile(input, { signal }), tenant), audio);
    } finally {
      release();
    }
  }
}
