import type { VadBackend, VadFrame, VadStreamState } from './vad-backend';

interface Pending {
  frame: VadFrame;
  resolve: (probability: number) => void;
  reject: (error: Error) => void;
}

export interface BatchObserver {
  (batchSize: number, seconds: number): void;
}

/**
 * Collects frames that streams submit in the same event-loop turn and runs them as one batched inference, at most
 * `maxBatch` frames a run (a run blocks the loop: the cap bounds how long), yielding to I/O between runs.
 * A stream must await each frame before submitting its next: the backend's recurrent state is sequential.
 */
export class VadBatcher {
  private queue: Pending[] = [];
  private scheduled = false;

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
    return new Promise((resolve, reject) => {
      this.queue.push({ frame, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, this.maxBatch);
    const started = performance.now();
    try {
      const probabilities = await this.backend.infer(batch.map((p) => p.frame));
      this.observe(batch.length, (performance.now() - started) / 1000);
      batch.forEach((p, i) => p.resolve(probabilities[i]!));
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      batch.forEach((p) => p.reject(failure));
    }
    if (this.queue.length > 0) setImmediate(() => void this.flush());
    else this.scheduled = false;
  }
}
