import { randomUUID } from 'node:crypto';
import { StreamingStats } from '../libs/streaming/src/streaming-stats';
import { FakeOpenAi } from './support/fake-openai';
import { sequence, speak } from './support/mixes';
import { connect, finalsOf, streamOnce, streamUrl, type StreamMessage, toPcm16 } from './support/stream-client';
import { startTestApp, type TestApp } from './support/test-app';
import { TestRoutesModule } from './support/test-routes';
import { waitFor } from './support/wait';

jest.setTimeout(120_000);

const PCM16 = { bytesPerSecond: 32_000 };
/** STREAM_MAX_FRAME_BYTES's default: a 1 MB frame is within it. */
const MAX_FRAME_BYTES = 1024 * 1024;

const nestedArrays = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const nestedObjects = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
/** A JSON control message whose `type` is nested arrays, padded with spaces to exactly `bytes`. */
function framedTypeOfBytes(bytes: number): string {
  const shell = '{"type":}';
  const depth = Math.floor((bytes - shell.length) / 2);
  const text = `{"type":${nestedArrays(depth)}}`;
  return text.padEnd(bytes, ' ');
}

/** Text frames that each must get a non-fatal `invalid_message`, on a session that goes on. */
const HOSTILE_FRAMES: [string, string][] = [
  ['type nested 6,000 levels (12 KB, the reported crash)', `{"type":${nestedArrays(6000)}}`],
  ['type nested 100,000 levels in arrays', `{"type":${nestedArrays(100_000)}}`],
  ['type nested 100,000 levels in objects', `{"type":${nestedObjects(100_000)}}`],
  ['configure with a value nested 100,000 levels', `{"type":"configure","language":${nestedArrays(100_000)}}`],
  ['a bare array nested 100,000 levels', nestedArrays(100_000)],
  ['a 1 MB frame (within STREAM_MAX_FRAME_BYTES) nested 499,995 levels', framedTypeOfBytes(1_000_000)],
];

/** Bodies every JSON-accepting route must refuse with 400 before any handler sees them. */
const HOSTILE_BODIES: [string, string][] = [
  ['arrays nested 6,000 levels', `{"url":${nestedArrays(6000)}}`],
  ['objects nested 100,000 levels', nestedObjects(100_000)],
  ['a 1 MB body nested 499,995 levels', framedTypeOfBytes(1_000_000)],
];

/** Every route that takes a body (grep @Post / @Delete in the controllers): Fastify parses JSON for each. */
const BODY_ROUTES: [string, string][] = [
  ['POST', '/api/v1/jobs'],
  ['POST', '/api/v1/auth/stream-token'],
  ['POST', '/api/v1/transcribe'],
  ['POST', '/api/v1/vad'],
  ['POST', '/v1/audio/transcriptions'],
  ['POST', '/v1/audio/translations'],
  ['DELETE', `/api/v1/jobs/${randomUUID()}`],
];

/** The error code of either error shape (ours, or OpenAI's envelope under /v1). */
function errorCode(body: unknown): unknown {
  const shaped = body as { code?: unknown; error?: { code?: unknown } };
  return shaped.error?.code ?? shaped.code;
}

async function messageCount(messages: StreamMessage[], count: number, what: string): Promise<void> {
  await waitFor(() => messages.length >= count, { what, timeoutMs: 15_000 });
}

describe('hostile input: no client input takes the server down', () => {
  const fake = new FakeOpenAi();
  let t: TestApp;
  let speech: Buffer;
  beforeAll(async () => {
    await fake.start();
    t = await startTestApp({
      env: { ASR_PROVIDER: 'openai-compatible', ASR_BASE_URL: fake.url, JOBS_ALLOW_URLS: 'true' },
      imports: [TestRoutesModule],
    });
    speech = toPcm16(sequence(speak(['The meeting will start at nine.']), 2).clean);
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
  });
  afterEach(() => jest.restoreAllMocks());

  /** The process is up and a normal stream gets its final: what every hostile test ends with. */
  async function expectServerServing(): Promise<void> {
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
    const run = await streamOnce(t.url, speech, { ...PCM16, pace: 0 });
    expect(run.closeCode).toBe(1000);
    expect(finalsOf(run)).toHaveLength(1);
  }

  it('answers deeply nested and 1 MB text frames with a non-fatal invalid_message, and the session goes on', async () => {
    const { socket, messages, run } = await connect(streamUrl(t.url));
    await messageCount(messages, 1, 'session.started');
    for (const [index, [name, frame]] of HOSTILE_FRAMES.entries()) {
      const started = performance.now();
      socket.send(frame);
      await messageCount(messages, 2 + index, `the error for ${name}`);
      const error = messages[1 + index]!;
      expect({ name, ...error }).toMatchObject({ name, type: 'error', code: 'invalid_message', fatal: false });
      expect(String(error.message).length).toBeLessThan(300);
      expect(performance.now() - started).toBeLessThan(1000);
    }
    socket.send(JSON.stringify({ type: 'close' }));
    const ended = await run;
    expect(ended.closeCode).toBe(1000);
    expect(ended.messages.at(-1)).toMatchObject({ type: 'session.closed', reason: 'client_closed' });
    await expectServerServing();
  });

  it('answers the same frames on /v1/realtime (OpenAI Realtime) with an error event each, and the session goes on', async () => {
    const { socket, messages } = await connect(`${t.url.replace(/^http/, 'ws')}/v1/realtime?intent=transcription`);
    await messageCount(messages, 1, 'session.created');
    for (const [index, [name, frame]] of HOSTILE_FRAMES.entries()) {
      const started = performance.now();
      socket.send(frame);
      await messageCount(messages, 2 + index, `the error for ${name}`);
      const event = messages[1 + index]!;
      expect({ name, type: event.type, code: event.error?.code }).toEqual({
        name,
        type: 'error',
        code: 'json_too_deep',
      });
      expect(String(event.error?.message).length).toBeLessThan(300);
      expect(performance.now() - started).toBeLessThan(1000);
    }
    socket.send(JSON.stringify({ type: 'input_audio_buffer.clear' }));
    await waitFor(() => messages.some((m) => m.type === 'input_audio_buffer.cleared'), { what: 'cleared' });
    socket.close();
    await expectServerServing();
  });

  it('closes a nested text frame over STREAM_MAX_FRAME_BYTES with 1009, as any oversized frame', async () => {
    const { socket, run } = await connect(streamUrl(t.url));
    socket.send(framedTypeOfBytes(MAX_FRAME_BYTES + 1));
    const ended = await run;
    expect(ended.closeCode).toBe(1009);
    expect(ended.messages.find((m) => m.type === 'error')).toMatchObject({ code: 'frame_too_large', fatal: true });
    await expectServerServing();
  });

  it.each(BODY_ROUTES)('refuses deeply nested JSON bodies to %s %s with 400 json_too_deep', async (method, path) => {
    for (const [name, body] of HOSTILE_BODIES) {
      const response = await fetch(`${t.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body,
      });
      const answer: unknown = await response.json();
      expect({ name, status: response.status, code: errorCode(answer) }).toEqual({
        name,
        status: 400,
        code: 'json_too_deep',
      });
    }
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
  });

  it('refuses a JSON body over the body limit with 413, and still parses a valid one', async () => {
    const tooLarge = await fetch(`${t.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: framedTypeOfBytes(MAX_FRAME_BYTES + 1),
    });
    expect(tooLarge.status).toBe(413);
    // A valid body reaches validation as before: a URL the server may not fetch is its own 400.
    const valid = await fetch(`${t.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'not a url', language: 'en' }),
    });
    expect(valid.status).toBe(400);
    expect(errorCode(await valid.json())).not.toBe('json_too_deep');
  });

  it('refuses a multipart field sent as nested JSON with 400 instead of failing on it', async () => {
    const boundary = 'hostile-boundary';
    const body = [
      `--${boundary}`,
      'Content-Disposition: form-data; name="language"',
      'Content-Type: application/json',
      '',
      nestedArrays(30_000),
      `--${boundary}`,
      'Content-Disposition: form-data; name="file"; filename="a.wav"',
      'Content-Type: audio/wav',
      '',
      'RIFF',
      `--${boundary}--`,
      '',
    ].join('\r\n');
    const response = await fetch(`${t.url}/api/v1/transcribe`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body,
    });
    expect(response.status).toBe(400);
    expect(errorCode(await response.json())).toBe('invalid_field');
  });

  it('refuses hostile query strings with 400: bracket nesting is not parsed, repeats are bounded by the URL', async () => {
    const nestedKey = await fetch(`${t.url}/api/v1/jobs?a${'[b]'.repeat(3000)}=1`);
    expect(nestedKey.status).toBe(400);
    const repeated = await fetch(`${t.url}/api/v1/jobs?${'status=queued&'.repeat(1000)}limit=${'9'.repeat(500)}`);
    expect(repeated.status).toBe(400);
    // A repeated __proto__ once replaced the DTO's prototype with an array and got a 200.
    for (const [query, code] of [
      ['__proto__=a&__proto__=b', 'invalid_query'],
      ['constructor=x', 'invalid_query'],
      ['constructor[prototype][x]=1', 'validation_failed'],
      ['__proto__[x]=1', 'validation_failed'],
    ]) {
      const poisoned = await fetch(`${t.url}/api/v1/jobs?${query}`);
      expect({ query, status: poisoned.status, code: errorCode(await poisoned.json()) }).toEqual({
        query,
        status: 400,
        code,
      });
    }
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
  });

  it('a handler that throws inside one session closes only that session 1011; the other goes on', async () => {
    const bystander = await connect(streamUrl(t.url));
    const victim = await connect(streamUrl(t.url));
    await messageCount(victim.messages, 1, 'session.started');
    // The next audio frame any session receives fails in its message handler.
    jest.spyOn(t.app.get(StreamingStats), 'audio').mockImplementationOnce(() => {
      throw new Error('injected fault');
    });
    victim.socket.send(speech.subarray(0, 3200));
    const failed = await victim.run;
    expect(failed.closeCode).toBe(1011);
    expect(failed.closeReason).toBe('server_error');
    expect(failed.messages.find((m) => m.type === 'error')).toMatchObject({ code: 'server_error', fatal: true });
    expect(failed.messages.at(-1)).toMatchObject({ type: 'session.closed', reason: 'server_error' });
    expect(t.logs.text).toContain('injected fault');

    bystander.socket.send(speech);
    bystander.socket.send(JSON.stringify({ type: 'close' }));
    const survived = await bystander.run;
    expect(survived.closeCode).toBe(1000);
    expect(finalsOf(survived)).toHaveLength(1);
  });

  it('a close handler that throws still frees the session', async () => {
    const stats = t.app.get(StreamingStats);
    const client = await connect(streamUrl(t.url));
    await messageCount(client.messages, 1, 'session.started');
    jest.spyOn(stats, 'closed').mockImplementationOnce(() => {
      throw new Error('injected close fault');
    });
    client.socket.terminate();
    await waitFor(
      async () => {
        const health = (await (await fetch(`${t.url}/api/v1/streaming-health`)).json()) as {
          capacity: { active: number };
        };
        return health.capacity.active === 0;
      },
      { what: 'the session to be freed' },
    );
    await expectServerServing();
  });

  it('redacts credentials in the URL of a 5xx log line', async () => {
    const response = await fetch(`${t.url}/test/crash?token=tok-s3cr3t&api_key=key-s3cr3t&lang=en`, {
      headers: { 'x-request-id': 'hostile-crash-1' },
    });
    expect(response.status).toBe(500);
    const lines = t.logs.lines.filter((line) => line.includes('hostile-crash-1'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toMatch(/s3cr3t/);
    const failure = t.logs.records().find((r) => r.requestId === 'hostile-crash-1' && r.level === 'error');
    expect(failure?.msg).toBe(
      'GET /test/crash?token=%5BREDACTED%5D&api_key=%5BREDACTED%5D&lang=en failed: internal_error',
    );
  });
});
