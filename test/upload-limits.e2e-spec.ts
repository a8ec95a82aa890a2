import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { finished, waitForJob } from './support/jobs';
import { fileServer, type SlowServer } from './support/slow-servers';
import { startTestApp, type TestApp } from './support/test-app';

jest.setTimeout(60_000);

/** Tight limits, so each file below passes every limit but the one it is made for. */
const ENV = { MAX_UPLOAD_BYTES: '150000', MAX_UPLOAD_DURATION_S: '5', MAX_DECODE_RATIO: '20' };

/** Files made in `beforeAll`, each tripping one limit (`fine` none); the loopback server serves them by name. */
type Fixture = 'big' | 'long' | 'sparse' | 'fine';

/**
 * What the caller is finally told: the answer to the request, or, for a job it accepted, how the job ended.
 * `code` and `message` come from whichever envelope the route answers with (native, OpenAI's, or the job's error).
 */
interface Outcome {
  answer: number | 'job failed' | 'job succeeded';
  code: string | null | undefined;
  message: string | undefined;
}

interface Limit {
  name: string;
  fixture: Fixture;
  /** Send the body without a Content-Length: only the bytes themselves can trip the limit. */
  chunked: boolean;
  code: string;
  message: RegExp;
}

const LIMITS: Limit[] = [
  {
    name: 'MAX_UPLOAD_BYTES, declared by Content-Length',
    fixture: 'big',
    chunked: false,
    code: 'upload_too_large',
    message: /MAX_UPLOAD_BYTES.*150000/,
  },
  {
    // Cut by the multipart reader as the bytes pass the limit: Fastify's generic 413 (code and message), not ours.
    name: 'MAX_UPLOAD_BYTES, sent chunked',
    fixture: 'big',
    chunked: true,
    code: 'payload_too_large',
    message: /^request file too large$/,
  },
  {
    name: 'MAX_UPLOAD_DURATION_S',
    fixture: 'long',
    chunked: false,
    code: 'audio_too_long',
    message: /longer than the 5 s allowed/,
  },
  {
    name: 'MAX_DECODE_RATIO',
    fixture: 'sparse',
    chunked: false,
    code: 'decode_ratio_exceeded',
    message: /MAX_DECODE_RATIO=20 times its size/,
  },
];

/** What a route must tell the caller about a limit. */
interface Expected {
  answer: Outcome['answer'];
  code: string;
  message: RegExp;
}

interface Route {
  name: string;
  /** How this route tells the caller about `limit`: the request refused (413), or the accepted job failed. */
  expected(limit: Limit): Expected;
  /** How it answers a file within every limit. */
  accepted: Outcome['answer'];
  send(fixture: Fixture, chunked: boolean): Promise<Outcome>;
}

interface RequestBody {
  headers: Record<string, string>;
  body: NonNullable<RequestInit['body']>;
}

let t: TestApp;
let files: SlowServer;
let fixtures: Record<Fixture, Buffer>;

/** A multipart body with `fixture` as its file; chunked, it is a stream, so no Content-Length can be sent. */
function multipart(fixture: Fixture, chunked: boolean): RequestBody {
  const boundary = 'asr-limits-boundary';
  const parts = [
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fixture}"\r\n\r\n`),
    fixtures[fixture],
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ];
  const headers = { 'content-type': `multipart/form-data; boundary=${boundary}` };
  if (!chunked) return { headers, body: Buffer.concat(parts) };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const part of parts) controller.enqueue(part);
      controller.close();
    },
  });
  return { headers, body };
}

function post(path: string, init: RequestBody): Promise<Response> {
  return fetch(`${t.url}${path}`, { method: 'POST', ...init, duplex: 'half' });
}

/** The answer to a request: its status, and its error in the native envelope, OpenAI's or Deepgram's. */
async function answerOf(response: Response): Promise<Outcome> {
  const body = (await response.json()) as {
    code?: string;
    message?: string;
    error?: { code: string | null; message: string };
    err_code?: string;
    err_msg?: string;
  };
  return {
    answer: response.status,
    code: body.error ? body.error.code : (body.err_code ?? body.code),
    message: body.error ? body.error.message : (body.err_msg ?? body.message),
  };
}

/** The fixture itself as the body (Deepgram's way); chunked, a stream with no Content-Length. */
function rawBody(fixture: Fixture, chunked: boolean): RequestBody {
  const headers = { 'content-type': 'application/octet-stream' };
  if (!chunked) return { headers, body: fixtures[fixture] };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(fixtures[fixture]);
      controller.close();
    },
  });
  return { headers, body };
}

/** A submission refused at once, or how the job it created ended. */
async function jobOutcome(response: Response): Promise<Outcome> {
  if (response.status !== 202) return answerOf(response);
  const { id } = (await response.json()) as { id: string };
  const job = await waitForJob(t.url, id, finished, { everyMs: 25, timeoutMs: 20_000 });
  const answer = job.status === 'failed' ? 'job failed' : job.status === 'succeeded' ? 'job succeeded' : 202;
  return { answer, code: job.error?.code, message: job.error?.message };
}

const refused = ({ code, message }: Limit): Expected => ({ answer: 413, code, message });
const jobFailed = ({ code, message }: Limit): Expected => ({ answer: 'job failed', code, message });

function restRoute(path: string): Route {
  return {
    name: `POST ${path}`,
    expected: refused,
    accepted: 200,
    send: async (fixture, chunked) => answerOf(await post(path, multipart(fixture, chunked))),
  };
}

const ROUTES: Route[] = [
  restRoute('/api/v1/transcribe'),
  restRoute('/v1/audio/transcriptions'),
  restRoute('/api/v1/vad'),
  {
    name: 'POST /v1/listen (Deepgram: the audio as the body)',
    // The route counts a chunked body itself, so it says which limit, as a declared length does.
    expected: (limit) =>
      refused(
        limit.chunked ? { ...limit, code: 'upload_too_large', message: /MAX_UPLOAD_BYTES allows 150000/ } : limit,
      ),
    accepted: 200,
    send: async (fixture, chunked) => answerOf(await post('/v1/listen', rawBody(fixture, chunked))),
  },
  {
    name: 'POST /api/v1/jobs (upload)',
    // The size is judged as the upload arrives; the audio's length and expansion once the runner decodes it.
    expected: (limit) => (limit.fixture === 'big' ? refused(limit) : jobFailed(limit)),
    accepted: 'job succeeded',
    send: async (fixture, chunked) => jobOutcome(await post('/api/v1/jobs', multipart(fixture, chunked))),
  },
  {
    name: 'POST /api/v1/jobs (URL download)',
    // A download is cut at MAX_UPLOAD_BYTES whether or not the server declared its length.
    expected: (limit) =>
      limit.fixture === 'big'
        ? { answer: 'job failed', code: 'download_too_large', message: /larger than MAX_UPLOAD_BYTES=150000/ }
        : jobFailed(limit),
    accepted: 'job succeeded',
    send: async (fixture, chunked) =>
      jobOutcome(
        await post('/api/v1/jobs', {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ url: `${files.base}/${fixture}${chunked ? '?chunked' : ''}` }),
        }),
      ),
  },
];

describe('every upload limit on every route that takes audio', () => {
  beforeAll(async () => {
    t = await startTestApp({ env: { ...ENV, JOBS_ALLOW_URLS: 'true', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } });
    const made = (name: string, make: (file: string) => void): Buffer => {
      make(join(t.dir, name));
      return readFileSync(join(t.dir, name));
    };
    const sine = (seconds: number, rate: number) => (file: string) =>
      execFileSync('sox', [
        '-n',
        '-r',
        String(rate),
        '-c',
        '1',
        '-b',
        '16',
        file,
        'synth',
        String(seconds),
        'sine',
        '440',
      ]);
    fixtures = {
      // Twice the byte limit; never read far enough to be judged as audio.
      big: randomBytes(300_000),
      // 7 s at 8 kHz: 112 kB, under the byte limit, expanding only 2×: too long, nothing else.
      long: made('long.wav', sine(7, 8000)),
      // 4 s of silence as 6 kbps Opus: a few KB that expand about 37×: too sparse, nothing else.
      sparse: made('sparse.ogg', (file) =>
        execFileSync('ffmpeg', [
          ...['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', '4'],
          ...['-c:a', 'libopus', '-b:a', '6k', '-vbr', 'off', file],
        ]),
      ),
      // 2 s at 16 kHz: 64 kB, within every limit.
      fine: made('fine.wav', sine(2, 16_000)),
    };
    files = await fileServer(fixtures);
  });
  afterAll(async () => {
    await files.stop();
    await t.close();
  });
  afterEach(async () => {
    // Refused or failed, the request leaves no spooled upload behind (removed just after the answer is sent).
    const deadline = Date.now() + 1000;
    while (readdirSync(t.config.storage.tempPath).length > 0 && Date.now() < deadline) await sleep(20);
    expect(readdirSync(t.config.storage.tempPath)).toEqual([]);
  });

  it('has fixtures that each pass every limit but their own', () => {
    const maxBytes = Number(ENV.MAX_UPLOAD_BYTES);
    const ratio = Number(ENV.MAX_DECODE_RATIO);
    expect(fixtures.big.length).toBeGreaterThan(maxBytes);
    for (const small of [fixtures.long, fixtures.sparse, fixtures.fine]) expect(small.length).toBeLessThan(maxBytes);
    // Decoded audio is 16 kHz 16-bit: 32,000 bytes a second.
    expect((7 * 32_000) / fixtures.long.length).toBeLessThan(ratio);
    expect((4 * 32_000) / fixtures.sparse.length).toBeGreaterThan(ratio);
  });

  it.each(ROUTES.flatMap((route) => LIMITS.map((limit) => [limit.name, route.name, route, limit] as const)))(
    '%s on %s',
    async (_limit, _route, route, limit) => {
      const { answer, code, message } = route.expected(limit);
      expect(await route.send(limit.fixture, limit.chunked)).toEqual({
        answer,
        code,
        message: expect.stringMatching(message) as string,
      });
    },
  );

  it.each(ROUTES.map((route) => [route.name, route] as const))(
    'accepts a file within every limit on %s',
    async (_name, route) => {
      const outcome = await route.send('fine', false);
      expect(outcome.answer).toBe(route.accepted);
    },
  );
});
