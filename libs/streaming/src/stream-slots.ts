import type { ClusterChannel } from '@asr/cluster';
import type { AppConfig } from '@asr/config';
import { type Admission, SlotLedger, type SlotLimits } from './stream-slot-ledger';

/**
 * Admission to STREAMING_MAX_CLIENTS and STREAMS_PER_KEY, decided in one step. One process counts its own
 * sessions; under API_WORKERS the primary counts for every worker (a worker asks it at each connection), so both
 * limits hold for the whole server however connections spread.
 */
export abstract class StreamSlots {
  /** A slot for `caller` (its Caller id), counted before this returns anything to wait on. */
  abstract tryAcquire(caller: string): Promise<Admission>;
  abstract release(caller: string): void;
}

export class LocalStreamSlots extends StreamSlots {
  private readonly ledger: SlotLedger;

  constructor(limits: SlotLimits) {
    super();
    this.ledger = new SlotLedger(limits);
  }

  tryAcquire(caller: string): Promise<Admission> {
    return Promise.resolve(this.ledger.take(caller));
  }

  release(caller: string): void {
    this.ledger.give(caller);
  }
}

export const STREAM_SLOT_TOPICS = { acquire: 'stream-slot.acquire', release: 'stream-slot.release' } as const;

/** What a worker sends with both topics. */
export interface StreamSlotMessage {
  caller: string;
}

export class ClusterStreamSlots extends StreamSlots {
  constructor(private readonly channel: ClusterChannel) {
    super();
  }

  tryAcquire(caller: string): Promise<Admission> {
    return this.channel.ask<Admission>(STREAM_SLOT_TOPICS.acquire, { caller } satisfies StreamSlotMessage);
  }

  release(caller: string): void {
    this.channel.tell(STREAM_SLOT_TOPICS.release, { caller } satisfies StreamSlotMessage);
  }
}

/** The caller a worker's slot message names; undefined for anything else (the primary must not crash on it). */
export function slotCaller(payload: unknown): string | undefined {
  const caller = (payload as Partial<StreamSlotMessage> | undefined)?.caller;
  return typeof caller === 'string' ? caller : undefined;
}

/** The primary's side: one ledger for the whole server, and what each worker holds, freed at once when it dies. */
export class StreamSlotBroker {
  private readonly ledger: SlotLedger;
  private readonly byWorker = new Map<number, Map<string, number>>();

  constructor(limits: SlotLimits) {
    this.ledger = new SlotLedger(limits);
  }

  get used(): number {
    return this.ledger.used;
  }

  acquire(worker: number, caller: string): Admission {
    const admission = this.ledger.take(caller);
    if (admission === 'admitted') {
      const held = this.byWorker.get(worker) ?? new Map<string, number>();
      held.set(caller, (held.get(caller) ?? 0) + 1);
      this.byWorker.set(worker, held);
    }
    return admission;
  }

  release(worker: number, caller: string): void {
    const held = this.byWorker.get(worker);
    const count = held?.get(caller) ?? 0;
    // A release the worker never acquired (a late duplicate) must not free another worker's slot.
    if (!held || count === 0) return;
    if (count === 1) held.delete(caller);
    else held.set(caller, count - 1);
    this.ledger.give(caller);
  }

  workerGone(worker: number): void {
    for (const [caller, count] of this.byWorker.get(worker) ?? []) this.ledger.give(caller, count);
    this.byWorker.delete(worker);
  }
}

/** The one place the admission counter is chosen (the StreamSlots provider's factory). */
export function streamSlotsFor(config: AppConfig, channel: ClusterChannel): StreamSlots {
  if (channel.inWorker) return new ClusterStreamSlots(channel);
  return new LocalStreamSlots({ max: config.streaming.maxClients, perCaller: config.security.streamsPerKey });
}
