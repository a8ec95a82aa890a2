import { type DeepgramClient, type DeepgramEnvironmentUrls } from '@deepgram/sdk';

export type DeepgramConnectArgs = Parameters<DeepgramClient['listen']['v1']['connect']>[0];
type Socket = Awaited<ReturnType<DeepgramClient['listen']['v1']['connect']>>;

/** A message as the SDK delivers it (parsed JSON), with the SDK type it claims to be. */
export type DeepgramMessage = { type: string; [field: string]: unknown };

export interface DeepgramRun {
  messages: DeepgramMessage[];
  closeCode: number;
  closeReason: string;
}

/** The SDK's `environment` pointed at the test app (http: or https:): live joins `production` with /v1/listen. */
export function deepgramEnvironment(url: string): DeepgramEnvironmentUrls {
  const ws = url.replace(/^http/, 'ws');
  return { base: url, production: ws, agent: ws, agentRest: url };
}

/** Sends `audio` in 20 ms frames at `pace` × real time. */
export async function sendPaced(
  send: (frame: Buffer) => void,
  audio: Buffer,
  bytesPerSecond: number,
  pace: number,
): Promise<void> {
  const frame = Math.round(bytesPerSecond / 50);
  const started = performance.now();
  for (let at = 0; at < audio.length; at += frame) {
    send(audio.subarray(at, at + frame));
    const due = ((at + frame) / bytesPerSecond / pace) * 1000 - (performance.now() - started);
    if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
  }
}

/** One session through the official SDK: connect, stream at `pace`, CloseStream, and every message until the close. */
export async function deepgramSession(
  client: DeepgramClient,
  args: DeepgramConnectArgs,
  audio: Buffer,
  bytesPerSecond: number,
  pace: number,
): Promise<DeepgramRun> {
  const socket: Socket = await client.listen.v1.connect({ reconnectAttempts: 0, ...args });
  const messages: DeepgramMessage[] = [];
  socket.on('message', (message) => messages.push(message as unknown as DeepgramMessage));
  const closed = new Promise<DeepgramRun>((resolve) =>
    socket.on('close', (event) => resolve({ messages, closeCode: event.code, closeReason: event.reason })),
  );
  socket.connect();
  await socket.waitForOpen();
  await sendPaced((frame) => socket.sendMedia(frame), audio, bytesPerSecond, pace);
  socket.sendCloseStream({ type: 'CloseStream' });
  return closed;
}

/** The transcripts of a run's final Results, in the order received. */
export function deepgramFinals(run: DeepgramRun): string[] {
  return run.messages
    .filter((m) => m.type === 'Results' && m.is_final === true)
    .map((m) => (m.channel as { alternatives: { transcript: string }[] }).alternatives[0]!.transcript);
}
