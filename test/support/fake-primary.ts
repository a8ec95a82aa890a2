import type { IpcMessage, WorkerPort } from '@asr/cluster';

/**
 * The primary of API_WORKERS as a worker's ClusterChannel sees it: what the worker sent, and a way to send it
 * messages. Strict: a second listener, or removing one never added, throws.
 */
export class FakePrimary implements WorkerPort {
  readonly received: IpcMessage[] = [];
  private listener: ((message: unknown) => void) | undefined;

  send(message: IpcMessage): void {
    this.received.push(message);
  }

  on(event: 'message', listener: (message: unknown) => void): void {
    if (event !== 'message' || this.listener) throw new Error(`unexpected listener for "${event}"`);
    this.listener = listener;
  }

  off(event: 'message', listener: (message: unknown) => void): void {
    if (event !== 'message' || this.listener !== listener) throw new Error('removed a listener never added');
    this.listener = undefined;
  }

  get listening(): boolean {
    return this.listener !== undefined;
  }

  deliver(message: unknown): void {
    if (!this.listener) throw new Error('the worker is not listening');
    this.listener(message);
  }
}
