import { Injectable } from '@nestjs/common';
import { AppConfig } from '@asr/config';

interface Waiter {
  grant: (release: () => void) => void;
}

/**
 * UPLOAD_DECODE_CONCURRENCY slots for uploads in progress (held from decoding to the last provider answer: the
 * pipeline streams, so decoding, VAD and transcription of one upload overlap), handed out fairly:
 * when they are all taken, waiting callers get the next free slot in turn, one each, however many uploads a caller
 * has queued — so one caller's burst of long files cannot keep another caller's short one waiting behind them all.
 */
@Injectable()
export class DecodeSlots {
  private readonly capacity: number;
  private inUse = 0;
  /** Waiting uploads by caller, in the order callers first queued (a Map keeps insertion order). */
  private readonly waiting = new Map<string, Waiter[]>();

  constructor(config: AppConfig) {
    this.capacity = config.audio.decodeConcurrency;
  }

  get busy(): number {
    return this.inUse;
  }

  /** Resolves with a release function once `owner` holds a slot; rejects if `signal` aborts first. */
  acquire(owner: string, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new Error('aborted before a decode slot was free'));
    if (this.inUse < this.capacity && this.waiting.size === 0) return Promise.resolve(this.grant());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', leave);
          resolve(release);
        },
      };
      const queue = this.waiting.get(owner) ?? [];
      queue.push(waiter);
      this.waiting.set(owner, queue);
      const leave = (): void => {
        const mine = this.waiting.get(owner);
        const at = mine?.indexOf(waiter) ?? -1;
        if (at < 0) return;
        mine!.splice(at, 1);
        if (mine!.length === 0) this.waiting.delete(owner);
        reject(signal!.reason instanceof Error ? signal!.reason : new Error('aborted while waiting for a decode slot'));
      };
      signal?.addEventListener('abort', leave, { once: true });
    });
  }

  private grant(): () => void {
    this.inUse += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse -= 1;
      this.next();
    };
  }

  /** The caller first in line gets the slot, then goes to the back of the line (round robin between callers). */
  private next(): void {
    const first = this.waiting.entries().next();
    if (first.done || this.inUse >= this.capacity) return;
    const [owner, queue] = first.value;
    const waiter = queue.shift()!;
    this.waiting.delete(owner);
    if (queue.length > 0) this.waiting.set(owner, queue);
    waiter.grant(this.grant());
  }
}
