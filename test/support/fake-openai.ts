import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
// Type only: unit tests that use the fake alone must not load the whole app (withFakeProvider imports it lazily).
import type { TestApp } from './test-app';

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
  /** `delayMs` as a function: a new delay for every request (finals of one stream then finish out of order). */
  | { kind: 'ok'; text?: string; delayMs?: number | (() => number) }
  /** Finds the sounds in the WAV it received and answers one "word" per sound, timed in that WAV. */
  | { kind: 'sounds' }
  | { kind: 'status'; status: number; retryAfter?: string; message?: string }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'malformed' }
  /** Headers at once, then the body a few bytes at a time, `intervalMs` apart: slower in total than any timeout. */
  | { kind: 'drip'; intervalMs: number }
  /** 200 with an HTML page, as a misconfigured proxy in front of the provider answers. */
  | { kind: 'wrong-type' }
  /** 200 with exactly this JSON body (a transcript without segments, a model list). */
  | { kind: 'json'; body: unknown };

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
    if (body.length > this.maxBodyBytes) {
      await this.answer({ kind: 'status', status: 413, message: 'Maximum content size limit exceeded' }, res);
      return;
    }
    await this.answer(this.script.shift() ?? this.fallback, res, seen);
  }

  /** Every request gets this behaviour when no script is left (default: `ok`). */
  fallback: Behaviour = { kind: 'ok' };
  /** Bodies above this many bytes get 413, as OpenAI's 25 MB limit does. */
  maxBodyBytes = Number.POSITIVE_INFINITY;

  private async answer(behaviour: Behaviour, res: ServerResponse, seen?: SeenRequest): Promise<void> {
    switch (behaviour.kind) {
      case 'sounds': {
        const spans = soundsIn(seen?.file?.bytes ?? Buffer.alloc(0));
        const words = spans.map((span, i) => ({ word: `sound${i}`, start: span.start, end: span.end }));
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            text: words.map((w) => w.word).join(' '),
            language: 'english',
            segments: words.map((w) => ({ start: w.start, end: w.end, text: w.word })),
            words,
          }),
        );
        return;
      }
      case 'ok': {
        const delayMs = typeof behaviour.delayMs === 'function' ? behaviour.delayMs() : behaviour.delayMs;
        if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
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
      case 'drip': {
        res.setHeader('content-type', 'application/json');
        const body = JSON.stringify({ text: 'too late', segments: [] });
        for (let at = 0; at < body.length && !res.destroyed; at += 4) {
          res.write(body.slice(at, at + 4));
          await new Promise((resolve) => setTimeout(resolve, behaviour.intervalMs));
        }
        if (!res.destroyed) res.end();
        return;
      }
      case 'wrong-type':
        res.setHeader('content-type', 'text/html');
        res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
        return;
      case 'json':
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(behaviour.body));
        return;
    }
  }
}

/** Spans (in seconds) where a 16 kHz 16-bit WAV is above −40 dBFS in 10 ms windows, gaps under 300 ms merged. */
function soundsIn(wav: Buffer): { start: number; end: number }[] {
  if (wav.length <= 44) return [];
  const samples = new Int16Array(
    wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.length - ((wav.length - 44) % 2)),
  );
  const window = 160;
  const spans: { start: number; end: number }[] = [];
  for (let at = 0; at + window <= samples.length; at += window) {
    let sum = 0;
    for (let i = at; i < at + window; i += 1) sum += (samples[i]! / 32768) ** 2;
    if (10 * Math.log10(sum / window + 1e-12) <= -40) continue;
    const last = spans[spans.length - 1];
    if (last && at / 16000 - last.end < 0.3) last.end = (at + window) / 16000;
    else spans.push({ start: at / 16000, end: (at + window) / 16000 });
  }
  return spans;
}

/** The app on a fresh fake OpenAI-compatible server, for one describe block; `app()` once beforeAll has run. */
export function withFakeProvider(env: Record<string, string>): { fake: FakeOpenAi; app: () => TestApp } {
  const fake = new FakeOpenAi();
  let t: TestApp | undefined;
  beforeAll(async () => {
    await fake.start();
    const { startTestApp } = await import('./test-app.js');
    t = await startTestApp({ env: { ASR_PROVIDER: 'openai-compatible', ASR_BASE_URL: fake.url, ...env } });
  });
  afterAll(async () => {
    await t?.close();
    await fake.stop();
  });
  return { fake, app: () => t! };
}
