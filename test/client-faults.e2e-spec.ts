import { connect as tcpConnect, type Socket } from 'node:net';
import { RATE, sequence, speak } from './support/mixes';
import { connect, finalsOf, sendAudio, streamUrl, type StreamRun, toPcm16 } from './support/stream-client';
import { startTestApp, type TestApp } from './support/test-app';
import { waitFor } from './support/wait';

jest.setTimeout(120_000);

const PCM16 = { bytesPerSecond: RATE * 2 };

/** A raw TCP connection to the server (for clients that misbehave below the WebSocket layer). */
async function rawSocket(url: string): Promise<{ socket: Socket; closed: Promise<string> }> {
  const { hostname, port } = new URL(url);
  const socket = tcpConnect(Number(port), hostname);
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(received)));
  return { socket, closed };
}

function upgradeRequest(url: string): string {
  const { host } = new URL(url);
  return [
    'GET /api/v1/stream HTTP/1.1',
    `Host: ${host}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    '',
    '',
  ].join('\r\n');
}

describe('client faults: the server keeps serving others and leaks no session or decoder', () => {
  let t: TestApp;
  let speech: Buffer;
  let utterances: number;

  beforeAll(async () => {
    t = await startTestApp({
      env: { LOCAL_ASR_CONCURRENCY: '2', STREAM_IDLE_TIMEOUT_S: '1', HTTP_HEADERS_TIMEOUT_S: '1' },
    });
    const sentences = ['The meeting will start at nine.', 'Please send me the report by Friday.'];
    utterances = sentences.length;
    speech = toPcm16(sequence(speak(sentences), 4).clean);
  });
  afterAll(() => t.close());

  /** Open streams and busy decoders, from the service's own health endpoints. */
  async function inUse(): Promise<{ sessions: number; busyDecoders: number }> {
    const streaming = (await (await fetch(`${t.url}/api/v1/streaming-health`)).json()) as {
      capacity: { active: number };
    };
    const ready = (await (await fetch(`${t.url}/health/ready`)).json()) as { details: { asr: { busy: number } } };
    return { sessions: streaming.capacity.active, busyDecoders: ready.details.asr.busy };
  }

  /** A well-behaved session alongside the faulty one: it must get every final and close normally. */
  async function bystander(): Promise<StreamRun> {
    const { socket, run } = await connect(`${streamUrl(t.url)}?interim_results=true`);
    await sendAudio(socket, speech, { ...PCM16, pace: 2 });
    socket.send(JSON.stringify({ type: 'close' }));
    return run;
  }

  async function expectNothingLeft(): Promise<void> {
    await waitFor(async () => (await inUse()).sessions === 0, { what: 'every session to end', timeoutMs: 15_000 });
    await waitFor(async () => (await inUse()).busyDecoders === 0, {
      what: 'every decoder to be free',
      timeoutMs: 15_000,
    });
  }

  const stages: {
    name: string;
    drop: (socket: import('ws').WebSocket, run: StreamRun['messages']) => Promise<void>;
  }[] = [
    { name: 'right after the handshake', drop: async () => Promise.resolve() },
    {
      name: 'mid-utterance (partials flowing)',
      drop: async (socket, messages) => {
        void sendAudio(socket, speech, { ...PCM16, pace: 2, end: 'none' }).catch(() => undefined);
        await waitFor(() => messages.some((m) => m.type === 'transcript.partial'), { what: 'a partial' });
      },
    },
    {
      name: 'after speech.stopped, before its final',
      drop: async (socket, messages) => {
        void sendAudio(socket, speech, { ...PCM16, pace: 4, end: 'none' }).catch(() => undefined);
        await waitFor(() => messages.some((m) => m.type === 'speech.stopped'), { what: 'speech.stopped' });
      },
    },
    {
      name: 'after sending close, before the server closes',
      drop: async (socket) => {
        await sendAudio(socket, speech.subarray(0, RATE * 2 * 2), { ...PCM16, pace: 0, end: 'none' });
        socket.send(JSON.stringify({ type: 'close' }));
      },
    },
  ];

  it.each(stages)('a client that vanishes $name', async ({ drop }) => {
    const other = bystander();
    const { socket, messages } = await connect(`${streamUrl(t.url)}?interim_results=true`);
    await drop(socket, messages);
    socket.terminate();
    const result = await other;
    expect(result.closeCode).toBe(1000);
    expect(finalsOf(result).filter((f) => f.text).length).toBe(utterances);
    await expectNothingLeft();
  });

  it('a client that sends half an HTTP request and stalls is cut off after HTTP_HEADERS_TIMEOUT_S', async () => {
    const { socket, closed } = await rawSocket(t.url);
    socket.write('GET /api/v1/providers HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    const started = Date.now();
    const answer = await closed;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('a half-open stream (handshake, then silence, never a FIN) is closed after STREAM_IDLE_TIMEOUT_S', async () => {
    const { socket, closed } = await rawSocket(t.url);
    socket.write(upgradeRequest(t.url));
    await waitFor(async () => (await inUse()).sessions === 1, { what: 'the raw session to open' });
    const answer = await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 101/);
    // The close frame (0x88) carries 4001 (0x0fa1) after the session.closed message.
    expect(answer).toContain('\x88');
    expect(answer).toContain('idle_timeout');
    await expectNothingLeft();
  });

  it('odd-length frames, down to single bytes, carry the audio across frame edges', async () => {
    const { socket, run } = await connect(`${streamUrl(t.url)}?interim_results=false`);
    const sizes = [1, 3, 7, 333, 1001];
    for (let at = 0, i = 0; at < speech.length; i += 1) {
      const size = sizes[i % sizes.length]!;
      socket.send(speech.subarray(at, at + size));
      at += size;
      if (i % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    socket.send(JSON.stringify({ type: 'close' }));
    const result = await run;
    expect(result.closeCode).toBe(1000);
    expect(finalsOf(result).filter((f) => f.text).length).toBe(utterances);
    await expectNothingLeft();
  });

  it('a flood of 20,000 control messages neither ends the session nor holds up another', async () => {
    const other = bystander();
    const { socket, run, messages } = await connect(streamUrl(t.url));
    for (let i = 0; i < 20_000; i += 1) {
      socket.send(i % 2 === 0 ? '{"type":"keepalive"}' : '{"type":"configure","vad_threshold":0.5}');
      if (i % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    socket.send(JSON.stringify({ type: 'close' }));
    const flooded = await run;
    expect(flooded.closeCode).toBe(1000);
    expect(messages.filter((m) => m.type === 'error' && m.fatal)).toEqual([]);
    const result = await other;
    expect(result.closeCode).toBe(1000);
    expect(finalsOf(result).filter((f) => f.text).length).toBe(utterances);
    await expectNothingLeft();
  });
});
