import type { VadBackend, VadFrame, VadStreamState } from './vad-backend';

/** What a recording's VAD needs from the batcher: per-recording state and one frame's inference at a time. */
export interface VadFrameQueue {
  newState(): VadStreamState;
  releaseState(state: VadStreamState): void;
  submit(frame: VadFrame): Promise<number>;
  /**
   * A turn of the event loop for the work between inferences (reading, segmenting): at once for live work and
   * for callers that are not ahead; after AHEAD_INTERVAL_MS for a caller that is, so all its work yields, not
   * only its inferences.
   */
  pace(): Promise<void>;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * One caller's uploads in the batcher: the frames they have been served so far (while the caller has any upload
 * open). A caller served far more than the least-served one is "ahead" and waits its turn (see VadBatcher).
 */
export class VadShare {
  served = 0;
  constructor(readonly owner: string) {}
}

interface Pending {
  frame: VadFrame;
  share: VadShare | undefined;
  resolve: (probability: number) => void;
  reject: (error: Error) => void;
}

export interface BatchObserver {
  (batchSize: number, seconds: number): void;
}

/**
 * Frames a caller may be served beyond the least-served caller before it counts as ahead: 4,000 frames are about
 * two minutes of audio, so callers with similar work simply share batches.
 */
const AHEAD_SLACK_FRAMES = 4000;
/** While someone is behind, a caller that is ahead gets one batch per this many ms (it never starves either). */
const AHEAD_INTERVAL_MS = 8;
/**
 * A caller that was behind still counts for this long after its upload's VAD ended: its next request (or its
 * transcription's other steps) usually follows within it, and a caller ahead running flat out in those gaps
 * fills the heap that the next collection then pauses everyone for.
 */
const BEHIND_LINGER_MS = 500;

/**
 * Collects frames that streams submit in the same event-loop turn and runs them as one batched inference, at most
 * `maxBatch` frames a run (a run blocks the loop: the cap bounds how long), yielding to I/O between runs.
 * A stream must await each frame before submitting its next: the backend's recurrent state is sequential.
 *
 * Live streams (frames without a share) always go first: they run in real time. Upload frames carry their caller's
 * share, and callers are served least-attained first: one that has been served far more than another caller with
 * an upload open waits, its frames going first once every AHEAD_INTERVAL_MS (so it never starves), so one caller's
 * four-hour file slows another's short upload by little while both run, and runs at full speed again when alone.
 */
export class VadBatcher implements VadFrameQueue {
  private queue: Pending[] = [];
  private scheduled: 'immediate' | NodeJS.Timeout | undefined;
  /** Callers with an upload open, by owner, with how many they have open. */
  private readonly shares = new Map<string, { share: VadShare; open: number }>();
  private lastAheadRunMs = 0;
  /** Until when a caller that was behind, now gone, still holds the others back (BEHIND_LINGER_MS). */
  private behindUntilMs = 0;

  constructor(
    private readonly backend: VadBackend,
    private readonly maxBatch: number,
    private readonly observe: BatchObserver = () => undefined,
  ) {}

  get backendName(): VadBackend['name'] {
    return this.backend.name;
  }

  /** A fresh per-stream state for this batcher's backend; give it back with `releaseState` when the stream ends. */
  newState(): VadStreamState {
    return this.backend.newState();
  }

  releaseState(state: VadStreamState): void {
    this.backend.releaseState(state);
  }

  submit(frame: VadFrame): Promise<number> {
    return this.enqueue(frame, undefined);
  }

  pace(): Promise<void> {
    return nextTurn();
  }

  /**
   * The batcher as one upload of `owner` (a caller id) sees it: its frames are counted to the caller's share until
   * `close()`. A caller's uploads share one share, so two of its files count as one caller's work.
   */
  openUpload(owner: string): VadFrameQueue & { close(): void } {
    const entry = this.shares.get(owner) ?? { share: new VadShare(owner), open: 0 };
    entry.open += 1;
    this.shares.set(owner, entry);
    let closed = false;
    return {
      newState: () => this.newState(),
      releaseState: (state) => this.releaseState(state),
      submit: (frame) => this.enqueue(frame, entry.share),
      pace: () =>
        this.isAhead(entry.share) ? new Promise<void>((resolve) => setTimeout(resolve, AHEAD_INTERVAL_MS)) : nextTurn(),
      close: () => {
        if (closed) return;
        closed = true;
        entry.open -= 1;
        if (entry.open > 0) return;
        if (!this.isAhead(entry.share)) this.behindUntilMs = performance.now() + BEHIND_LINGER_MS;
        this.shares.delete(owner);
      },
    };
  }

  private enqueue(frame: VadFrame, share: VadShare | undefined): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ frame, share, resolve, reject });
      // A frame that may run now replaces a deferred run of frames that are ahead.
      if (this.scheduled !== 'immediate' && (share === undefined || !this.isAhead(share))) this.runSoon();
      else this.scheduled ??= this.runSoon();
    });
  }

  private runSoon(): 'immediate' {
    if (this.scheduled !== undefined && this.scheduled !== 'immediate') clearTimeout(this.scheduled);
    this.scheduled = 'immediate';
    setImmediate(() => void this.flush());
    return 'immediate';
  }

  /** True when `share` has been served well beyond the least-served caller with an upload open. */
  private isAhead(share: VadShare): boolean {
    return share.served > this.aheadThreshold();
  }

  /** Frames served above which a caller is ahead: the least-served caller's, plus the slack. */
  private aheadThreshold(): number {
    // A caller that was behind a moment ago stands for one that has been served nothing.
    let least = performance.now() < this.behindUntilMs ? 0 : Infinity;
    for (const { share } of this.shares.values()) least = Math.min(least, share.served);
    return least + AHEAD_SLACK_FRAMES;
  }

  /**
   * The next batch: live and behind frames; once every AHEAD_INTERVAL_MS the frames that are ahead go first, so
   * they get their turn however busy the others keep the batcher.
   */
  private takeBatch(): { batch: Pending[]; waitMs: number } {
    const threshold = this.aheadThreshold();
    const runnable: Pending[] = [];
    const ahead: Pending[] = [];
    for (const pending of this.queue)
      (pending.share !== undefined && pending.share.served > threshold ? ahead : runnable).push(pending);
    const sinceAheadMs = performance.now() - this.lastAheadRunMs;
    const aheadDue = ahead.length > 0 && sinceAheadMs >= AHEAD_INTERVAL_MS;
    const candidates = aheadDue ? ahead.concat(runnable) : runnable;
    if (candidates.length === 0) return { batch: [], waitMs: AHEAD_INTERVAL_MS - sinceAheadMs };
    if (aheadDue) this.lastAheadRunMs = performance.now();
    this.queue = candidates.slice(this.maxBatch).concat(aheadDue ? [] : ahead);
    return { batch: candidates.slice(0, this.maxBatch), waitMs: 0 };
  }

  /** One run at a time: `scheduled` stays 'immediate' until the run is over, so submissions meanwhile just queue. */
  private async flush(): Promise<void> {
    const { batch, waitMs } = this.takeBatch();
    if (batch.length > 0) await this.run(batch);
    this.scheduled = undefined;
    if (this.queue.length === 0) return;
    if (batch.length > 0 || waitMs <= 0) {
      this.runSoon();
      return;
    }
    this.scheduled = setTimeout(() => {
      this.scheduled = 'immediate';
      void this.flush();
    }, waitMs);
  }

  private async run(batch: Pending[]): Promise<void> {
    const started = performance.now();
    try {
      const probabilities = await this.backend.infer(batch.map((p) => p.frame));
      this.observe(batch.length, (performance.now() - started) / 1000);
      batch.forEach((p, i) => {
        if (p.share) p.share.served += 1;
        p.resolve(probabilities[i]!);
      });
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      batch.forEach((p) => p.reject(failure));
    }
  }
}
