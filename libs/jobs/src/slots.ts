/**
 * A fixed number of slots and a first-come queue for them. A freed slot passes straight to the oldest waiter, so a
 * waiter is never overtaken by a newcomer's `tryTake`. A waiter whose signal aborts leaves the queue at once
 * (cockatiel's bulkhead keeps it queued until a slot frees, which would keep a cancelled job held here).
 */
export class Slots {
  private used = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly size: number) {}

  tryTake(): boolean {
    if (this.used >= this.size) return false;
    this.used += 1;
    return true;
  }

  take(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    if (this.tryTake()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        signal.removeEventListener('abort', leave);
        resolve();
      };
      const leave = (): void => {
        this.waiters.splice(this.waiters.indexOf(grant), 1);
        reject(signal.reason as Error);
      };
      signal.addEventListener('abort', leave, { once: true });
      this.waiters.push(grant);
    });
  }

  give(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.used -= 1;
  }
}
