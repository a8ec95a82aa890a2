import { setTimeout as sleep } from 'node:timers/promises';

/** Audio a client may send ahead of the real-time allowance before it is held back, in seconds. */
const BURST_S = 2;
/**
 * Unprocessed audio past which the framing stops reading its socket, and past which it gives up on the client
 * (only a client that keeps sending into a paused socket gets there: a paused socket is not read at all).
 */
const PAUSE_BACKLOG_S = 2;
export const MAX_BACKLOG_S = 30;
/**
 * Messages waiting behind the audio (commits, finalizes, settings) past which the client is given up on too: each is
 * held until its turn, so a client flooding them while a little audio waits would otherwise grow this without bound.
 */
export const MAX_QUEUED_ITEMS = 1000;

export interface PacedInboxOptions<T> {
  /** STREAM_MAX_RATE: audio is worked through at most this many times real time (after a short burst). */
  maxRate: number;
  /** Works audio through; returns a promise only when that has to wait (what arrives meanwhile waits behind it). */
  onAudio: (data: Buffer) => Promise<void> | undefined;
  onItem: (item: T) => Promise<void>;
  /** Too much is waiting: stop reading the socket. */
  pause: () => void;
  /** The backlog has drained to half the pause mark: read the socket again. */
  resume: () => void;
  /** More than MAX_BACKLOG_S of audio or MAX_QUEUED_ITEMS messages are waiting: the client ignores backpressure. */
  overflow: () => void;
  /** A handler threw: the framing ends the session. */
  failed: (error: unknown) => void;
}

type Entry<T> = { kind: 'audio'; data: Buffer; seconds: number } | { kind: 'item'; item: T };

/**
 * What a streaming framing received and has not worked through yet, in arrival order: audio is paced to
 * STREAM_MAX_RATE and the items sent after it wait behind it, so pacing holds back a client's messages too. A
 * faster client's backlog grows until its socket is paused, so what it sends stays in its own buffers, not in ours.
 */
export class PacedInbox<T> {
  private readonly entries: Entry<T>[] = [];
  private readonly startedAt = performance.now();
  private backlogSeconds = 0;
  private queuedItems = 0;
  private processedSeconds = 0;
  private draining: Promise<void> | undefined;
  private paused = false;
  private stopped = false;

  constructor(private readonly options: PacedInboxOptions<T>) {}

  audio(data: Buffer, seconds: number): void {
    // Nothing waiting and within the pace (a real-time client, nearly always): worked through now, with no entry and
    // no promise unless the work has to wait.
    if (this.draining === undefined && !this.stopped && this.aheadBy(seconds) <= 0) {
      this.processedSeconds += seconds;
      const waiting = this.attempt(data);
      if (waiting) this.draining = this.drain(waiting);
      return;
    }
    this.backlogSeconds += seconds;
    this.enqueue({ kind: 'audio', data, seconds });
    if (this.backlogSeconds > MAX_BACKLOG_S) {
      this.options.overflow();
    } else if (this.backlogSeconds > PAUSE_BACKLOG_S && !this.paused) {
      this.paused = true;
      this.options.pause();
    }
  }

  push(item: T): void {
    this.queuedItems += 1;
    this.enqueue({ kind: 'item', item });
    if (this.queuedItems > MAX_QUEUED_ITEMS) this.options.overflow();
  }

  /** Drops what is waiting; nothing more is worked through. */
  stop(): void {
    this.stopped = true;
    this.entries.length = 0;
  }

  private enqueue(entry: Entry<T>): void {
    if (this.stopped) return;
    this.entries.push(entry);
    this.draining ??= this.drain();
  }

  /** Works through the entries in order, after `first` (the audio worked through at once, if it has to wait). */
  private async drain(first?: Promise<void>): Promise<void> {
    try {
      await first;
      for (let entry = this.entries.shift(); entry && !this.stopped; entry = this.entries.shift()) {
        if (entry.kind === 'item') {
          this.queuedItems -= 1;
          await this.options.onItem(entry.item);
        } else {
          await this.work(entry.data, entry.seconds);
        }
        if (this.paused && this.backlogSeconds < PAUSE_BACKLOG_S / 2 && !this.stopped) {
          this.paused = false;
          this.options.resume();
        }
      }
    } catch (error) {
      this.options.failed(error);
    } finally {
      this.draining = undefined;
    }
  }

  /** Seconds by which `seconds` more audio would be ahead of the allowance (maxRate × elapsed time, plus the burst). */
  private aheadBy(seconds: number): number {
    const elapsedS = (performance.now() - this.startedAt) / 1000;
    return this.processedSeconds + seconds - (elapsedS * this.options.maxRate + BURST_S);
  }

  private async work(data: Buffer, seconds: number): Promise<void> {
    const aheadS = this.aheadBy(seconds);
    if (aheadS > 0) await sleep((aheadS / this.options.maxRate) * 1000);
    this.backlogSeconds -= seconds;
    this.processedSeconds += seconds;
    await this.options.onAudio(data);
  }

  /** `onAudio` outside the drain: a throw is told like one inside it. */
  private attempt(data: Buffer): Promise<void> | undefined {
    try {
      return this.options.onAudio(data);
    } catch (error) {
      this.options.failed(error);
      return undefined;
    }
  }
}
