import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { WebSocket } from 'ws';
import { encodeWav, PcmStreamDecoder, type PcmFormat } from '@asr/audio';
import { serverMessageValidator } from './support/asyncapi';
import { DeclaredTypes } from './support/declared-types';
import { rawEngineTranscripts } from './support/raw-engine';
import { type RealtimeItem, RealtimeSession } from './support/realtime-client';
import { librivoxSamples, type SpeechSample, synthesiseCorpus } from './support/speech';
import { sendAudio } from './support/stream-client';
import { startTestApp, type TestApp } from './support/test-app';
import { selfSignedCertificate } from './support/tls';
import { waitFor } from './support/wait';
import { corpusWer } from './support/wer';

jest.setTimeout(300_000);

// The official `openai` SDK's realtime client (`OpenAIRealtimeWS`, intent transcription), changed only in base URL,
// key and trusted certificate, against the real app over TLS with the embedded engine and real speech.

const KEY = 'realtime-e2e-key';
const validate = serverMessageValidator('asyncapi-realtime.yaml');

/** Each server event's interface in the SDK's realtime.d.ts. */
const SDK_TYPE: Record<string, string> = {
  'session.created': 'SessionCreatedEvent',
  'session.updated': 'SessionUpdatedEvent',
  'transcription_session.updated': 'TranscriptionSessionUpdatedEvent',
  'input_audio_buffer.speech_started': 'InputAudioBufferSpeechStartedEvent',
  'input_audio_buffer.speech_stopped': 'InputAudioBufferSpeechStoppedEvent',
  'input_audio_buffer.committed': 'InputAudioBufferCommittedEvent',
  'input_audio_buffer.cleared': 'InputAudioBufferClearedEvent',
  'conversation.item.input_audio_transcription.delta': 'ConversationItemInputAudioTranscriptionDeltaEvent',
  'conversation.item.input_audio_transcription.completed': 'ConversationItemInputAudioTranscriptionCompletedEvent',
  'conversation.item.input_audio_transcription.failed': 'ConversationItemInputAudioTranscriptionFailedEvent',
  error: 'RealtimeErrorEvent',
};

interface Format {
  name: string;
  bytesPerSecond: number;
  /** 16 kHz mono 16-bit PCM to this format, by sox (what a client captures and sends). */
  convert: (pcm16k: Buffer) => Buffer;
  /** The format as the service's decoder names it. */
  pcm: PcmFormat;
}

const sox = (pcm16k: Buffer, to: string[]): Buffer =>
  execFileSync('sox', ['-t', 'raw', '-e', 'signed', '-b', '16', '-r', '16000', '-c', '1', '-', ...to, '-'], {
    input: pcm16k,
    maxBuffer: 1 << 28,
  });

const PCM24: Format = {
  name: '24 kHz pcm16',
  bytesPerSecond: 48_000,
  pcm: { encoding: 'pcm_s16le', sampleRate: 24_000, channels: 1 },
  convert: (pcm) => sox(pcm, ['-t', 'raw', '-e', 'signed', '-b', '16', '-r', '24000']),
};
const PCM16: Format = {
  name: '16 kHz pcm16',
  bytesPerSecond: 32_000,
  pcm: { encoding: 'pcm_s16le', sampleRate: 16_000, channels: 1 },
  convert: (pcm) => pcm,
};
const MULAW: Format = {
  name: '8 kHz μ-law',
  bytesPerSecond: 8000,
  pcm: { encoding: 'pcm_mulaw', sampleRate: 8000, channels: 1 },
  convert: (pcm) => sox(pcm, ['-t', 'raw', '-e', 'mu-law', '-b', '8', '-r', '8000']),
};

function pcm16k(file: string): Buffer {
  return execFileSync('sox', [file, '-t', 'raw', '-e', 'signed', '-b', '16', '-r', '16000', '-c', '1', '-'], {
    maxBuffer: 1 << 28,
  });
}

const silence16k = (seconds: number): Buffer => Buffer.alloc(Math.round(seconds * 16_000) * 2);

/** The samples one after another with 1.2 s of silence between, in `format`, and the reference text. */
function sessionAudio(samples: SpeechSample[], format: Format): { audio: Buffer; reference: string } {
  const parts = samples.flatMap((s) => [silence16k(1.2), pcm16k(s.file)]);
  return {
    audio: format.convert(Buffer.concat([...parts, silence16k(1.2)])),
    reference: samples.map((s) => s.reference).join(' '),
  };
}

/**
 * Each sample's utterance cut out of a session's audio (with 0.6 s of the silence around it), decoded to 16 kHz
 * mono WAV files as the service decodes the format: the raw engine's input for the same bytes.
 */
function utterancesOf(audio: Buffer, samples: SpeechSample[], format: Format): SpeechSample[] {
  const dir = mkdtempSync(join(tmpdir(), 'asr-realtime-cut-'));
  const bytesPerSample = format.bytesPerSecond / format.pcm.sampleRate;
  // A time in 16 kHz samples to a byte offset on a whole sample of the format (never inside one).
  const offset = (at16k: number): number => Math.round((at16k * format.pcm.sampleRate) / 16_000) * bytesPerSample;
  let at = 0;
  return samples.map((sample) => {
    const speech = pcm16k(sample.file).length / 2;
    const from = offset(at + 0.6 * 16_000);
    at += 1.2 * 16_000 + speech;
    const to = offset(at + 0.6 * 16_000);
    const file = join(dir, `${sample.id}.wav`);
    writeFileSync(file, encodeWav(toFloat16k(audio.subarray(from, to), format)));
    return { ...sample, file };
  });
}

/** Bytes of `format` as the service's own stream decoder turns them into 16 kHz float samples. */
function toFloat16k(bytes: Buffer, format: Format): Float32Array {
  const decoder = new PcmStreamDecoder(format.pcm);
  return Float32Array.from([...decoder.push(bytes), ...decoder.flush()]);
}

/** Every item's deltas, concatenated, are its completed transcript, word for word. */
function checkDeltas(items: RealtimeItem[]): void {
  for (const item of items) {
    const sent = item.deltas.map((d) => d.event.delta as string).join('');
    expect({ item: item.itemId, sent }).toEqual({ item: item.itemId, sent: item.transcript });
  }
}

/** A rate, the speech streamed at it, and how far its WER may be from the native protocol's and the raw engine's. */
interface RateCase {
  format: Format;
  speech: () => SpeechSample[];
  configure: (session: RealtimeSession) => Promise<void>;
  native: string;
}

describe('OpenAI Realtime transcription with the official SDK, over TLS, on the embedded engine', () => {
  let t: TestApp;
  let client: OpenAI;
  let ca: Buffer;
  let synthetic: SpeechSample[];
  let recorded: SpeechSample[];
  const sessions: RealtimeSession[] = [];

  const open = async (): Promise<RealtimeSession> => {
    const session = new RealtimeSession(client, ca);
    sessions.push(session);
    await session.opened();
    return session;
  };

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asr-realtime-'));
    const tls = selfSignedCertificate(dir);
    ca = tls.pem;
    t = await startTestApp({
      env: {
        TLS_CERT_FILE: tls.cert,
        TLS_KEY_FILE: tls.key,
        API_KEYS: KEY,
        SECRET_KEY: 'a-secret-key-of-thirty-two-chars!',
        LOCAL_ASR_CONCURRENCY: '3',
        // The client waits for its last completions without sending (as OpenAI's clients do): on a busy machine the
        // engine's backlog at 4× can outlast the default 30 s, which would end the session 4001 once they are sent.
        STREAM_IDLE_TIMEOUT_S: '300',
      },
    });
    client = new OpenAI({ apiKey: KEY, baseURL: `https://localhost:${new URL(t.url).port}/v1`, maxRetries: 0 });
    synthetic = await synthesiseCorpus(dir);
    recorded = librivoxSamples();
  });
  afterAll(async () => {
    for (const session of sessions) if (session.rt.socket.readyState === session.rt.socket.OPEN) await session.close();
    await t.close();
  });

  /** Streams `samples` as one server-VAD session at `pace`, configured by `configure`; its items and WER. */
  async function streamed(
    samples: SpeechSample[],
    format: Format,
    pace: number,
    configure: (session: RealtimeSession) => Promise<void>,
  ): Promise<{ wer: number; items: RealtimeItem[]; audio: Buffer; vad: string }> {
    // Converted once: sox dithers, so every comparison is fed these bytes, never a conversion made again.
    const { audio, reference } = sessionAudio(samples, format);
    const session = await open();
    await configure(session);
    await session.append(audio, format, pace);
    await session.settled();
    expect(await session.close()).toBe(1000);
    expect(session.errors).toEqual([]);
    const items = session.items();
    return {
      wer: corpusWer([{ reference, hypothesis: items.map((i) => i.transcript).join(' ') }]),
      items,
      audio,
      vad: nativeVadQuery(session),
    };
  }

  /**
   * The session's turn detection as the native protocol's query names it: the same VAD settings, so both cut the
   * audio alike. Read from what the server said it uses (the last session.updated, either shape).
   */
  function nativeVadQuery(session: RealtimeSession): string {
    const updates = [...session.ofType('session.updated'), ...session.ofType('transcription_session.updated')];
    const described = updates.at(-1)!.event.session as {
      audio?: { input: { turn_detection: Record<string, number> } };
      turn_detection?: Record<string, number>;
    };
    const vad = described.audio?.input.turn_detection ?? described.turn_detection!;
    return `vad_threshold=${vad.threshold}&min_silence_ms=${vad.silence_duration_ms}&speech_pad_ms=${vad.prefix_padding_ms}`;
  }

  /**
   * The same audio over the native protocol (/api/v1/stream, over the same TLS, partials on as the Realtime
   * framing has them): its finals, in order.
   */
  async function nativeFinals(audio: Buffer, format: Format, query: string, pace: number): Promise<string[]> {
    const socket = new WebSocket(`wss://localhost:${new URL(t.url).port}/api/v1/stream?${query}`, {
      ca,
      headers: { authorization: `Bearer ${KEY}` },
    });
    const finals: string[] = [];
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString('utf8')) as { type: string; text?: string };
      if (message.type === 'transcript.final') finals.push(message.text ?? '');
    });
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    await sendAudio(socket, audio, { bytesPerSecond: format.bytesPerSecond, pace, maxFrameBytes: 4800 });
    socket.send(JSON.stringify({ type: 'close' }));
    expect(await closed).toBe(1000);
    return finals;
  }

  const werOf = (samples: SpeechSample[], texts: string[]): number =>
    corpusWer([{ reference: samples.map((s) => s.reference).join(' '), hypothesis: texts.join(' ') }]);

  const raw = async (samples: SpeechSample[]): Promise<number> => {
    const texts = await rawEngineTranscripts(samples.map((s) => s.file));
    return corpusWer(samples.map((s, i) => ({ reference: s.reference, hypothesis: texts[i]! })));
  };

  /** The SDK's own session.update for 24 kHz PCM, with everything a client may ask of a transcription session. */
  async function sdkSessionUpdate(s: RealtimeSession): Promise<void> {
    s.rt.send({
      type: 'session.update',
      session: {
        type: 'transcription',
        audio: {
          input: {
            format: { type: 'audio/pcm', rate: 24_000 },
            transcription: { model: 'gpt-4o-transcribe', language: 'en' },
            turn_detection: { type: 'server_vad', silence_duration_ms: 300 },
            noise_reduction: { type: 'near_field' },
          },
        },
        include: ['item.input_audio_transcription.logprobs'],
      },
    });
    await waitFor(() => s.ofType('session.updated').length === 1, { what: 'session.updated' });
  }

  it('24 kHz pcm16 at real time: live deltas, the first ≥ 1 s before each completed of 3 s or more; logprobs', async () => {
    const speech = recorded;
    const { wer, items } = await streamed(speech, PCM24, 1, sdkSessionUpdate);
    const long = items.filter((i) => (i.durationMs ?? 0) >= 3000);
    const leads = long.map((i) => (i.deltas.length > 0 ? i.done.at - i.deltas[0]!.at : 0));
    checkDeltas(items);
    console.log(
      `realtime ${PCM24.name} 1×: ${items.length} items, WER ${wer.toFixed(2)}% (raw engine ${(await raw(speech)).toFixed(2)}%); ` +
        `first delta before completed on the ${long.length} items of 3 s or more: ${leads.map((l) => (l / 1000).toFixed(2)).join(', ')} s; ` +
        `deltas add up to completed on all ${items.length}`,
    );
    expect(items.length).toBeGreaterThanOrEqual(speech.length);
    // The bound of the native protocol's streaming tests on recorded speech.
    expect(wer).toBeLessThanOrEqual(45);
    expect(long.length).toBeGreaterThanOrEqual(4);
    for (const lead of leads) expect(lead).toBeGreaterThanOrEqual(1000);
    // Log probabilities: one per word of the transcript, each the log of a confidence; null only where the final
    // was held to a stable word it did not say itself (that word has no confidence of its own).
    const spoken = items.filter((i) => i.transcript);
    const scored = spoken.filter((i) => i.logprobs !== null);
    expect(scored.length).toBeGreaterThanOrEqual(spoken.length - 2);
    for (const item of scored) {
      const logprobs = item.logprobs as { token: string; logprob: number }[];
      expect(logprobs.map((l) => l.token).join('')).toBe(item.transcript);
      for (const l of logprobs) expect(l.logprob).toBeLessThanOrEqual(0);
    }
  });

  /** Realtime and then the native protocol on the same audio, one session at a time: what the tests compare. */
  const rates: RateCase[] = [
    {
      format: PCM24,
      speech: () => synthetic.filter((s) => s.id.endsWith('flite-slt')),
      configure: sdkSessionUpdate,
      native: 'sample_rate=24000&language=en',
    },
    {
      format: PCM16,
      speech: () => synthetic.filter((s) => s.id.endsWith('festival-slt-hts')).slice(0, 12),
      configure: async (s) => {
        // The SDK's type says 24000; this server resamples any rate, so the event goes out as JSON of its own.
        s.sendRaw({
          type: 'session.update',
          session: { type: 'transcription', audio: { input: { format: { type: 'audio/pcm', rate: 16_000 } } } },
        });
        await waitFor(() => s.ofType('session.updated').length === 1, { what: 'session.updated' });
      },
      native: 'language=en',
    },
    {
      format: MULAW,
      speech: () => [...recorded, ...synthetic.filter((s) => s.id.endsWith('festival-slt-hts')).slice(12, 20)],
      configure: async (s) => {
        // The beta event, as older clients send it.
        s.sendRaw({
          type: 'transcription_session.update',
          session: {
            input_audio_format: 'g711_ulaw',
            input_audio_transcription: { model: 'whisper-1', language: 'en' },
          },
        });
        await waitFor(() => s.ofType('transcription_session.updated').length === 1, { what: 'the beta update' });
      },
      native: 'encoding=pcm_mulaw&sample_rate=8000&language=en',
    },
  ];
  const compared: { words: number; realtime: number; native: number }[] = [];

  it.each(rates.map((rate) => [rate.format.name, rate] as const))(
    '%s at 4×: the same transcripts as the native protocol on the same audio, deltas adding up to each',
    async (_name, rate) => {
      const speech = rate.speech();
      const realtime = await streamed(speech, rate.format, 4, rate.configure);
      const native = await nativeFinals(realtime.audio, rate.format, `${rate.native}&${realtime.vad}`, 4);
      const transcripts = realtime.items.map((i) => i.transcript);
      checkDeltas(realtime.items);
      const words = speech.flatMap((s) => s.reference.split(/\s+/)).length;
      compared.push({ words, realtime: realtime.wer * words, native: werOf(speech, native) * words });
      const same = transcripts.filter((text, i) => text === native[i]).length;
      // The raw engine on the very bytes streamed, each utterance cut out of them and brought to 16 kHz by the
      // service's resampler (what the engine sees).
      const rawWer = await raw(utterancesOf(realtime.audio, speech, rate.format));
      console.log(
        `realtime ${rate.format.name} 4×: ${transcripts.length} items over ${words} words, WER ${realtime.wer.toFixed(2)}% ` +
          `(native protocol ${werOf(speech, native).toFixed(2)}%, raw engine on the same audio ${rawWer.toFixed(2)}%); ` +
          `${same}/${native.length} transcripts identical to the native protocol's`,
      );
      // μ-law asked for in so many words; every rate is held to it.
      expect(realtime.wer).toBeLessThanOrEqual(rawWer + 3);
      expect(transcripts.length).toBeGreaterThanOrEqual(speech.length);
      expect(transcripts).toEqual(native);
      expect(realtime.wer).toBeLessThanOrEqual(rate.format === MULAW ? 45 : 35);
    },
  );

  it('across the three rates: WER within 3 points of the native protocol over 500 words or more', () => {
    expect(compared).toHaveLength(rates.length);
    const words = compared.reduce((sum, c) => sum + c.words, 0);
    const realtime = compared.reduce((sum, c) => sum + c.realtime, 0) / words;
    const native = compared.reduce((sum, c) => sum + c.native, 0) / words;
    console.log(
      `realtime over ${words} words at three rates: WER ${realtime.toFixed(2)}%, native ${native.toFixed(2)}%`,
    );
    expect(words).toBeGreaterThanOrEqual(500);
    expect(realtime).toBeLessThanOrEqual(native + 3);
  });

  it('turn_detection null: each commit is an item, cut where it falls; an empty commit is refused', async () => {
    const speech = synthetic.filter((s) => s.id.endsWith('festival-slt-hts')).slice(15, 20);
    const session = await open();
    session.rt.send({
      type: 'session.update',
      session: { type: 'transcription', audio: { input: { turn_detection: null } } },
    });
    await waitFor(() => session.ofType('session.updated').length === 1, { what: 'session.updated' });
    for (const sample of speech) {
      await session.append(
        PCM24.convert(Buffer.concat([silence16k(0.5), pcm16k(sample.file), silence16k(0.3)])),
        PCM24,
        4,
      );
      session.rt.send({ type: 'input_audio_buffer.commit' });
    }
    await waitFor(() => session.done().length === speech.length, { what: 'one item per commit', timeoutMs: 60_000 });
    session.rt.send({ type: 'input_audio_buffer.commit', event_id: 'nothing-left' });
    await waitFor(() => session.ofType('error').length === 1, { what: 'the empty commit refused' });
    expect(await session.close()).toBe(1000);
    expect(session.ofType('input_audio_buffer.speech_started')).toEqual([]);
    const items = session.items();
    const wer = corpusWer([
      { reference: speech.map((s) => s.reference).join(' '), hypothesis: items.map((i) => i.transcript).join(' ') },
    ]);
    console.log(
      `realtime manual commits: ${items.length} items, WER ${wer.toFixed(2)}% (raw engine ${(await raw(speech)).toFixed(2)}%)`,
    );
    expect(items.map((i) => i.itemId)).toEqual(
      session.ofType('input_audio_buffer.committed').map((c) => c.event.item_id),
    );
    expect(wer).toBeLessThanOrEqual(35);
    expect(session.ofType('error')[0]!.event.error).toMatchObject({
      code: 'input_audio_buffer_commit_empty',
      event_id: 'nothing-left',
    });
    // The SDK hands error events to its error listener too.
    expect(session.errors).toEqual([expect.stringMatching(/input_audio_buffer_commit_empty/) as string]);
  });

  it('a conversation session (model=) is refused with HTTP 400 before the upgrade', async () => {
    const refused = new OpenAIRealtimeWS({ model: 'gpt-realtime', options: { ca } }, client);
    const errors: string[] = [];
    refused.on('error', (error) => errors.push(error.message));
    await new Promise((resolve) => refused.socket.once('close', resolve));
    expect(errors).toEqual([expect.stringMatching(/400/) as string]);
  });

  it('every server event captured validates against docs/asyncapi-realtime.yaml and has each field the SDK marks required', () => {
    const types = new DeclaredTypes(join(dirname(require.resolve('openai')), 'resources/realtime/realtime.d.ts'));
    const captured = sessions.flatMap((s) => s.captured.map((c) => c.event));
    const kinds = new Set(captured.map((e) => e.type));
    expect([...kinds].sort()).toEqual(
      [
        'session.created',
        'session.updated',
        'transcription_session.updated',
        'input_audio_buffer.speech_started',
        'input_audio_buffer.speech_stopped',
        'input_audio_buffer.committed',
        'conversation.item.input_audio_transcription.delta',
        'conversation.item.input_audio_transcription.completed',
        'error',
      ].sort(),
    );
    for (const event of captured) {
      expect({ event, problem: validate(event) }).toEqual({ event, problem: undefined });
      // The beta event's type marks client_secret required, though its own comment says the WebSocket never sends it.
      const problems = types
        .violations(event, SDK_TYPE[event.type]!)
        .filter(
          (p) =>
            !(
              event.type === 'transcription_session.updated' && p.endsWith('.session.client_secret: required, missing')
            ),
        );
      expect({ event, problems }).toEqual({ event, problems: [] });
    }
    expect(new Set(captured.map((e) => e.event_id)).size).toBe(captured.length);
    console.log(`realtime: ${captured.length} server events checked (schema and SDK types)`);
    // The checks can fail: a completed without usage, or with a number for its transcript, is caught by both.
    const broken = structuredClone(captured.find((e) => e.type.endsWith('.completed'))!);
    delete broken.usage;
    expect(validate(broken)).toBeDefined();
    expect(types.violations(broken, SDK_TYPE[broken.type]!)).toEqual([
      expect.stringMatching(/usage: required/) as string,
    ]);
    expect(types.violations({ ...broken, transcript: 3 }, SDK_TYPE[broken.type]!).length).toBeGreaterThan(1);
  });
});
