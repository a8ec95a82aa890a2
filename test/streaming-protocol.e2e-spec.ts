import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serverMessageValidator } from './support/asyncapi';
import { FakeOpenAi } from './support/fake-openai';
import { random, sequence, type Span, speak, truthSpans } from './support/mixes';
import { corpusSentences } from './support/speech';
import {
  connect,
  refusedHandshake,
  finalsOf,
  sendAudio,
  streamOnce,
  streamUrl,
  type StreamMessage,
  type StreamRun,
  toPcm16,
} from './support/stream-client';
import { startTestApp, type TestApp } from './support/test-app';

jest.setTimeout(120_000);

const validate = serverMessageValidator();
const PCM16 = { bytesPerSecond: 32_000 };

/** Every message of a run is valid per docs/asyncapi.yaml, and the stream obeys the protocol's guarantees. */
function expectWellFormed(run: StreamRun): void {
  for (const message of run.messages) expect(validate(message)).toBeUndefined();
  expect(run.messages[0]?.type).toBe('session.started');
  expect(run.messages[run.messages.length - 1]?.type).toBe('session.closed');
  const started = run.messages.filter((m) => m.type === 'speech.started').map((m) => m.segment_id);
  const finals = finalsOf(run).map((m) => m.segment_id);
  expect(started).toEqual(started.map((_, i) => i));
  // Exactly one final per announced utterance, in order.
  expect(finals).toEqual(started);
  // No partial of a segment after its final.
  const finalAt = new Map(run.messages.flatMap((m, i) => (m.type === 'transcript.final' ? [[m.segment_id, i]] : [])));
  run.messages.forEach((m, i) => {
    if (m.type === 'transcript.partial') expect(i).toBeLessThan(finalAt.get(m.segment_id)!);
  });
}

function errorsOf(run: StreamRun): StreamMessage[] {
  return run.messages.filter((m) => m.type === 'error');
}

describe('streaming protocol (fake provider)', () => {
  const fake = new FakeOpenAi();
  let t: TestApp;
  let speech: Buffer;
  let utterances: number;
  let truth: Span[];
  beforeAll(async () => {
    await fake.start();
    t = await startTestApp({ env: { ASR_PROVIDER: 'openai-compatible', ASR_BASE_URL: fake.url } });
    const sentences = corpusSentences().slice(4, 8);
    utterances = sentences.length;
    const { clean } = sequence(speak(sentences), 5);
    truth = truthSpans(clean);
    speech = toPcm16(clean);
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
  });
  afterEach(() => {
    fake.reset();
    fake.fallback = { kind: 'ok' };
  });

  it('20 concurrent sessions: exactly one final per utterance each, in order, though the provider answers out of order', async () => {
    const delay = random(3);
    fake.fallback = { kind: 'ok', delayMs: () => Math.floor(delay() * 400) };
    const runs = await Promise.all(
      Array.from({ length: 20 }, (_, i) => streamOnce(t.url, speech, { ...PCM16, pace: 0, seed: i + 1 })),
    );
    for (const run of runs) {
      expectWellFormed(run);
      expect(run.closeCode).toBe(1000);
      expect(finalsOf(run)).toHaveLength(utterances);
      expect(finalsOf(run).every((f) => f.text === 'hello from the fake provider')).toBe(true);
    }
    const stats = (await (await fetch(`${t.url}/api/v1/streaming-stats`)).json()) as {
      active_sessions: number;
      totals: { sessions: number; finals: number; close_reasons: Record<string, number> };
      final_latency_seconds: { count: number; p99: number };
    };
    expect(stats.active_sessions).toBe(0);
    expect(stats.totals.finals).toBeGreaterThanOrEqual(20 * utterances);
    expect(stats.totals.close_reasons.client_closed).toBeGreaterThanOrEqual(20);
    expect(stats.final_latency_seconds.count).toBeGreaterThanOrEqual(20 * utterances);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    for (const name of [
      'asr_stream_active_sessions 0',
      'asr_stream_sessions_total{close_reason="client_closed"}',
      'asr_stream_audio_seconds_total',
      'asr_stream_final_latency_seconds_bucket',
      'asr_stream_partials_total',
      'nodejs_eventloop_lag_p99_seconds',
    ])
      expect(metrics).toContain(name);
  });

  it('finals leave in segment order when the first answer is slow and the second fast', async () => {
    // interim_results=false: the provider's only calls are the finals, in segment order. The first is held 2.5 s,
    // far longer than the stream takes (at STREAM_MAX_RATE) to reach the end of the second utterance, whose answer
    // is then ready first.
    fake.will({ kind: 'ok', text: 'the first utterance', delayMs: 2500 }, { kind: 'ok', text: 'the second utterance' });
    const run = await streamOnce(t.url, speech, { ...PCM16, pace: 0, query: 'interim_results=false' });
    expectWellFormed(run);
    expect(finalsOf(run).map((f) => f.text)).toEqual([
      'the first utterance',
      'the second utterance',
      ...new Array<string>(utterances - 2).fill('hello from the fake provider'),
    ]);
  });

  it('a provider failure gives that utterance an empty final with the reason, and the session goes on', async () => {
    fake.fallback = { kind: 'status', status: 500, message: 'upstream exploded' };
    const run = await streamOnce(t.url, speech, { ...PCM16, pace: 0, query: 'interim_results=false' });
    expectWellFormed(run);
    const finals = finalsOf(run);
    expect(finals).toHaveLength(utterances);
    for (const final of finals) {
      expect(final.text).toBe('');
      expect(final.error?.message).toBeTruthy();
    }
    expect(run.closeCode).toBe(1000);
  });

  it('interim_results=false: no partials; by default the growing utterance is re-transcribed for partials', async () => {
    const quiet = await streamOnce(t.url, speech, { ...PCM16, pace: 0, query: 'interim_results=false' });
    expect(quiet.messages.some((m) => m.type === 'transcript.partial')).toBe(false);
    const chatty = await streamOnce(t.url, speech, { ...PCM16, pace: 4 });
    expectWellFormed(chatty);
    expect(chatty.messages.some((m) => m.type === 'transcript.partial')).toBe(true);
  });

  it('finalize ends the utterance in progress at once; configure changes VAD settings; bad messages are non-fatal', async () => {
    const { socket, run } = await connect(streamUrl(t.url));
    socket.send('not json');
    socket.send(JSON.stringify({ type: 'dance' }));
    socket.send(JSON.stringify({ type: 'configure', sample_rate: 8000 }));
    socket.send(JSON.stringify({ type: 'configure', vad_threshold: 7 }));
    socket.send(JSON.stringify({ type: 'configure', min_silence_ms: 200, language: 'en' }));
    // The audio up to the middle of the third utterance, finalize, then the rest.
    const middle = Math.round((truth[2]!.start + truth[2]!.end) / 2);
    const half = middle * 2;
    await sendAudio(socket, speech.subarray(0, half), { ...PCM16, pace: 0 });
    socket.send(JSON.stringify({ type: 'finalize' }));
    await sendAudio(socket, speech.subarray(half), { ...PCM16, pace: 0 });
    socket.send(JSON.stringify({ type: 'keepalive' }));
    socket.send(JSON.stringify({ type: 'close' }));
    const result = await run;
    expectWellFormed(result);
    const errors = errorsOf(result);
    expect(errors.map((e) => e.code)).toEqual([
      'invalid_message',
      'invalid_message',
      'invalid_configure',
      'invalid_configure',
    ]);
    expect(errors.every((e) => e.fatal === false)).toBe(true);
    expect(errors[2]!.message).toContain('sample_rate');
    // The finalize cut one utterance in two: one more final than utterances, and one ends at the cut.
    expect(finalsOf(result)).toHaveLength(utterances + 1);
    const cut = middle / 16_000;
    expect(result.messages.some((m) => m.type === 'speech.stopped' && Math.abs(m.end! - cut) < 0.04)).toBe(true);
    expect(result.closeCode).toBe(1000);
  });

  it.each([
    ['sample_rate=7000', 'sample_rate'],
    ['encoding=mp3', 'encoding'],
    ['channels=3', 'channels'],
    ['interim_results=maybe', 'interim_results'],
    ['speech_pad_ms=5000', 'speech_pad_ms'],
    ['max_segment_s=3600', 'max_segment_s'],
  ])('refuses the handshake with HTTP 400 and the reason: %s', async (query, field) => {
    const refusal = await refusedHandshake(streamUrl(t.url, query));
    expect(refusal.status).toBe(400);
    expect(refusal.body).toContain(field);
  });
});

describe('streaming limits', () => {
  const fake = new FakeOpenAi();
  let t: TestApp;
  let speech: Buffer;
  beforeAll(async () => {
    await fake.start();
    t = await startTestApp({
      env: {
        ASR_PROVIDER: 'openai-compatible',
        ASR_BASE_URL: fake.url,
        STREAMING_MAX_CLIENTS: '2',
        STREAM_MAX_FRAME_BYTES: '4096',
        STREAM_IDLE_TIMEOUT_S: '1',
        STREAM_MAX_SESSION_S: '3',
        STREAM_MAX_RATE: '2',
        STREAM_MAX_PENDING_BYTES: '1024',
      },
    });
    speech = toPcm16(sequence(speak(corpusSentences().slice(8, 10)), 6).clean);
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
  });

  const closing = (run: StreamRun): StreamMessage => run.messages[run.messages.length - 1]!;

  it('a frame over STREAM_MAX_FRAME_BYTES: session.closed, then 1009', async () => {
    const { socket, run } = await connect(streamUrl(t.url));
    socket.send(Buffer.alloc(5000));
    const result = await run;
    expectValid(result);
    expect(result.closeCode).toBe(1009);
    expect(closing(result)).toMatchObject({ type: 'session.closed', reason: 'frame_too_large' });
    expect(errorsOf(result)[0]).toMatchObject({ code: 'frame_too_large', fatal: true });
  });

  it('above STREAMING_MAX_CLIENTS: accepted, told server_full with retry_after, closed 1013; capacity shows it', async () => {
    const first = await connect(streamUrl(t.url));
    const second = await connect(streamUrl(t.url));
    const health = (await (await fetch(`${t.url}/api/v1/streaming-health`)).json()) as { capacity: unknown };
    expect(health.capacity).toEqual({ active: 2, max: 2 });
    const third = await connect(streamUrl(t.url));
    const refused = await third.run;
    expectValid(refused);
    expect(refused.closeCode).toBe(1013);
    expect(errorsOf(refused)[0]).toMatchObject({ code: 'server_full', fatal: true });
    expect(errorsOf(refused)[0]!.retry_after).toBeGreaterThan(0);
    expect(closing(refused)).toMatchObject({ type: 'session.closed', reason: 'server_full' });
    for (const { socket } of [first, second]) socket.send(JSON.stringify({ type: 'close' }));
    expect((await first.run).closeCode).toBe(1000);
    expect((await second.run).closeCode).toBe(1000);
  });

  it('idle for STREAM_IDLE_TIMEOUT_S without audio or keepalive: 4001; keepalives keep it open', async () => {
    const idle = await connect(streamUrl(t.url));
    const kept = await connect(streamUrl(t.url));
    const keeping = setInterval(() => kept.socket.send(JSON.stringify({ type: 'keepalive' })), 300);
    const result = await idle.run;
    expect(result.closeCode).toBe(4001);
    expect(closing(result)).toMatchObject({ type: 'session.closed', reason: 'idle_timeout' });
    expect(kept.socket.readyState).toBe(kept.socket.OPEN);
    clearInterval(keeping);
    kept.socket.send(JSON.stringify({ type: 'close' }));
    expect((await kept.run).closeCode).toBe(1000);
  });

  it('longer than STREAM_MAX_SESSION_S: its finals, then session.closed and 4002', async () => {
    const began = performance.now();
    const { socket, run } = await connect(streamUrl(t.url));
    const sending = sendAudio(socket, speech, { ...PCM16, pace: 1, maxFrameBytes: 4000 });
    const result = await run;
    await sending;
    expect((performance.now() - began) / 1000).toBeLessThan(4.5);
    expectValid(result);
    expect(result.closeCode).toBe(4002);
    expect(closing(result)).toMatchObject({ type: 'session.closed', reason: 'max_duration' });
    const started = result.messages.filter((m) => m.type === 'speech.started').length;
    expect(started).toBeGreaterThan(0);
    expect(finalsOf(result)).toHaveLength(started);
  });

  it('audio faster than STREAM_MAX_RATE × real time is throttled, not refused', async () => {
    const began = performance.now();
    const { socket, run } = await connect(streamUrl(t.url));
    await sendAudio(socket, speech.subarray(0, 32_000 * 5), { ...PCM16, pace: 0, maxFrameBytes: 4000 });
    socket.send(JSON.stringify({ type: 'close' }));
    const result = await run;
    const seconds = (performance.now() - began) / 1000;
    expect(result.closeCode).toBe(1000);
    // 5 s of audio at most 2× real time after a 2 s burst: at least (5 − 2) / 2 = 1.5 s.
    expect(seconds).toBeGreaterThanOrEqual(1.4);
  });

  it('a client that does not read: session.closed and 1008 once STREAM_MAX_PENDING_BYTES wait for it', async () => {
    const { socket, run } = await connect(streamUrl(t.url));
    // Stop reading, then provoke more replies (one error each) than the kernel's socket buffers and the limit hold.
    const raw = (socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    raw.pause();
    for (let i = 0; i < 100_000; i += 1) {
      socket.send(i % 1000 === 0 ? JSON.stringify({ type: 'keepalive' }) : '{"type":"x"}');
      if (i % 5000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    raw.resume();
    const result = await run;
    expect(result.closeCode).toBe(1008);
    expect(closing(result)).toMatchObject({ type: 'session.closed', reason: 'slow_reader' });
  });
});

function expectValid(run: StreamRun): void {
  for (const message of run.messages) expect(validate(message)).toBeUndefined();
}

describe('STREAM_RECORD', () => {
  const fake = new FakeOpenAi();
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());

  it("writes each stream's audio (WAV, bounded by STREAM_RECORD_MAX_BYTES) and its transcript (JSONL)", async () => {
    const short = toPcm16(sequence(speak(corpusSentences().slice(1, 2)), 2).clean);
    const long = toPcm16(sequence(speak(corpusSentences().slice(2, 5)), 3).clean);
    // The short stream is kept whole, the long one is cut at the limit.
    const limit = Math.round((short.length + long.length) / 4) * 2;
    expect(short.length).toBeLessThan(limit);
    expect(long.length).toBeGreaterThan(limit);
    const t = await startTestApp({
      env: {
        ASR_PROVIDER: 'openai-compatible',
        ASR_BASE_URL: fake.url,
        STREAM_RECORD: 'true',
        STREAM_RECORD_MAX_BYTES: String(limit),
      },
    });
    try {
      const runs = [];
      for (const audio of [short, long]) runs.push(await streamOnce(t.url, audio, { ...PCM16, pace: 0 }));
      const directory = join(t.config.storage.audioPath, 'streams');
      for (const [i, run] of runs.entries()) {
        const id = run.messages[0]!.session_id as string;
        const wav = join(directory, `${id}.wav`);
        const expected = Math.min(limit, [short, long][i]!.length);
        await waitUntil(() => existsSync(wav) && readFileSync(wav).readUInt32LE(40) > 0);
        const bytes = readFileSync(wav);
        expect(bytes.subarray(0, 4).toString()).toBe('RIFF');
        expect(bytes.readUInt32LE(24)).toBe(16_000);
        expect(bytes.readUInt32LE(40)).toBe(bytes.length - 44);
        // The stream's audio as it reached the VAD (16 kHz mono, 16-bit), up to the limit.
        expect(Math.abs(bytes.length - 44 - expected)).toBeLessThanOrEqual(2);
        const lines = readFileSync(join(directory, `${id}.jsonl`), 'utf8')
          .trim()
          .split('\n');
        const events = lines.map((line) => JSON.parse(line) as { type: string });
        expect(events.filter((e) => e.type === 'transcript.final')).toHaveLength(finalsOf(run).length);
        expect(events[events.length - 1]!.type).toBe('session.closed');
      }
    } finally {
      await t.close();
    }
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
