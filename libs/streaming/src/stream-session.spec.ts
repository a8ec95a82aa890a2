import { AsrError } from '@asr/asr';
import { ScriptedProvider, type Script, type ScriptedCall } from '../../../test/support/scripted-provider';
import {
  f32le,
  messageMatching,
  type ScriptedStreamApp,
  startScriptedStreamApp,
} from '../../../test/support/scripted-stream-app';
import { scriptedAudio, silence, speech } from '../../../test/support/scripted-vad';
import {
  connect,
  finalsOf,
  refusedHandshake,
  sendAudio,
  type StreamMessage,
  type StreamRun,
  streamUrl,
} from '../../../test/support/stream-client';
import { waitFor } from '../../../test/support/wait';

/** The native protocol's transport guarantees, through a real socket, over a scripted provider and VAD. */

const F32 = 'encoding=pcm_f32le';
const SEND = { bytesPerSecond: 64_000, pace: 0, maxFrameBytes: 4000 };
const MAX_FRAME_BYTES = 4096;

/** Two utterances (0.3–1.1 s and 1.6–2.4 s) in 2.9 s of f32 audio. */
const TWO_UTTERANCES = f32le(
  scriptedAudio([...silence(0.3), ...speech(0.8), ...silence(0.5), ...speech(0.8), ...silence(0.5)]),
);

const isFinalCall = (call: ScriptedCall): boolean => call.options.wordTimestamps === true;

/** Finals answer `hello world`; a partial preview names how much audio it saw. */
const plainScript: Script = (call) =>
  isFinalCall(call) ? { text: 'hello world' } : { text: `hello ${call.samples.length}`, words: false };

let script: Script = plainScript;
const provider = new ScriptedProvider({ script: (call) => script(call) });
let t: ScriptedStreamApp;

beforeAll(async () => {
  t = await startScriptedStreamApp(provider, {
    STREAM_MAX_FRAME_BYTES: String(MAX_FRAME_BYTES),
    STREAM_IDLE_TIMEOUT_S: '1',
    STREAM_MAX_PENDING_BYTES: '1024',
    AUDIO_CHUNK_DURATION: '0.2',
  });
});
afterAll(() => t.close());
afterEach(() => {
  script = plainScript;
});

/** Connects, sends `audio` then a close message, and collects the run. */
async function stream(audio: Buffer, query = F32): Promise<StreamRun> {
  const { socket, run } = await connect(streamUrl(t.url, query));
  await sendAudio(socket, audio, SEND);
  socket.send(JSON.stringify({ type: 'close' }));
  return run;
}

const typesOf = (run: StreamRun): string[] => run.messages.map((m) => m.type);
const closing = (run: StreamRun): StreamMessage => run.messages[run.messages.length - 1]!;
const errorsOf = (run: StreamRun): StreamMessage[] => run.messages.filter((m) => m.type === 'error');

it('session.started echoes the handshake over the server defaults; a close message ends it 1000', async () => {
  const run = await stream(Buffer.alloc(0), `${F32}&language=en&interim_results=false&min_silence_ms=200`);
  expect(run.messages[0]).toMatchObject({
    type: 'session.started',
    config: {
      sample_rate: 16_000,
      encoding: 'pcm_f32le',
      channels: 1,
      language: 'en',
      interim_results: false,
      vad_threshold: 0.5,
      min_silence_ms: 200,
      speech_pad_ms: 400,
      max_segment_s: 30,
    },
  });
  expect(typeof run.messages[0]!.session_id).toBe('string');
  expect(typesOf(run)).toEqual(['session.started', 'session.closed']);
  expect(closing(run)).toMatchObject({ reason: 'client_closed', stats: { audio_seconds: 0, utterances: 0 } });
  expect(run.closeCode).toBe(1000);
});

it('each utterance: started, stopped and exactly one final, in order, though the first answer comes last', async () => {
  let finals = 0;
  script = (call) => {
    if (!isFinalCall(call)) throw new Error('a partial was asked for with interim_results=false');
    finals += 1;
    return finals === 1 ? { text: 'the first', delayMs: 400 } : { text: 'the second' };
  };
  const run = await stream(TWO_UTTERANCES, `${F32}&interim_results=false`);
  expect(typesOf(run)).toEqual([
    'session.started',
    'speech.started',
    'speech.stopped',
    'speech.started',
    'speech.stopped',
    'transcript.final',
    'transcript.final',
    'session.closed',
  ]);
  const [first, second] = finalsOf(run);
  expect(first).toMatchObject({ segment_id: 0, text: 'the first' });
  expect(second).toMatchObject({ segment_id: 1, text: 'the second' });
  // Word times are on the stream's clock, inside their utterance.
  const words = first!.words as { word: string; start: number; end: number }[];
  expect(words.map((w) => w.word)).toEqual(['the', 'first']);
  expect(words[0]!.start).toBeCloseTo(first!.start!, 3);
  expect(words[1]!.end).toBeLessThanOrEqual(first!.end! + 0.001);
  expect(first!.start).toBeLessThan(0.3);
  expect(second!.start).toBeGreaterThan(1.1);
  expect(closing(run)).toMatchObject({
    reason: 'client_closed',
    stats: { audio_seconds: 2.912, utterances: 2, finals: 2, partials: 0, errors: 0 },
  });
  expect(run.closeCode).toBe(1000);
});

it('partials of a growing utterance come before its final, and are counted', async () => {
  const audio = f32le(scriptedAudio([...silence(0.2), ...speech(1.6), ...silence(0.6)]));
  const run = await stream(audio);
  const partials = run.messages.filter((m) => m.type === 'transcript.partial');
  expect(partials.length).toBeGreaterThan(0);
  const finalAt = typesOf(run).indexOf('transcript.final');
  for (const partial of partials) {
    expect(partial).toMatchObject({ segment_id: 0, text: expect.stringMatching(/^hello \d+$/) as string });
    expect(run.messages.indexOf(partial)).toBeLessThan(finalAt);
  }
  expect(finalsOf(run)).toHaveLength(1);
  expect(closing(run)).toMatchObject({ stats: { partials: partials.length, finals: 1 } });
});

it('a provider error gives that utterance an empty final with the reason; the next one is transcribed', async () => {
  let finals = 0;
  script = (call) => {
    if (!isFinalCall(call)) throw new Error('a partial was asked for with interim_results=false');
    finals += 1;
    return finals === 1 ? { error: new AsrError('provider_error', 'upstream exploded') } : { text: 'fine again' };
  };
  const run = await stream(TWO_UTTERANCES, `${F32}&interim_results=false`);
  const [failed, next] = finalsOf(run);
  expect(failed).toMatchObject({ text: '', error: { code: 'provider_error', message: 'upstream exploded' } });
  expect(next).toMatchObject({ text: 'fine again' });
  expect(next!.error).toBeUndefined();
  expect(closing(run)).toMatchObject({ stats: { finals: 2, errors: 1 } });
  expect(run.closeCode).toBe(1000);
});

it('finalize ends the utterance in progress where the audio has got to; the speech goes on as a new one', async () => {
  const audio = f32le(scriptedAudio([...silence(0.3), ...speech(2), ...silence(0.6)]));
  const cut = 64_000 * 1.3;
  const { socket, messages, run } = await connect(streamUrl(t.url, `${F32}&interim_results=false`));
  await sendAudio(socket, audio.subarray(0, cut), SEND);
  socket.send(JSON.stringify({ type: 'finalize' }));
  await sendAudio(socket, audio.subarray(cut), SEND);
  socket.send(JSON.stringify({ type: 'close' }));
  const result = await run;
  expect(messages).toBe(result.messages);
  const stops = result.messages.filter((m) => m.type === 'speech.stopped');
  expect(stops).toHaveLength(2);
  // The cut falls at the last whole VAD frame (32 ms) of the audio sent before it.
  expect(stops[0]!.end).toBeGreaterThan(1.3 - 0.032);
  expect(stops[0]!.end).toBeLessThanOrEqual(1.3);
  expect(finalsOf(result).map((f) => f.segment_id)).toEqual([0, 1]);
  expect(finalsOf(result)[1]!.start).toBeGreaterThanOrEqual(stops[0]!.end!);
});

it('configure: a valid change applies to the next utterance; an invalid one is a non-fatal error', async () => {
  const before = provider.calls.length;
  const audio = f32le(scriptedAudio([...silence(0.3), ...speech(0.8), ...silence(0.6)]));
  const { socket, messages, run } = await connect(streamUrl(t.url, `${F32}&interim_results=false`));
  await sendAudio(socket, audio, SEND);
  await messageMatching(messages, (m) => m.type === 'transcript.final');
  socket.send(JSON.stringify({ type: 'configure', language: 'de' }));
  socket.send(JSON.stringify({ type: 'configure', sample_rate: 8000 }));
  socket.send(JSON.stringify({ type: 'configure', vad_threshold: 7 }));
  await sendAudio(socket, audio, SEND);
  socket.send(JSON.stringify({ type: 'close' }));
  const result = await run;
  expect(errorsOf(result)).toEqual([
    expect.objectContaining({
      code: 'invalid_configure',
      fatal: false,
      message: expect.stringContaining('sample_rate') as string,
    }),
    expect.objectContaining({
      code: 'invalid_configure',
      fatal: false,
      message: expect.stringContaining('vad_threshold') as string,
    }),
  ]);
  expect(provider.calls.slice(before).map((c) => c.options.language)).toEqual([undefined, 'de']);
  expect(finalsOf(result)).toHaveLength(2);
  expect(result.closeCode).toBe(1000);
});

it('text that is not a message is a non-fatal error; keepalive is answered with nothing', async () => {
  const { socket, run } = await connect(streamUrl(t.url));
  socket.send('not json');
  socket.send(JSON.stringify({ type: 'dance' }));
  socket.send(JSON.stringify({ type: 'keepalive' }));
  socket.send(JSON.stringify({ type: 'close' }));
  const result = await run;
  expect(typesOf(result)).toEqual(['session.started', 'error', 'error', 'session.closed']);
  expect(errorsOf(result).map((e) => [e.code, e.fatal])).toEqual([
    ['invalid_message', false],
    ['invalid_message', false],
  ]);
  expect(errorsOf(result)[1]!.message).toContain('dance');
  expect(result.closeCode).toBe(1000);
});

it('idle for STREAM_IDLE_TIMEOUT_S: session.closed and 4001; keepalives keep a stream open', async () => {
  const idle = await connect(streamUrl(t.url));
  const kept = await connect(streamUrl(t.url));
  const keeping = setInterval(() => kept.socket.send(JSON.stringify({ type: 'keepalive' })), 200);
  try {
    const result = await idle.run;
    expect(result.closeCode).toBe(4001);
    expect(closing(result)).toMatchObject({ type: 'session.closed', reason: 'idle_timeout' });
    expect(kept.socket.readyState).toBe(kept.socket.OPEN);
  } finally {
    clearInterval(keeping);
  }
  kept.socket.send(JSON.stringify({ type: 'close' }));
  expect((await kept.run).closeCode).toBe(1000);
});

it('a frame over STREAM_MAX_FRAME_BYTES: a fatal error, session.closed, then 1009', async () => {
  const { socket, run } = await connect(streamUrl(t.url));
  socket.send(Buffer.alloc(MAX_FRAME_BYTES + 1));
  const result = await run;
  expect(typesOf(result)).toEqual(['session.started', 'error', 'session.closed']);
  expect(errorsOf(result)[0]).toMatchObject({ code: 'frame_too_large', fatal: true });
  expect(closing(result)).toMatchObject({ reason: 'frame_too_large' });
  expect(result.closeCode).toBe(1009);
});

it('a frame of exactly STREAM_MAX_FRAME_BYTES is audio', async () => {
  const run = await stream(Buffer.alloc(MAX_FRAME_BYTES));
  expect(closing(run)).toMatchObject({ reason: 'client_closed', stats: { audio_seconds: 0.064 } });
});

it.each([
  ['sample_rate=7000', 'sample_rate'],
  ['encoding=mp3', 'encoding'],
  ['speech_pad_ms=5000', 'speech_pad_ms'],
])('refuses a handshake with %s: HTTP 400 naming the field', async (query, field) => {
  const refusal = await refusedHandshake(streamUrl(t.url, query));
  expect(refusal.status).toBe(400);
  expect(refusal.body).toContain(field);
});

it('a reader that falls behind loses partials first, then is closed 1008 (slow_reader)', async () => {
  // One partial far larger than the socket buffers: it stays pending while the client does not read, so the next
  // partials are skipped and the next message that must be sent finds the client too far behind.
  const huge = 'x'.repeat(8 * 1024 * 1024);
  script = (call) => (isFinalCall(call) ? { text: 'never read' } : { text: `${huge}${call.samples.length}` });
  const { socket, messages, run } = await connect(streamUrl(t.url, F32));
  await messageMatching(messages, (m) => m.type === 'session.started');
  socket.pause();
  await sendAudio(socket, f32le(scriptedAudio([...silence(0.2), ...speech(1.6), ...silence(0.6)])), SEND);
  await waitFor(async () => (await closeReasonCount('slow_reader')) > 0, {
    what: 'the server to give up on the slow reader',
    // Waiting is all it does: generous, for two lanes of CI on two cores.
    timeoutMs: 15_000,
  });
  socket.resume();
  const result = await run;
  expect(result.closeCode).toBe(1008);
  expect(errorsOf(result)[0]).toMatchObject({ code: 'slow_reader', fatal: true });
  expect(closing(result)).toMatchObject({ reason: 'slow_reader', stats: { partials: 1 } });
  expect((closing(result).stats as { partials_skipped: number }).partials_skipped).toBeGreaterThan(0);
  expect(finalsOf(result)).toHaveLength(0);
});

it('a client that goes away without closing: its session ends (client_disconnected) and its final request is dropped', async () => {
  script = (call) => (isFinalCall(call) ? { text: 'nobody hears this', delayMs: 5000 } : { text: '' });
  const closedBefore = await closeReasonCount('client_disconnected');
  const { socket, messages } = await connect(streamUrl(t.url, `${F32}&interim_results=false`));
  await sendAudio(socket, f32le(scriptedAudio([...silence(0.2), ...speech(0.6), ...silence(0.5)])), SEND);
  await messageMatching(messages, (m) => m.type === 'speech.stopped');
  expect(provider.inFlight).toBe(1);
  socket.terminate();
  await waitFor(async () => (await closeReasonCount('client_disconnected')) > closedBefore, {
    what: 'the session to notice the client had gone',
    timeoutMs: 3000,
  });
  // The final's provider call is abandoned, not left running for 5 s.
  await waitFor(() => provider.inFlight === 0, { what: 'the final request to be cancelled', timeoutMs: 1000 });
});

async function closeReasonCount(reason: string): Promise<number> {
  const stats = (await (await fetch(`${t.url}/api/v1/streaming-stats`)).json()) as {
    totals: { close_reasons: Record<string, number> };
  };
  return stats.totals.close_reasons[reason] ?? 0;
}
