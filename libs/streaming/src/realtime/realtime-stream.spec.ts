import { WebSocket } from 'ws';
import { AsrError } from '@asr/asr';
import { TARGET_SAMPLE_RATE } from '@asr/audio';
import { ScriptedProvider, type Script, type ScriptedCall } from '../../../../test/support/scripted-provider';
import { type ScriptedStreamApp, startScriptedStreamApp } from '../../../../test/support/scripted-stream-app';
import { pcm16, scriptedAudio, silence, speech } from '../../../../test/support/scripted-vad';
import { connect, refusedHandshake, type StreamMessage } from '../../../../test/support/stream-client';
import { waitFor } from '../../../../test/support/wait';

/** The Realtime protocol through a real socket and the real pipeline, over a scripted provider and VAD. */

const PAD_MS = 200;
const KEY = 'realtime-unit-key';
/** 16-bit PCM at 16 kHz (this server takes any rate of audio/pcm): the scripted VAD reads the samples as they are. */
const BYTES_PER_S = 32_000;
const COMPLETED = 'conversation.item.input_audio_transcription.completed';
const FAILED = 'conversation.item.input_audio_transcription.failed';

const isFinalCall = (call: ScriptedCall): boolean => call.options.wordTimestamps === true;
const seconds = (call: ScriptedCall): number => call.samples.length / TARGET_SAMPLE_RATE;

/** Finals say how much audio they got; partial previews say the same, so deltas come too. */
const lengthScript: Script = (call) => ({ text: `got ${call.samples.length} samples`, words: isFinalCall(call) });

let script: Script = lengthScript;
const provider = new ScriptedProvider({ script: (call) => script(call) });
let t: ScriptedStreamApp;

beforeAll(async () => {
  t = await startScriptedStreamApp(provider, {
    API_KEYS: KEY,
    SECRET_KEY: 'a-secret-key-of-thirty-two-chars!',
    VAD_SPEECH_PAD_MS: String(PAD_MS),
    VAD_MIN_SILENCE_MS: '300',
    AUDIO_CHUNK_DURATION: '0.5',
  });
});
afterAll(() => t.close());
afterEach(() => {
  script = lengthScript;
});

const AUTH = { authorization: `Bearer ${KEY}` };

function realtimeUrl(query = 'intent=transcription'): string {
  return `${t.url.replace(/^http/, 'ws')}/v1/realtime?${query}`;
}

interface Session {
  socket: WebSocket;
  messages: StreamMessage[];
  send: (event: unknown) => void;
  /** Appends 16 kHz 16-bit PCM in events of 100 ms. */
  append: (audio: Buffer) => void;
  ofType: (type: string) => StreamMessage[];
}

/** A session at 16 kHz PCM with this turn detection, once session.updated says it applies. */
async function open(turnDetection: unknown = { type: 'server_vad' }): Promise<Session> {
  const { socket, messages } = await connect(realtimeUrl(), AUTH);
  const send = (event: unknown): void => socket.send(JSON.stringify(event));
  const ofType = (type: string): StreamMessage[] => messages.filter((m) => m.type === type);
  send({
    type: 'session.update',
    session: {
      type: 'transcription',
      audio: { input: { format: { type: 'audio/pcm', rate: 16_000 }, turn_detection: turnDetection } },
    },
  });
  await waitFor(() => ofType('session.updated').length === 1, { what: 'session.updated' });
  const append = (audio: Buffer): void => {
    for (let at = 0; at < audio.length; at += BYTES_PER_S / 10)
      send({ type: 'input_audio_buffer.append', audio: audio.subarray(at, at + BYTES_PER_S / 10).toString('base64') });
  };
  return { socket, messages, send, append, ofType };
}

const finalCallsSince = (before: number): ScriptedCall[] => provider.calls.slice(before).filter(isFinalCall);

it('manual commits (turn_detection null) cut the utterance where they fall in the audio, within 40 ms', async () => {
  const before = provider.calls.length;
  // Speech from 0.512 s to 4.5 s, committed twice while it goes on, and once after it.
  const audio = pcm16(scriptedAudio([...silence(0.5), ...speech(4), ...silence(0.8)]));
  const cuts = [2.0, 3.5];
  const s = await open(null);
  s.append(audio.subarray(0, cuts[0]! * BYTES_PER_S));
  s.send({ type: 'input_audio_buffer.commit' });
  s.append(audio.subarray(cuts[0]! * BYTES_PER_S, cuts[1]! * BYTES_PER_S));
  s.send({ type: 'input_audio_buffer.commit' });
  s.append(audio.subarray(cuts[1]! * BYTES_PER_S));
  s.send({ type: 'input_audio_buffer.commit' });
  await waitFor(() => s.ofType(COMPLETED).length === 3, { what: 'three completed' });
  s.socket.close();
  const calls = finalCallsSince(before);
  expect(calls).toHaveLength(3);
  const speechStart = (16 * 512) / TARGET_SAMPLE_RATE;
  console.log(
    `manual commits: item lengths ${calls.map((c) => seconds(c).toFixed(3)).join(', ')} s for cuts at ${cuts.join(', ')} s (speech from ${speechStart} s, pad ${PAD_MS} ms)`,
  );
  // The first item from its padded start to the first commit, the second between the commits.
  expect(Math.abs(seconds(calls[0]!) - (cuts[0]! - (speechStart - PAD_MS / 1000)))).toBeLessThanOrEqual(0.04);
  expect(Math.abs(seconds(calls[1]!) - (cuts[1]! - cuts[0]!))).toBeLessThanOrEqual(0.04);
  // Without turn detection the server says nothing of speech; each commit is an item, in order.
  expect(s.ofType('input_audio_buffer.speech_started')).toEqual([]);
  const committed = s.ofType('input_audio_buffer.committed').map((c) => c.item_id);
  expect(s.ofType(COMPLETED).map((c) => c.item_id)).toEqual(committed);
  expect(s.ofType(COMPLETED)[1]!.usage).toEqual({ type: 'duration', seconds: expect.closeTo(1.5, 1) as number });
});

it('manual commits: a long pause inside the speech does not end the utterance; only the commit does', async () => {
  const before = provider.calls.length;
  const s = await open(null);
  s.append(pcm16(scriptedAudio([...silence(0.3), ...speech(0.8), ...silence(2), ...speech(0.8), ...silence(0.3)])));
  s.send({ type: 'input_audio_buffer.commit' });
  await waitFor(() => s.ofType(COMPLETED).length === 1, { what: 'completed' });
  // Settle: nothing else is coming.
  await new Promise((resolve) => setTimeout(resolve, 300));
  s.socket.close();
  expect(s.ofType(COMPLETED)).toHaveLength(1);
  const [call] = finalCallsSince(before);
  expect(seconds(call!)).toBeGreaterThan(3.6);
});

it('server VAD: one completed per utterance, in order, though the provider answers in random order', async () => {
  const before = provider.calls.length;
  let seed = 7;
  const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  script = (call) => ({ ...lengthScript(call), delayMs: isFinalCall(call) ? Math.floor(random() * 400) : 0 });
  // Eight utterances of growing length: each final's text (its length) says whose it is.
  const scene = Array.from({ length: 8 }, (_, i) => [...speech(0.4 + 0.1 * i), ...silence(0.5)]).flat();
  const s = await open();
  s.append(pcm16(scriptedAudio([...silence(0.3), ...scene])));
  await waitFor(() => s.ofType(COMPLETED).length === 8, { what: 'eight completed', timeoutMs: 15_000 });
  s.socket.close();
  const started = s.ofType('input_audio_buffer.speech_started').map((m) => m.item_id);
  const committed = s.ofType('input_audio_buffer.committed');
  const completed = s.ofType(COMPLETED);
  expect(started).toHaveLength(8);
  expect(committed.map((c) => c.item_id)).toEqual(started);
  expect(completed.map((c) => c.item_id)).toEqual(started);
  expect(committed.map((c) => c.previous_item_id)).toEqual([null, ...started.slice(0, -1)]);
  const lengths = completed.map((c) => Number(/got (\d+) samples/.exec(c.transcript as string)![1]));
  expect(lengths).toEqual([...lengths].sort((a, b) => a - b));
  expect(finalCallsSince(before)).toHaveLength(8);
  // The deltas of each item add up to its transcript.
  for (const c of completed) {
    const deltas = s
      .ofType('conversation.item.input_audio_transcription.delta')
      .filter((d) => d.item_id === c.item_id)
      .map((d) => d.delta as string);
    expect(deltas.join('')).toBe(c.transcript);
  }
});

it('a provider failure is .failed for that item; the session goes on and the next completes', async () => {
  let finals = 0;
  script = (call) => {
    if (!isFinalCall(call)) return lengthScript(call);
    finals += 1;
    return finals === 2 ? { error: new AsrError('provider_unavailable', 'upstream is down') } : { text: 'got it' };
  };
  const s = await open();
  s.append(pcm16(scriptedAudio([...silence(0.3), ...[0, 1, 2].flatMap(() => [...speech(0.6), ...silence(0.6)])])));
  await waitFor(() => s.ofType(COMPLETED).length + s.ofType(FAILED).length === 3, { what: 'three items' });
  s.socket.close();
  const committed = s.ofType('input_audio_buffer.committed').map((c) => c.item_id);
  expect(s.ofType(FAILED)).toEqual([
    expect.objectContaining({
      item_id: committed[1],
      content_index: 0,
      error: expect.objectContaining({ code: 'provider_unavailable', message: 'upstream is down' }) as unknown,
    }),
  ]);
  expect(s.ofType(COMPLETED).map((c) => [c.item_id, c.transcript])).toEqual([
    [committed[0], 'got it'],
    [committed[2], 'got it'],
  ]);
});

it('the transcription prompt and language reach the provider, on the final and the previews', async () => {
  const seen: { prompt?: string; language?: string }[] = [];
  script = (call) => {
    seen.push({ prompt: call.options.prompt, language: call.options.language });
    return lengthScript(call);
  };
  const s = await open();
  s.send({
    type: 'session.update',
    session: {
      type: 'transcription',
      audio: { input: { transcription: { language: 'en', prompt: 'Dashwood, Norland' } } },
    },
  });
  await waitFor(() => s.ofType('session.updated').length === 2, { what: 'the second session.updated' });
  s.append(pcm16(scriptedAudio([...silence(0.3), ...speech(1.4), ...silence(0.6)])));
  await waitFor(() => s.ofType(COMPLETED).length === 1, { what: 'the completed' });
  s.socket.close();
  expect(seen.length).toBeGreaterThanOrEqual(2);
  expect(new Set(seen.map((o) => JSON.stringify(o)))).toEqual(
    new Set([JSON.stringify({ prompt: 'Dashwood, Norland', language: 'en' })]),
  );
});

it('input_audio_buffer.clear drops the utterance in progress (no completed) and answers cleared', async () => {
  const before = provider.calls.length;
  const s = await open();
  s.append(pcm16(scriptedAudio([...silence(0.3), ...speech(1)])));
  s.send({ type: 'input_audio_buffer.clear' });
  await waitFor(() => s.ofType('input_audio_buffer.cleared').length === 1, { what: 'cleared' });
  s.append(pcm16(scriptedAudio([...speech(0.6), ...silence(0.6)])));
  await waitFor(() => s.ofType(COMPLETED).length === 1, { what: 'completed' });
  s.socket.close();
  const started = s.ofType('input_audio_buffer.speech_started');
  expect(started).toHaveLength(2);
  // The cleared item is never committed; the one after it is.
  expect(s.ofType('input_audio_buffer.committed').map((c) => c.item_id)).toEqual([started[1]!.item_id]);
  expect(s.ofType(COMPLETED)[0]!.item_id).toBe(started[1]!.item_id);
  expect(finalCallsSince(before)).toHaveLength(1);
});

it('bad events get OpenAI error events with the offending event_id; the session goes on', async () => {
  const s = await open();
  s.send({ type: 'input_audio_buffer.append', audio: 'not base64!', event_id: 'client_1' });
  s.socket.send(`{"type":"session.update","session":${'['.repeat(40)}${']'.repeat(40)}}`);
  s.send({ type: 'response.create', event_id: 'client_2' });
  s.socket.send(Buffer.from([0, 1, 2, 3]));
  await waitFor(() => s.ofType('error').length === 4, { what: 'four errors' });
  s.send({ type: 'input_audio_buffer.commit' });
  await waitFor(() => s.ofType('error').length === 5, { what: 'the empty commit refused' });
  s.socket.close();
  expect(s.ofType('error').map((e) => e.error)).toEqual([
    expect.objectContaining({ code: 'invalid_value', param: 'audio', event_id: 'client_1' }),
    expect.objectContaining({ code: 'json_too_deep', event_id: null }),
    expect.objectContaining({ code: 'invalid_value', param: 'type', event_id: 'client_2' }),
    expect.objectContaining({ code: 'invalid_type' }),
    expect.objectContaining({ code: 'input_audio_buffer_commit_empty' }),
  ]);
});

it('refuses other intents, a model or a call with a clear HTTP 400: only transcription is served', async () => {
  for (const query of ['', 'intent=conversation', 'model=gpt-realtime', 'intent=transcription&model=x', 'call_id=c1']) {
    const answer = await refusedHandshake(realtimeUrl(query), AUTH);
    expect([query, answer.status]).toEqual([query, 400]);
    expect(answer.body).toMatch(/transcription sessions only.*intent=transcription/);
  }
});

it('opens with session.created in the default format, 24 kHz PCM with server VAD', async () => {
  const { socket, messages } = await connect(realtimeUrl(), AUTH);
  await waitFor(() => messages.length >= 1, { what: 'session.created' });
  socket.close();
  expect(messages[0]).toMatchObject({
    type: 'session.created',
    session: {
      type: 'transcription',
      audio: {
        input: {
          format: { type: 'audio/pcm', rate: 24_000 },
          turn_detection: { type: 'server_vad', prefix_padding_ms: PAD_MS, silence_duration_ms: 300 },
        },
      },
    },
  });
});

it('a browser: the realtime and key subprotocols with an ephemeral key, whose session preset applies at once', async () => {
  const minted = await fetch(`${t.url}/v1/realtime/client_secrets`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: JSON.stringify({
      session: {
        type: 'transcription',
        audio: { input: { format: { type: 'audio/pcmu' }, turn_detection: null } },
        include: ['item.input_audio_transcription.logprobs'],
      },
    }),
  });
  expect(minted.status).toBe(200);
  const { value } = (await minted.json()) as { value: string };
  expect(value).toMatch(/^ek_/);
  const socket = new WebSocket(realtimeUrl(), ['realtime', `openai-insecure-api-key.${value}`]);
  const first = await new Promise<StreamMessage>((resolve, reject) => {
    socket.once('message', (data: Buffer) => resolve(JSON.parse(data.toString('utf8')) as StreamMessage));
    socket.once('error', reject);
  });
  // The server picks the first subprotocol offered: never the one that carries the key.
  expect(socket.protocol).toBe('realtime');
  socket.close();
  expect(first).toMatchObject({
    type: 'session.created',
    session: {
      audio: { input: { format: { type: 'audio/pcmu' }, turn_detection: null } },
      include: ['item.input_audio_transcription.logprobs'],
    },
  });
  // Without a credential the handshake is refused before any session exists.
  expect((await refusedHandshake(realtimeUrl())).status).toBe(401);
});
