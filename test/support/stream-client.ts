import { WebSocket } from 'ws';
import { float32ToInt16 } from '@asr/audio';
import { random } from './mixes';

/** A server message as received (validated against docs/asyncapi.yaml by the tests that capture them). */
export interface StreamMessage {
  type: string;
  segment_id?: number;
  text?: string;
  start?: number;
  end?: number;
  error?: { code: string; message: string };
  code?: string;
  fatal?: boolean;
  reason?: string;
  [field: string]: unknown;
}

export interface StreamRun {
  messages: StreamMessage[];
  closeCode: number;
  closeReason: string;
}

export interface StreamOptions {
  /** Query string without the `?` (sample_rate=44100&channels=2 …). */
  query?: string;
  /** Bytes of audio per second of it at the stream's format; with `pace`, sets the sending speed. */
  bytesPerSecond: number;
  /** Multiples of real time to send at; 0: as fast as the socket takes it. */
  pace: number;
  seed?: number;
  /** Largest frame, in bytes (frame sizes are random, odd counts included). */
  maxFrameBytes?: number;
  /** What to send after the audio: a close message (default), or nothing (the test drives the rest). */
  end?: 'close' | 'none';
}

export function streamUrl(base: string, query = ''): string {
  return `${base.replace(/^http/, 'ws')}/api/v1/stream${query ? `?${query}` : ''}`;
}

/** Beyond headers, what a test client's handshake may need: the subprotocols it offers, the CA it trusts (wss:). */
export interface HandshakeExtras {
  protocols?: string[];
  ca?: Buffer;
}

/** Opens a stream and collects every message (in `messages` as they come) until the server closes it. */
export function connect(
  url: string,
  headers: Record<string, string> = {},
  extras: HandshakeExtras = {},
): Promise<{ socket: WebSocket; messages: StreamMessage[]; run: Promise<StreamRun> }> {
  // A handshake nobody answers fails the test with its reason instead of hanging it to Jest's timeout.
  const socket = new WebSocket(url, extras.protocols ?? [], { headers, ca: extras.ca, handshakeTimeout: 30_000 });
  const messages: StreamMessage[] = [];
  socket.on('message', (data, isBinary) => {
    if (!isBinary) messages.push(JSON.parse((data as Buffer).toString('utf8')) as StreamMessage);
  });
  const run = new Promise<StreamRun>((resolve, reject) => {
    socket.once('close', (code, reason) => resolve({ messages, closeCode: code, closeReason: reason.toString() }));
    socket.once('error', reject);
  });
  // A failed handshake rejects `run` too, before anyone holds it: the rejection is the handshake's, reported below.
  run.catch(() => undefined);
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ socket, messages, run }));
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`handshake refused: HTTP ${response.statusCode}`)),
    );
  });
}

/** Sends `audio` in random frame sizes at `pace` × real time. */
export async function sendAudio(socket: WebSocket, audio: Buffer, options: StreamOptions): Promise<void> {
  const rand = random(options.seed ?? 1);
  const maxFrame = options.maxFrameBytes ?? 9000;
  const started = performance.now();
  for (let at = 0; at < audio.length && socket.readyState === socket.OPEN;) {
    const size = 1 + Math.floor(rand() * maxFrame);
    socket.send(audio.subarray(at, at + size));
    at += size;
    if (options.pace > 0) {
      const due = (at / options.bytesPerSecond / options.pace) * 1000 - (performance.now() - started);
      if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
    } else if (socket.bufferedAmount > 1 << 20) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

/** A whole stream: connect, send the audio, close, collect. */
export async function streamOnce(base: string, audio: Buffer, options: StreamOptions): Promise<StreamRun> {
  const { socket, run } = await connect(streamUrl(base, options.query));
  await sendAudio(socket, audio, options);
  if ((options.end ?? 'close') === 'close') socket.send(JSON.stringify({ type: 'close' }));
  return run;
}

/** 16 kHz float samples as 16-bit little-endian PCM (what a client sends by default). */
export function toPcm16(samples: Float32Array): Buffer {
  const pcm = float32ToInt16(samples);
  return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
}

/** The finals of a run, in the order received. */
export function finalsOf(run: StreamRun): StreamMessage[] {
  return run.messages.filter((m) => m.type === 'transcript.final');
}

/** The HTTP answer to a handshake the server refuses (status and body), or an error if it accepts. */
export function refusedHandshake(
  url: string,
  headers: Record<string, string> = {},
  extras: HandshakeExtras = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  // A handshake nobody answers fails the test with its reason instead of hanging it to Jest's timeout.
  const socket = new WebSocket(url, extras.protocols ?? [], { headers, ca: extras.ca, handshakeTimeout: 30_000 });
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      socket.terminate();
      reject(new Error('the handshake was accepted'));
    });
    socket.once('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          headers: response.headers,
        }),
      );
    });
    // A refused handshake ends in `unexpected-response` alone; an error (a timeout, a reset) fails the test.
    socket.once('error', reject);
  });
}
