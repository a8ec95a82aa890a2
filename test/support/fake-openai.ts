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
  /**
   * `delayMs` as a function: a new delay for every request (finals of one stream then finish out of order). The
   * answer is shaped by the request as OpenAI's is: verbose_json (the default; `stats` adds Whisper's per-segment
   * avg_logprob, no_speech_prob, compression_ratio, temperature and tokens), json (with token usage, and logprobs
   * for `include[]=logprobs`), diarized_json (speakers A and B, or the known speakers' names, half the words each);
   * POST /audio/translations answers verbose_json with task "translate".
   */
  | {
      kind: 'ok';
      /** As a function: the text made from the request itself (say, naming how long its audio is). */
      text?: string | ((seen: SeenRequest) => string);
      delayMs?: number | (() => number);
      stats?: boolean;
    }
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
  /** The requests whose answer was sent in full, in the order the answers went (`seen` is the arrival order). */
  readonly answered: SeenRequest[] = [];
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
    this.answered.length = 0;
    this.choose = undefined;
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
    res.on('finish', () => this.answered.push(seen));
    res.on('close', () => {
      if (!res.writableFinished) seen.aborted = true;
      this.open.delete(res);
    });
    this.open.add(res);
    if (body.length > this.maxBodyBytes) {
      await this.answer({ kind: 'status', status: 413, message: 'Maximum content size limit exceeded' }, res, seen);
      return;
    }
    await this.answer(this.choose?.(seen) ?? this.script.shift() ?? this.fallback, res, seen);
  }

  /**
   * Picks a request's behaviour from the request itself (its fields, its audio), ahead of the script; undefined
   * leaves that request to the script and the fallback. For faults aimed at one kind of request among many.
   */
  choose: ((seen: SeenRequest) => Behaviour | undefined) | undefined = undefined;

  /** Every request gets this behaviour when no script is left (default: `ok`). */
  fallback: Behaviour = { kind: 'ok' };
  /** Bodies above this many bytes get 413, as OpenAI's 25 MB limit does. */
  maxBodyBytes = Number.POSITIVE_INFINITY;

  private async answer(behaviour: Behaviour, res: ServerResponse, seen: SeenRequest): Promise<void> {
    switch (behaviour.kind) {
      case 'sounds': {
        const spans = soundsIn(seen.file?.bytes ?? Buffer.alloc(0));
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
        const text =
          typeof behaviour.text === 'function'
            ? behaviour.text(seen)
            : (behaviour.text ?? 'hello from the fake provider');
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(okAnswer(text, seen, behaviour.stats ?? false)));
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

/** Whisper's figures for a segment, as whisper-1 and Whisper servers report them. */
const WHISPER_STATS = { avg_logprob: -0.25, no_speech_prob: 0.02, compression_ratio: 1.1, temperature: 0.2 };

/** The `ok` answer in the format the request asked for (see Behaviour). */
function okAnswer(text: string, seen: SeenRequest | undefined, stats: boolean): unknown {
  // Without a response_format (a connection probe, a bare request) the answer stays verbose_json, as it always was.
  const format = seen?.fields.response_format?.[0] ?? 'verbose_json';
  const words = text.split(' ').map((word, i) => ({ word, start: i * 0.5, end: i * 0.5 + 0.4 }));
  const duration = words.length * 0.5;
  if (format === 'json') {
    const logprobs = seen?.fields['include[]']?.includes('logprobs')
      ? words.map((w, i) => {
          const token = i === 0 ? w.word : ` ${w.word}`;
          return { token, logprob: -0.05 * (i + 1), bytes: [...Buffer.from(token, 'utf8')] };
        })
      : undefined;
    const usage = { type: 'tokens', input_tokens: 40, output_tokens: words.length, total_tokens: 40 + words.length };
    return { text, usage, ...(logprobs ? { logprobs } : {}) };
  }
  if (format === 'diarized_json') {
    const names = seen?.fields['known_speaker_names[]'] ?? ['A', 'B'];
    const half = Math.ceil(words.length / 2);
    const halves = [words.slice(0, half), words.slice(half)].filter((part) => part.length > 0);
    const segments = halves.map((part, i) => ({
      type: 'transcript.text.segment',
      id: `seg_${i}`,
      start: part[0]!.start,
      end: part[part.length - 1]!.end,
      text: part.map((w) => w.word).join(' '),
      speaker: names[i] ?? String.fromCharCode(65 + i),
    }));
    return { task: 'transcribe', duration, text, segments, usage: { type: 'duration', seconds: Math.ceil(duration) } };
  }
  const translating = seen?.path.endsWith('/audio/translations') ?? false;
  return {
    task: translating ? 'translate' : 'transcribe',
    language: 'english',
    duration,
    text,
    segments: [
      {
        id: 0,
        seek: 0,
        start: 0,
        end: duration,
        text: ` ${text}`,
        ...(stats ? { ...WHISPER_STATS, tokens: [50364, 2425, 50414] } : {}),
      },
    ],
    ...(translating ? {} : { words }),
  };
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
