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

let nextId = 0;
const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
const handlers = new Map<string, (payload: unknown) => unknown>();
let listening = false;

function listen(): void {
  if (listening) return;
  listening = true;
  process.on('message', (message: Partial<IpcReply | IpcRequest>) => {
    if (message?.kind === 'asr:request' && message.id !== undefined) {
      void answer(message as IpcRequest);
      return;
    }
    if (message?.kind !== 'asr:reply' || message.id === undefined) return;
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.ok) waiter.resolve(message.value);
    else waiter.reject(new Error(message.error ?? 'the primary process failed the request'));
  });
}

async function answer(request: IpcRequest): Promise<void> {
  const handler = handlers.get(request.topic);
  let reply: IpcReply;
  try {
    if (!handler) throw new Error(`no handler for "${request.topic}"`);
    reply = { kind: 'asr:reply', id: request.id, ok: true, value: await handler(request.payload) };
  } catch (error) {
    reply = { kind: 'asr:reply', id: request.id, ok: false, error: String(error) };
  }
  process.send?.(reply);
}

/** In a worker: answers the primary's requests on `topic` (its metrics, say). */
export function answerPrimary(topic: string, handler: (payload: unknown) => unknown): void {
  listen();
  handlers.set(topic, handler);
}

/** Asks the primary and waits for its answer (rejects after `timeoutMs`: a primary that is gone never answers). */
export function askPrimary<T>(topic: string, payload?: unknown, timeoutMs = 5000): Promise<T> {
  listen();
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error(`the primary process did not answer "${topic}" within ${timeoutMs} ms`));
    }, timeoutMs);
    pending.set(id, {
      resolve: (value) => {
        clearTimeout(timer);
        resolve(value as T);
      },
      reject: (error) => {
        clearTimeout(timer);
        reject(error);
      },
    });
    const request: IpcRequest = { kind: 'asr:request', id, topic, payload };
    process.send!(request);
  });
}

/** Tells the primary something that needs no answer. */
export function tellPrimary(topic: string, payload?: unknown): void {
  const notice: IpcNotice = { kind: 'asr:notice', topic, payload };
  process.send?.(notice);
}
