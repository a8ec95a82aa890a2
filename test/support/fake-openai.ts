import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** What the fake saw of one request: enough to check the exact call the SDK made. */
export interface SeenRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  fields: Record<string, string[]>;
  file?: { name: string; type: string; bytes: Buffer };
  /** True when the client closed the connection before the fake answered. */
  aborted: boolean;
}

export type Behaviour =
  | { kind: 'ok'; text?: string; delayMs?: number }
  | { kind: 'status'; status: number; retryAfter?: string; message?: string }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'malformed' };

/**
 * A small OpenAI-compatible server on 127.0.0.1: it parses the multipart request the real SDK sends, records it,
 * and answers with the next scripted behaviour (default: a verbose_json transcript).
 */
export class FakeOpenAi {
  readonly seen: SeenRequest[] = [];
  private script: Behaviour[] = [];
  private server: Server | undefined;
  private readonly open = new Set<ServerResponse>();
  url = '';

  /** Behaviours for the next requests, in order; afterwards every request gets `ok`. */
  will(...behaviours: Behaviour[]): void {
    this.script.push(...behaviours);
  }

  reset(): void {
    this.seen.length = 0;
    this.script = [];
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address() as { port: number };
    this.url = `http://127.0.0.1:${address.port}/v1`;
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const seen: SeenRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      authorization: req.headers.authorization,
      fields: {},
      aborted: false,
    };
    if (String(req.headers['content-type']).startsWith('multipart/form-data')) {
      const form = await new Request('http://fake/', {
        method: 'POST',
        headers: { 'content-type': String(req.headers['content-type']) },
        body,
      }).formData();
      for (const [name, value] of form.entries()) {
        if (typeof value === 'string') (seen.fields[name] ??= []).push(value);
        else seen.file = { name: value.name, type: value.type, bytes: Buffer.from(await value.arrayBuffer()) };
      }
    }
    this.seen.push(seen);
    res.on('close', () => {
      if (!res.writableFinished) seen.aborted = true;
      this.open.delete(res);
    });
    this.open.add(res);
    await this.answer(this.script.shift() ?? { kind: 'ok' }, res);
  }

  private async answer(behaviour: Behaviour, res: ServerResponse): Promise<void> {
    switch (behaviour.kind) {
      case 'ok': {
        if (behaviour.delayMs) await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
        if (res.destroyed) return;
        const text = behaviour.text ?? 'hello from the fake provider';
        const words = text.split(' ').map((word, i) => ({ word, start: i * 0.5, end: i * 0.5 + 0.4 }));
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            task: 'transcribe',
            language: 'english',
            duration: words.length * 0.5,
            text,
            segments: [{ id: 0, seek: 0, start: 0, end: words.length * 0.5, text: ` ${text}` }],
            words,
          }),
        );
        return;
      }
      case 'status':
        res.statusCode = behaviour.status;
        res.setHeader('content-type', 'application/json');
        if (behaviour.retryAfter) res.setHeader('retry-after', behaviour.retryAfter);
        res.end(
          JSON.stringify({ error: { message: behaviour.message ?? `fake ${behaviour.status}`, type: 'server_error' } }),
        );
        return;
      case 'hang':
        return;
      case 'reset':
        res.socket?.destroy();
        return;
      case 'malformed':
        res.setHeader('content-type', 'application/json');
        res.end('{"text": "unterminated');
        return;
    }
  }
}
