import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScriptedProvider, type Script } from '../../../test/support/scripted-provider';
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
  toPcm16,
} from '../../../test/support/stream-client';
import { waitFor } from '../../../test/support/wait';

/** Admission, limits, recording, stats and shutdown of the streaming service, over a scripted provider and VAD. */

const F32 = 'encoding=pcm_f32le';
const SEND = { bytesPerSecond: 64_000, pace: 0, maxFrameBytes: 8000 };
const SAMPLES = scriptedAudio([...silence(0.3), ...speech(0.8), ...silence(0.5), ...speech(0.8), ...silence(0.5)]);
const TWO_UTTERANCES = f32le(SAMPLES);

const closing = (run: StreamRun): StreamMessage => run.messages[run.messages.length - 1]!;
const errorsOf = (run: StreamRun): StreamMessage[] => run.messages.filter((m) => m.type === 'error');
const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
const close = (socket: { send(data: string): void }): void => socket.send(JSON.stringify({ type: 'close' }));

describe('with API keys, STREAMS_PER_KEY and STREAM_RECORD', () => {
  const [ADMIN, OTHER, THIRD] = ['admin-key-0123456789', 'other-key-0123456789', 'third-key-0123456789'];
  const adminName = `key-${createHash('sha256').update(ADMIN).digest('hex').slice(0, 8)}`;
  const RECORD_MAX_BYTES = 40_000;
  const provider = new ScriptedProvider({ script: () => ({ text: 'hello world' }) });
  let t: ScriptedStreamApp;

  beforeAll(async () => {
    t = await startScriptedStreamApp(provider, {
      API_KEYS: [ADMIN, OTHER, THIRD].join(','),
      API_ADMIN_KEYS: adminName,
      SECRET_KEY: 'a-secret-of-at-least-32-characters!!',
      STREAMS_PER_KEY: '1',
      STREAMING_MAX_CLIENTS: '2',
      STREAM_RECORD: 'true',
      STREAM_RECORD_MAX_BYTES: String(RECORD_MAX_BYTES),
    });
  });
  afterAll(() => t.close());

  const stats = async (key: string): Promise<Record<string, unknown>> =>
    (await (await fetch(`${t.url}/api/v1/streaming-stats`, { headers: bearer(key) })).json()) as Record<
      string,
      unknown
    >;

  it('refuses a handshake without a valid key: HTTP 401', async () => {
    expect((await refusedHandshake(streamUrl(t.url))).status).toBe(401);
    expect((await refusedHandshake(streamUrl(t.url), bearer('not-a-key'))).status).toBe(401);
  });

  it('one stream per key (1008 too_many_streams), two in all (1013 server_full); a closed stream frees its slot', async () => {
    const first = await connect(streamUrl(t.url), bearer(ADMIN));
    const again = await (await connect(streamUrl(t.url), bearer(ADMIN))).run;
    expect(again.closeCode).toBe(1008);
    expect(errorsOf(again)[0]).toMatchObject({ code: 'too_many_streams', fatal: true });
    expect(closing(again)).toMatchObject({ type: 'session.closed', reason: 'too_many_streams' });

    const second = await connect(streamUrl(t.url), bearer(OTHER));
    const health = (await (await fetch(`${t.url}/api/v1/streaming-health`, { headers: bearer(OTHER) })).json()) as {
      capacity: unknown;
      vad: { running: string };
      provider: { name: string; ready: boolean };
    };
    expect(health).toMatchObject({
      capacity: { active: 2, max: 2 },
      vad: { running: 'energy' },
      provider: { name: provider.name, ready: true },
    });
    const full = await (await connect(streamUrl(t.url), bearer(THIRD))).run;
    expect(full.closeCode).toBe(1013);
    expect(errorsOf(full)[0]).toMatchObject({ code: 'server_full', fatal: true });
    expect(errorsOf(full)[0]!.retry_after).toBeGreaterThan(0);
    expect(closing(full)).toMatchObject({ reason: 'server_full' });

    close(first.socket);
    expect((await first.run).closeCode).toBe(1000);
    const third = await connect(streamUrl(t.url), bearer(THIRD));
    expect(third.messages.some((m) => m.type === 'error')).toBe(false);
    for (const { socket } of [second, third]) close(socket);
    expect((await second.run).closeCode).toBe(1000);
    expect((await third.run).closeCode).toBe(1000);
  });

  it("STREAM_RECORD writes the stream's audio as it reached the VAD (bounded) and its transcript", async () => {
    const { socket, run } = await connect(streamUrl(t.url, F32), bearer(OTHER));
    await sendAudio(socket, TWO_UTTERANCES, SEND);
    close(socket);
    const result = await run;
    expect(finalsOf(result)).toHaveLength(2);
    const directory = join(t.config.storage.audioPath, 'streams');
    const id = result.messages[0]!.session_id as string;
    const wavPath = join(directory, `${id}.wav`);
    // The sizes are written once the recording is closed, after the session.
    await waitFor(
      () => {
        try {
          return readFileSync(wavPath).readUInt32LE(40) > 0;
        } catch {
          return false;
        }
      },
      { what: 'the finished recording', timeoutMs: 3000 },
    );
    const wav = readFileSync(wavPath);
    expect(wav.subarray(0, 4).toString()).toBe('RIFF');
    expect(wav.readUInt32LE(24)).toBe(16_000);
    expect(wav.readUInt32LE(40)).toBe(RECORD_MAX_BYTES);
    expect(wav.subarray(44).equals(toPcm16(SAMPLES.subarray(0, RECORD_MAX_BYTES / 2)))).toBe(true);
    const recorded = readFileSync(join(directory, `${id}.jsonl`), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as StreamMessage);
    // Every message but the partials, as sent, each stamped.
    const sent = result.messages.filter((m) => m.type !== 'transcript.partial');
    expect(recorded.map(({ at: _at, ...event }) => event)).toEqual(sent);
    expect(recorded.every((event) => typeof event.at === 'string')).toBe(true);
  });

  it('streaming-stats: totals for every key; the sessions themselves for admin keys only', async () => {
    interface Totals {
      finals: number;
      utterances: number;
      close_reasons: Record<string, number>;
    }
    const before = (await stats(ADMIN)).totals as Totals;
    const { socket, messages, run } = await connect(streamUrl(t.url, F32), bearer(THIRD));
    await sendAudio(socket, TWO_UTTERANCES, SEND);
    await messageMatching(messages, (m) => m.type === 'session.started');
    const open = await stats(ADMIN);
    const liveIds = (open.sessions as { session_id: string }[]).map((s) => s.session_id);
    close(socket);
    const result = await run;
    expect(liveIds).toContain(result.messages[0]!.session_id);
    const admin = await stats(ADMIN);
    const other = await stats(OTHER);
    expect(admin.active_sessions).toBe(0);
    const recent = admin.recent_sessions as { session_id: string; close_reason: string; stats: unknown }[];
    expect(recent[0]).toMatchObject({
      session_id: result.messages[0]!.session_id,
      close_reason: 'client_closed',
      stats: { finals: 2, utterances: 2 },
    });
    expect(other.sessions).toBeUndefined();
    expect(other.recent_sessions).toBeUndefined();
    expect(other.totals).toEqual(admin.totals);
    const after = admin.totals as Totals;
    expect(after.finals - before.finals).toBe(2);
    expect(after.utterances - before.utterances).toBe(2);
    expect(after.close_reasons.client_closed! - (before.close_reasons.client_closed ?? 0)).toBe(1);
    // Refused connections never opened a session.
    expect(after.close_reasons.server_full).toBeUndefined();
    expect((admin.final_latency_seconds as { count: number }).count).toBe(after.finals);
  });
});

describe('with STREAM_MAX_SESSION_S=1, and at shutdown', () => {
  let script: Script = () => ({ text: 'hello world' });
  const provider = new ScriptedProvider({ script: (call) => script(call) });
  let t: ScriptedStreamApp;
  let closed = false;

  beforeAll(async () => {
    t = await startScriptedStreamApp(provider, { STREAM_MAX_SESSION_S: '1', STREAM_MAX_RATE: '4' });
  });
  afterAll(async () => {
    if (!closed) await t.close();
  });

  it('audio faster than STREAM_MAX_RATE × real time is held back, not refused', async () => {
    const began = performance.now();
    const { socket, run } = await connect(streamUrl(t.url, `${F32}&interim_results=false`));
    await sendAudio(socket, TWO_UTTERANCES, SEND);
    close(socket);
    const result = await run;
    // 2.9 s of audio at 4× real time after a 2 s burst: at least 0.9 / 4 s.
    expect(performance.now() - began).toBeGreaterThanOrEqual(200);
    expect(closing(result)).toMatchObject({ reason: 'client_closed', stats: { finals: 2 } });
  });

  it('a stream longer than STREAM_MAX_SESSION_S gets its finals, then session.closed and 4002', async () => {
    const began = performance.now();
    const { socket, run } = await connect(streamUrl(t.url, `${F32}&interim_results=false`));
    // Speech still going on when the time is up: its final is the last thing before the close.
    await sendAudio(socket, f32le(scriptedAudio([...silence(0.2), ...speech(0.4)])), SEND);
    const result = await run;
    expect((performance.now() - began) / 1000).toBeGreaterThanOrEqual(0.95);
    expect(result.messages.map((m) => m.type)).toEqual([
      'session.started',
      'speech.started',
      'speech.stopped',
      'transcript.final',
      'session.closed',
    ]);
    expect(closing(result)).toMatchObject({ reason: 'max_duration' });
    expect(result.closeCode).toBe(4002);
  });

  it('shutdown: an open stream gets the final of its utterance in progress, then 1001; the fakes are released', async () => {
    script = () => ({ text: 'said before shutdown', delayMs: 150 });
    const { socket, messages, run } = await connect(streamUrl(t.url, `${F32}&interim_results=false`));
    await sendAudio(socket, f32le(scriptedAudio([...silence(0.2), ...speech(0.4)])), SEND);
    await messageMatching(messages, (m) => m.type === 'speech.started');
    closed = true;
    await t.close();
    const result = await run;
    expect(finalsOf(result)).toEqual([expect.objectContaining({ segment_id: 0, text: 'said before shutdown' })]);
    expect(closing(result)).toMatchObject({ type: 'session.closed', reason: 'server_shutdown' });
    expect(result.closeCode).toBe(1001);
    expect(provider.closed).toBe(true);
    expect(t.vad.closed).toBe(true);
    expect(t.vad.openStates).toBe(0);
  });
});
