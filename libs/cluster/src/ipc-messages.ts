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

export type IpcMessage = IpcRequest | IpcReply | IpcNotice;

/** A worker's notice once it listens: from then on the primary counts it (metrics, `asr_workers`). */
export const WORKER_READY = 'worker.ready';

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
