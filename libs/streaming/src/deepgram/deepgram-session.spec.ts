import { createHash } from 'node:crypto';
import { AsrError } from '@asr/asr';
import { serverMessageValidator } from '../../../../test/support/asyncapi';
import { random } from '../../../../test/support/mixes';
import { ScriptedProvider, type Script, type ScriptedCall } from '../../../../test/support/scripted-provider';
import { f32le, type ScriptedStreamApp, startScriptedStreamApp } from '../../../../test/support/scripted-stream-app';
import { scriptedAudio, silence, speech } from '../../../../test/support/scripted-vad';
import {
  connect,
  refusedHandshake,
  sendAudio,
  type StreamMessage,
  type StreamRun,
} from '../../../../test/support/stream-client';

/** Deepgram's live protocol at /v1/listen through a real socket, over a scripted provider and VAD. */

const F32 = 'encoding=linear32&sample_rate=16000';
const BYTES_PER_SECOND = 64_000;
const SEND = { bytesPerSecond: BYTES_PER_SECOND, pace: 0, maxFrameBytes: 4000 };
/** At 4× real time, what follows an event on the audio clock also follows it on the wall clock, with room to spare. */
const PACED = { ...SEND, pace: 4 };
/** Finalize's cut, and where a final ends, may miss the audio sent by at most this (the issue asks ± 40 ms). */
const CUT_TOLERANCE_S = 0.04;

const isFinalCall = (call: ScriptedCall): boolean => call.options.wordTimestamps === true;
const plainScript: Script = (call) =>
  isFinalCall(call) ? { text: 'hello world' } : { text: `hello ${call.samples.length}`, words: false };

let script: Script = plainScript;
const provider = new ScriptedProvider({ script: (call) => script(call) });
const validate = serverMessageValidator('asyncapi-deepgram.yaml');
let t: ScriptedStreamApp;

beforeAll(async () => {
  t = await startScriptedStreamApp(provider, { STREAM_IDLE_TIMEOUT_S: '1', AUDIO_CHUNK_DURATION: '0.2' });
});
afterAll(() => t.close());
afterEach(() => {
  script = plainScript;
});

const listenUrl = (query: string): string => `${t.url.replace(/^http/, 'ws')}/v1/listen?${query}`;

/** Every message of a run is one the AsyncAPI document describes. */
function checked(run: StreamRun): StreamRun {
  for (const message of run.messages)
    expect({ message, problem: validate(message) }).toEqual({ message, problem: undefined });
  return run;
}

/** Connects, sends `audio`, then CloseStream, and collects the run. */
async function stream(audio: Buffer, query: string, send = SEND): Promise<StreamRun> {
  const { socket, run } = await connect(listenUrl(query));
  await sendAudio(socket, audio, send);
  socket.send(JSON.stringify({ type: 'CloseStream' }));
  return checked(await run);
}

const typesOf = (run: StreamRun): string[] => run.messages.map((m) => m.type);
const finalsOf = (run: StreamRun): StreamMessage[] => run.messages.filter((m) => m.type === 'Results' && m.is_final);
const transcriptOf = (results: StreamMessage): string =>
  (results.channel as { alternatives: { transcript: string }[] }).alternatives[0]!.transcript;
const last = (run: StreamRun): StreamMessage => run.messages[run.messages.length - 1]!;

/** `n` utterances of 0.6 s, 0.5 s apart, after 0.3 s of silence. */
function utterances(n: number): Buffer {
  const probabilities = [...silence(0.3)];
  for (let i = 0; i < n; i += 1) probabilities.push(...speech(0.6), ...silence(0.5));
  return f32le(scriptedAudio(probabilities));
}

it('finals only by default, one per utterance in order, though the provider answers in random order; Metadata last', async () => {
  const rand = random(17);
  let finals = 0;
  script = (call) => {
    if (!isFinalCall(call)) throw new Error('a partial was asked for with interim_results left out');
    const n = finals;
    finals += 1;
    return { text: `utterance number ${n}`, delayMs: Math.floor(rand() * 300) };
  };
  const audio = utterances(6);
  const run = await stream(audio, `${F32}&model=nova-3`);
  expect(typesOf(run)).toEqual([...Array<string>(6).fill('Results'), 'Metadata']);
  const finalResults = finalsOf(run);
  expect(finalResults.map(transcriptOf)).toEqual([0, 1, 2, 3, 4, 5].map((n) => `utterance number ${n}`));
  for (const results of finalResults)
    expect(results).toMatchObject({ channel_index: [0, 1], is_final: true, speech_final: true, from_finalize: false });
  const starts = finalResults.map((r) => r.start as number);
  expect(starts).toEqual([...starts].sort((a, b) => a - b));
  const metadata = last(run);
  expect(metadata).toMatchObject({
    type: 'Metadata',
    transaction_key: 'deprecated',
    sha256: createHash('sha256').update(audio).digest('hex'),
    duration: audio.length / BYTES_PER_SECOND,
    channels: 1,
    warnings: [expect.objectContaining({ parameter: 'model', type: 'unsupported_model' })],
  });
  // The request id is the session's, in every Results too; the model is the provider's, under one id.
  const ids = new Set(finalResults.map((r) => (r.metadata as { request_id: string }).request_id));
  expect([...ids]).toEqual([metadata.request_id]);
  const modelId = (finalResults[0]!.metadata as { model_uuid: string }).model_uuid;
  expect(metadata.models).toEqual([modelId]);
  expect(metadata.model_info).toEqual({
    [modelId]: { name: 'scripted-model', version: 'latest', arch: 'openai-compatible' },
  });
  expect(run.closeCode).toBe(1000);
});

it('the same audio through the native protocol reaches the provider as the same utterances, sample for sample', async () => {
  const audio = utterances(3);
  const before = provider.calls.length;
  await stream(audio, F32);
  const between = provider.calls.length;
  const native = await connect(
    `${t.url.replace(/^http/, 'ws')}/api/v1/stream?encoding=pcm_f32le&interim_results=false`,
  );
  await sendAudio(native.socket, audio, SEND);
  native.socket.send(JSON.stringify({ type: 'close' }));
  expect((await native.run).closeCode).toBe(1000);
  const deepgramCalls = provider.calls.slice(before, between).filter(isFinalCall);
  const nativeCalls = provider.calls.slice(between).filter(isFinalCall);
  expect(deepgramCalls).toHaveLength(3);
  expect(nativeCalls.map((c) => [c.samples, c.options.language])).toEqual(
    deepgramCalls.map((c) => [c.samples, c.options.language]),
  );
});

it('words carry the engine’s times on the stream clock, lowercase beside the punctuated form', async () => {
  script = (call) => (isFinalCall(call) ? { text: 'Hello, World.' } : { text: '' });
  const run = await stream(utterances(1), F32);
  const [final] = finalsOf(run);
  const alternative = (final!.channel as { alternatives: { confidence: number; words: StreamMessage[] }[] })
    .alternatives[0]!;
  expect(alternative.words.map((w) => [w.word, w.punctuated_word, w.confidence])).toEqual([
    ['hello', 'Hello,', 0.9],
    ['world', 'World.', 0.9],
  ]);
  expect(alternative.confidence).toBe(0.9);
  expect(alternative.words[0]!.start).toBeCloseTo(final!.start as number, 3);
  expect(alternative.words[1]!.end as number).toBeLessThanOrEqual(
    (final!.start as number) + (final!.duration as number) + 0.001,
  );
});

it('interim_results=true: the hypothesis so far as is_final false, before the final of its utterance', async () => {
  const audio = f32le(scriptedAudio([...silence(0.2), ...speech(1.6), ...silence(0.6)]));
  const run = await stream(audio, `${F32}&interim_results=true`);
  const results = run.messages.filter((m) => m.type === 'Results');
  const interim = results.filter((m) => !m.is_final);
  expect(interim.length).toBeGreaterThan(0);
  expect(results.findIndex((m) => m.is_final)).toBe(results.length - 1);
  for (const message of interim) {
    expect(transcriptOf(message)).toMatch(/^hello \d+$/);
    expect(message).toMatchObject({
      speech_final: false,
      from_finalize: false,
      channel: { alternatives: [{ words: [], confidence: 0 }] },
    });
  }
  expect(finalsOf(run).map(transcriptOf)).toEqual(['hello world']);
});

it('Finalize cuts the utterance where the audio sent before it ends (± 40 ms); its final says from_finalize', async () => {
  const before = provider.calls.length;
  const audio = f32le(scriptedAudio([...silence(0.3), ...speech(3), ...silence(0.6)]));
  const cutS = 1.8;
  const cut = BYTES_PER_SECOND * cutS;
  const { socket, run: running } = await connect(listenUrl(F32));
  await sendAudio(socket, audio.subarray(0, cut), SEND);
  socket.send(JSON.stringify({ type: 'Finalize' }));
  await sendAudio(socket, audio.subarray(cut), SEND);
  socket.send(JSON.stringify({ type: 'CloseStream' }));
  const run = checked(await running);
  const [first, second] = finalsOf(run);
  expect(first).toMatchObject({ is_final: true, from_finalize: true, speech_final: false });
  const firstEnd = (first!.start as number) + (first!.duration as number);
  expect(Math.abs(firstEnd - cutS)).toBeLessThanOrEqual(CUT_TOLERANCE_S);
  // The provider got the utterance's audio up to the cut, and no further.
  const [call] = provider.calls.slice(before).filter(isFinalCall);
  expect(Math.abs(call!.samples.length / 16_000 - (cutS - (first!.start as number)))).toBeLessThanOrEqual(
    CUT_TOLERANCE_S,
  );
  // The speech goes on after the cut as a new utterance, which silence ends.
  expect(second).toMatchObject({ from_finalize: false, speech_final: true });
  expect(second!.start as number).toBeGreaterThanOrEqual(firstEnd - 0.001);
  expect(finalsOf(run)).toHaveLength(2);
});

it('a provider failure: an empty final carrying the error, and the session goes on', async () => {
  let finals = 0;
  script = (call) => {
    if (!isFinalCall(call)) throw new Error('a partial was asked for with interim_results left out');
    finals += 1;
    return finals === 1 ? { error: new AsrError('provider_error', 'upstream exploded') } : { text: 'fine again' };
  };
  const run = await stream(utterances(2), F32);
  const [failed, next] = finalsOf(run);
  expect(failed).toMatchObject({
    is_final: true,
    channel: { alternatives: [{ transcript: '', words: [], confidence: 0 }] },
    error: { code: 'provider_error', message: 'upstream exploded' },
  });
  expect(transcriptOf(next!)).toBe('fine again');
  expect(next!.error).toBeUndefined();
  expect(run.closeCode).toBe(1000);
});

it('endpointing=false: silence ends no utterance; Finalize and CloseStream do', async () => {
  const before = provider.calls.length;
  const part = f32le(scriptedAudio([...speech(0.8), ...silence(1.2)]));
  const { socket, run: running } = await connect(listenUrl(`${F32}&endpointing=false`));
  await sendAudio(socket, Buffer.concat([part, part]), SEND);
  socket.send(JSON.stringify({ type: 'Finalize' }));
  await sendAudio(socket, Buffer.concat([part, part]), SEND);
  socket.send(JSON.stringify({ type: 'CloseStream' }));
  const run = checked(await running);
  const finals = finalsOf(run);
  expect(finals.map((f) => [f.from_finalize, f.speech_final])).toEqual([
    [true, false],
    [false, false],
  ]);
  // Each final holds both pieces of speech and the 1.2 s of silence between (the trailing silence past the pad is cut).
  for (const call of provider.calls.slice(before).filter(isFinalCall))
    expect(call.samples.length / 16_000).toBeGreaterThanOrEqual(2.8);
  // With the server's endpointing the same audio is four utterances.
  const endpointed = await stream(Buffer.concat([part, part, part, part]), `${F32}&endpointing=300`);
  expect(finalsOf(endpointed).map((f) => f.speech_final)).toEqual([true, true, true, true]);
});

it('vad_events and utterance_end_ms: SpeechStarted before each utterance, UtteranceEnd after the gap that follows', async () => {
  let finals = 0;
  // The first final is slow: the second utterance begins before it is answered.
  script = (call) => {
    if (!isFinalCall(call)) throw new Error('a partial was asked for with interim_results left out');
    finals += 1;
    return { text: 'one two three', delayMs: finals === 1 ? 600 : 50 };
  };
  const audio = f32le(
    scriptedAudio([
      ...silence(0.3),
      ...speech(0.8),
      ...silence(0.6),
      ...speech(0.8),
      ...silence(3),
      ...speech(0.8),
      ...silence(2),
    ]),
  );
  const run = await stream(audio, `${F32}&vad_events=true&utterance_end_ms=1000`, PACED);
  // The first two utterances are 0.6 s apart, less than the gap: one UtteranceEnd follows the pair.
  expect(typesOf(run)).toEqual([
    'SpeechStarted',
    'SpeechStarted',
    'Results',
    'Results',
    'UtteranceEnd',
    'SpeechStarted',
    'Results',
    'UtteranceEnd',
    'Metadata',
  ]);
  const finalResults = finalsOf(run);
  const lastWordEnd = (final: StreamMessage): number =>
    (final.channel as { alternatives: { words: { end: number }[] }[] }).alternatives[0]!.words.at(-1)!.end;
  const ends = run.messages.filter((m) => m.type === 'UtteranceEnd');
  expect(ends.map((m) => m.last_word_end)).toEqual([lastWordEnd(finalResults[1]!), lastWordEnd(finalResults[2]!)]);
  const started = run.messages.filter((m) => m.type === 'SpeechStarted');
  expect(started.map((m) => m.timestamp)).toEqual(finalResults.map((f) => f.start));
});

it('KeepAlive keeps a stream without audio open; none for STREAM_IDLE_TIMEOUT_S: Metadata, then 1011 NET-0001', async () => {
  const idle = await connect(listenUrl(F32));
  const kept = await connect(listenUrl(F32));
  const keeping = setInterval(() => kept.socket.send(JSON.stringify({ type: 'KeepAlive' })), 200);
  try {
    const run = checked(await idle.run);
    expect(typesOf(run)).toEqual(['Metadata']);
    expect(run.closeCode).toBe(1011);
    expect(run.closeReason).toMatch(/^NET-0001: no audio or KeepAlive for 1 s/);
    expect(kept.socket.readyState).toBe(kept.socket.OPEN);
  } finally {
    clearInterval(keeping);
  }
  kept.socket.send(JSON.stringify({ type: 'CloseStream' }));
  expect((await kept.run).closeCode).toBe(1000);
});

it('text that is not a control message: the audio before it is finished, Metadata, then 1008 DATA-0000', async () => {
  const { socket, run: running } = await connect(listenUrl(F32));
  await sendAudio(socket, utterances(1), SEND);
  socket.send(JSON.stringify({ type: 'Configure', keyterms: ['x'] }));
  const run = checked(await running);
  expect(typesOf(run)).toEqual(['Results', 'Metadata']);
  expect(run.closeCode).toBe(1008);
  expect(run.closeReason).toMatch(/^DATA-0000: unknown control message type "Configure"/);
  expect(Buffer.byteLength(run.closeReason)).toBeLessThanOrEqual(123);
  const nested = await connect(listenUrl(F32));
  nested.socket.send(`{"type":"KeepAlive","x":${'['.repeat(5000)}${']'.repeat(5000)}}`);
  const deep = await nested.run;
  expect([deep.closeCode, deep.closeReason]).toEqual([1008, expect.stringMatching(/nested more than 32 levels/)]);
});

it('an empty binary frame ends the stream as CloseStream does (Deepgram’s older signal)', async () => {
  const { socket, run: running } = await connect(listenUrl(F32));
  await sendAudio(socket, utterances(1), SEND);
  socket.send(Buffer.alloc(0));
  const run = checked(await running);
  expect(typesOf(run)).toEqual(['Results', 'Metadata']);
  expect(run.closeCode).toBe(1000);
});

it('extra pairs are echoed in each Results; features not performed are listed in Metadata.warnings', async () => {
  const run = await stream(utterances(1), `${F32}&extra=team:core&diarize=true&keyterm=Snuffleupagus&channels=1`);
  expect(finalsOf(run)[0]!.metadata).toMatchObject({ extra: { team: 'core' } });
  expect((last(run).warnings as { parameter: string }[]).map((w) => w.parameter)).toEqual(['diarize', 'keyterm']);
});

it.each([
  ['containerised audio (no encoding)', 'sample_rate=16000', /^encoding is required.*POST \/v1\/listen/],
  ['an unknown parameter', `${F32}&speaker_labels=true`, /^unknown parameter "speaker_labels"/],
  ['a malformed value', `${F32}&interim_results=sometimes`, /^interim_results must be true or false/],
  ['a compressed encoding', 'encoding=opus&sample_rate=48000', /^encoding=opus is not decoded on the live endpoint/],
])('refuses %s: HTTP 400 with the reason in the body and in dg-error', async (_what, query, reason) => {
  const refusal = await refusedHandshake(listenUrl(query));
  expect(refusal.status).toBe(400);
  expect(refusal.body).toMatch(reason);
  expect(refusal.headers['dg-error']).toMatch(reason);
  expect(refusal.headers['dg-request-id']).toMatch(/^[0-9a-f-]{36}$/);
});

it('a client’s own text quoted in dg-error stays printable ASCII', async () => {
  const refusal = await refusedHandshake(listenUrl(`${F32}&${encodeURIComponent('bad\r\nX-Injected: 1\u00e9')}=1`));
  expect(refusal.status).toBe(400);
  expect(refusal.headers['x-injected']).toBeUndefined();
  expect(refusal.headers['dg-error']).toMatch(/^[\x20-\x7e]+$/);
});
