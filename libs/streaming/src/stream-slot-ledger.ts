/** What a request for a stream slot gets: a slot, or which limit is full. */
export type Admission = 'admitted' | 'server_full' | 'too_many_streams';

export interface SlotLimits {
  /** STREAMING_MAX_CLIENTS: streams open in all. */
  max: number;
  /** STREAMS_PER_KEY: streams one caller may hold; 0: no per-caller limit. */
  perCaller: number;
}

/**
 * Streams held, in all and per caller. A slot is checked and counted in one synchronous step, so however many
 * handshakes arrive together, none sees a count that an earlier one has not yet added to.
 */
export class SlotLedger {
  private total = 0;
  private readonly byCaller = new Map<string, number>();

  constructor(private readonly limits: SlotLimits) {}

  get used(): number {
    return this.total;
  }

  take(caller: string): Admission {
    const held = this.byCaller.get(caller) ?? 0;
    // The caller's own limit first: it is the one that closing a stream of theirs would fix.
    if (this.limits.perCaller > 0 && held >= this.limits.perCaller) return 'too_many_streams';
    if (this.total >= this.limits.max) return 'server_full';
    this.total += 1;
    this.byCaller.set(caller, held + 1);
    return 'admitted';
  }

  /** Gives back up to `count` of the caller's slots (never more than it holds). */
  give(caller: string, count = 1): void {
    const held = this.byCaller.get(caller) ?? 0;
    const freed = Math.min(held, count);
    this.total -= freed;
    if (held - freed > 0) this.byCaller.set(caller, held - freed);
    else this.byCaller.delete(caller);
  }
}
