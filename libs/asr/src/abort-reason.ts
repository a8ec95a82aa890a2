/**
 * Why work was stopped. `shutdown`: the process is stopping and the work should resume at the next start;
 * `cancelled`: its owner cancelled it for good; `client_gone`: nobody is waiting for the answer any more;
 * `sibling_failed`: another part of the same work failed, so this part's result is of no use.
 */
export type AbortKind = 'shutdown' | 'cancelled' | 'client_gone' | 'sibling_failed';

const MESSAGES: Record<AbortKind, string> = {
  shutdown: 'stopped by a shutdown',
  cancelled: 'cancelled',
  client_gone: 'the client went away',
  sibling_failed: 'another part of the same work failed',
};

/**
 * The reason given to `AbortController.abort`, read back from `signal.reason` by whoever catches the stop: the
 * kind is checked, never the message. An Error, so code that rejects with a signal's reason keeps a stack.
 */
export class AbortReason extends Error {
  constructor(readonly kind: AbortKind) {
    super(MESSAGES[kind]);
    this.name = 'AbortReason';
  }
}

/** The kind of stop behind an aborted signal; undefined while it runs, or when something else aborted it. */
export function abortKindOf(signal: AbortSignal): AbortKind | undefined {
  const reason: unknown = signal.reason;
  return signal.aborted && reason instanceof AbortReason ? reason.kind : undefined;
}
