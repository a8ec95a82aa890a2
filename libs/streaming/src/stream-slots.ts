import { askPrimary, inClusterWorker, tellPrimary } from '@asr/observability';

/**
 * Admission to STREAMING_MAX_CLIENTS. One process counts its own sessions; under API_WORKERS the primary counts
 * for every worker (a worker asks it for a slot at each connection), so the cap holds for the whole server however
 * connections spread.
 */
export abstract class StreamSlots {
  abstract tryAcquire(): Promise<boolean>;
  abstract release(): void;
}

export class LocalStreamSlots extends StreamSlots {
  private used = 0;

  constructor(private readonly max: number) {
    super();
  }

  tryAcquire(): Promise<boolean> {
    if (this.used >= this.max) return Promise.resolve(false);
    this.used += 1;
    return Promise.resolve(true);
  }

  release(): void {
    this.used = Math.max(0, this.used - 1);
  }
}

export const STREAM_SLOT_TOPICS = { acquire: 'stream-slot.acquire', release: 'stream-slot.release' } as const;

export class ClusterStreamSlots extends StreamSlots {
  async tryAcquire(): Promise<boolean> {
    return askPrimary<boolean>(STREAM_SLOT_TOPICS.acquire);
  }

  release(): void {
    tellPrimary(STREAM_SLOT_TOPICS.release);
  }
}

/** The primary's side: slots held per worker, freed all at once when a worker dies. */
export class StreamSlotBroker {
  private readonly held = new Map<number, number>();

  constructor(private readonly max: number) {}

  get used(): number {
    let total = 0;
    for (const count of this.held.values()) total += count;
    return total;
  }

  acquire(worker: number): boolean {
    if (this.used >= this.max) return false;
    this.held.set(worker, (this.held.get(worker) ?? 0) + 1);
    return true;
  }

  release(worker: number): void {
    const count = this.held.get(worker) ?? 0;
    if (count <= 1) this.held.delete(worker);
    else this.held.set(worker, count - 1);
  }

  workerGone(worker: number): void {
    this.held.delete(worker);
  }
}

/** The one place the admission counter is chosen. */
export function streamSlotsFor(maxClients: number): StreamSlots {
  return inClusterWorker() ? new ClusterStreamSlots() : new LocalStreamSlots(maxClients);
}
