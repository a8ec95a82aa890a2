import cluster from 'node:cluster';

/** Messages between a worker and the primary of `API_WORKERS` (Node's cluster IPC channel). */
export interface IpcRequest {
  kind: 'asr:request';
  id: number;
  topic: string;
  payload?: unknown;
}

export interface IpcReply {
  kind: 'asr:reply';
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

export interface IpcNotice {
  kind: 'asr:notice';
  topic: string;
  payload?: unknown;
}

/** A worker's notice once it listens: from then on the primary counts it (metrics, `asr_workers`). */
export const WORKER_READY = 'worker.ready';

/** True in a worker of `API_WORKERS` > 1: shared state (stream slots, metrics) lives in the primary. */
export function inClusterWorker(): boolean {
  return cluster.isWorker && typeof process.send === 'function';
}

/**
 * Requests in flight over one IPC channel and their replies, matched by id; each side (a worker asking the
 * primary, the primary asking its workers) keeps one. A request not answered within its time is rejected: a
 * process that is gone never answers.
 */
export class IpcCalls {
  private nextId = 0;
  private readonly pending = new Map<number, (reply: IpcReply) => void>();

  ask<T>(send: (request: IpcRequest) => void, topic: string, payload: unknown, timeoutMs: number): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to "${topic}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        if (reply.ok) resolve(reply.value as T);
        else reject(new Error(reply.error ?? `"${topic}" failed`));
      });
      send({ kind: 'asr:request', id, topic, payload });
    });
  }

  settle(reply: IpcReply): void {
    this.pending.get(reply.id)?.(reply);
    this.pending.delete(reply.id);
  }
}

/** The reply to `request`: what `handle` returns, or its failure. */
export async function replyTo(request: IpcRequest, handle: (request: IpcRequest) => unknown): Promise<IpcReply> {
  try {
    return { kind: 'asr:reply', id: request.id, ok: true, value: await handle(request) };
  } catch (error) {
    return { kind: 'asr:reply', id: request.id, ok: false, error: String(error) };
  }
}

const calls = new IpcCalls();
const handlers = new Map<string, (payload: unknown) => unknown>();
let listening = false;

function listen(): void {
  if (listening) return;
  listening = true;
  process.on('message', (message: Partial<IpcReply | IpcRequest>) => {
    if (message?.kind === 'asr:request') void answer(message as IpcRequest);
    else if (message?.kind === 'asr:reply') calls.settle(message as IpcReply);
  });
}

async function answer(request: IpcRequest): Promise<void> {
  const reply = await replyTo(request, ({ topic, payload }) => {
    const handler = handlers.get(topic);
    if (!handler) throw new Error(`no handler for "${topic}"`);
    return handler(payload);
  });
  process.send?.(reply);
}

/** In a worker: answers the primary's requests on `topic` (its metrics, say). */
export function answerPrimary(topic: string, handler: (payload: unknown) => unknown): void {
  listen();
  handlers.set(topic, handler);
}

/** Asks the primary and waits for its answer. */
export function askPrimary<T>(topic: string, payload?: unknown, timeoutMs = 5000): Promise<T> {
  listen();
  return calls.ask<T>((request) => process.send!(request), topic, payload, timeoutMs);
}

/** Tells the primary something that needs no answer. */
export function tellPrimary(topic: string, payload?: unknown): void {
  const notice: IpcNotice = { kind: 'asr:notice', topic, payload };
  process.send?.(notice);
}
