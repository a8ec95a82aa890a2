import cluster from 'node:cluster';
import type { OnApplicationShutdown } from '@nestjs/common';
import { IpcCalls, type IpcMessage, type IpcReply, type IpcRequest, replyTo } from './ipc-messages';

/** The worker's end of Node's cluster IPC channel (`process` in a worker); a test passes a fake. */
export interface WorkerPort {
  send(message: IpcMessage): void;
  on(event: 'message', listener: (message: unknown) => void): void;
  off(event: 'message', listener: (message: unknown) => void): void;
}

/** `process` in a worker of `API_WORKERS` > 1; undefined in a server of its own (nothing to share state with). */
export function workerPort(): WorkerPort | undefined {
  const send = process.send?.bind(process);
  if (!cluster.isWorker || send === undefined) return undefined;
  return {
    send: (message) => send(message),
    on: (event, listener) => process.on(event, listener),
    off: (event, listener) => process.off(event, listener),
  };
}

const DEFAULT_ASK_TIMEOUT_MS = 5000;

/**
 * A worker's channel to the primary, which keeps what the workers share (stream admission, summed metrics).
 * Outside a worker there is no primary: `tell` and `answer` do nothing and `ask` fails, so callers check `inWorker`
 * where they have a local answer of their own.
 */
export class ClusterChannel implements OnApplicationShutdown {
  private readonly calls = new IpcCalls();
  private readonly handlers = new Map<string, (payload: unknown) => unknown>();
  private listening = false;

  constructor(private readonly port: WorkerPort | undefined) {}

  get inWorker(): boolean {
    return this.port !== undefined;
  }

  /** Asks the primary and waits for its answer. */
  ask<T>(topic: string, payload?: unknown, timeoutMs = DEFAULT_ASK_TIMEOUT_MS): Promise<T> {
    const port = this.port;
    if (port === undefined) return Promise.reject(new Error(`"${topic}": this process is not a cluster worker`));
    this.listen(port);
    return this.calls.ask<T>((request) => port.send(request), topic, payload, timeoutMs);
  }

  /** Tells the primary something that needs no answer. */
  tell(topic: string, payload?: unknown): void {
    this.port?.send({ kind: 'asr:notice', topic, payload });
  }

  /** Answers the primary's requests on `topic` (its metrics, say). */
  answer(topic: string, handler: (payload: unknown) => unknown): void {
    if (this.port === undefined) return;
    this.listen(this.port);
    this.handlers.set(topic, handler);
  }

  onApplicationShutdown(): void {
    if (this.listening) this.port?.off('message', this.receive);
    this.listening = false;
  }

  private listen(port: WorkerPort): void {
    if (this.listening) return;
    this.listening = true;
    port.on('message', this.receive);
  }

  private readonly receive = (message: unknown): void => {
    const kind = (message as Partial<IpcMessage> | null)?.kind;
    if (kind === 'asr:request') void this.reply(message as IpcRequest);
    else if (kind === 'asr:reply') this.calls.settle(message as IpcReply);
  };

  private async reply(request: IpcRequest): Promise<void> {
    const reply = await replyTo(request, ({ topic, payload }) => {
      const handler = this.handlers.get(topic);
      if (!handler) throw new Error(`no handler for "${topic}"`);
      return handler(payload);
    });
    this.port?.send(reply);
  }
}
