import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeepgramClient } from '@deepgram/sdk';
import OpenAI from 'openai';
import { deepgramEnvironment, type DeepgramMessage, deepgramSession } from './support/deepgram-client';
import { type SeenRequest, withFakeProvider } from './support/fake-openai';
import { random, sequence, speak } from './support/mixes';
import { RealtimeSession } from './support/realtime-client';
import { connect, sendAudio, type StreamMessage, streamUrl, toPcm16 } from './support/stream-client';
import { selfSignedCertificate } from './support/tls';

jest.setTimeout(120_000);

// The three live protocols at once on one app (over its own TLS: the openai SDK's realtime client connects with wss:
// only), transcribing through an OpenAI-compatible fake that answers each request after a random delay, so the
// finals of one session come back from the provider out of order. Each framing must still send exactly one final
// per utterance, in order, each carrying its own utterance's transcript.

/** Sessions of each protocol, all open at once. */
const SESSIONS = { native: 7, realtime: 7, deepgram: 6 } as const;
/** Multiples of real time the clients send at: within STREAM_MAX_RATE (8), so nothing is throttled. */
const PACE = 6;
/** Three utterances of clearly different lengths (about 1.3, 2.1 and 3.7 s as flite speaks them). */
const SENTENCES = [
  'Open the door.',
  'The weather will be warm and sunny.',
  'Please call me back tomorrow morning before the meeting starts at ten.',
];
/** Longer than any utterance but the third sentence's (with the VAD's padding): the failure test's target. */
const LONG_UTTERANCE_MS = 3200;
/** How far a final's audio may be from its utterance's announced span: rounding to the millisecond, twice. */
const SPAN_TOLERANCE_MS = 20;
const FINAL_TEXT = /^audio of (\d+) ms request (\d+)$/;

type Protocol = keyof typeof SESSIONS;

/** One final as any of the three protocols tells it, with the span its speech events announced for it. */
interface SessionFinal {
  startMs: number;
  endMs: number;
  text: string;
  /** The error code, when the provider failed. */
  error: string | undefined;
}

interface SessionResult {
  protocol: Protocol;
  closeCode: number;
  finals: SessionFinal[];
}

/** Milliseconds of audio in a canonical WAV (what the app sends the provider). */
function wavMs(seen: SeenRequest): number {
  const wav = seen.file?.bytes ?? Buffer.alloc(0);
  const data = wav.indexOf('data');
  return data < 0 ? 0 : Math.round(((wav.length - data - 8) / wav.readUInt32LE(28)) * 1000);
}

/** A final's request asks for word timestamps; a partial's (the Realtime framing's deltas) does not. */
const isFinalRequest = (seen: SeenRequest): boolean =>
  seen.fields['timestamp_granularities[]']?.includes('word') ?? false;

const to24k = (pcm16k: Buffer): Buffer =>
  execFileSync(
    'sox',
    [
      ...['-t', 'raw', '-e', 'signed', '-b', '16', '-r', '16000', '-c', '1', '-'],
      ...['-t', 'raw', '-e', 'signed', '-b', '16', '-r', '24000', '-'],
    ],
    { input: pcm16k, maxBuffer: 1 << 26 },
  );

describe('20 live sessions mixed over the native, OpenAI Realtime and Deepgram protocols, a provider answering in random order', () => {
  const tls = selfSignedCertificate(mkdtempSync(join(tmpdir(), 'asr-mixed-')));
  const { fake, app } = withFakeProvider({
    TLS_CERT_FILE: tls.cert,
    TLS_KEY_FILE: tls.key,
    // Every request goes out at once: the random delays, not a queue, decide the order of the answers.
    ASR_CONCURRENCY: '64',
    // The failure test's 500s are one failure each, never retried into a success nor opening the circuit.
    ASR_MAX_RETRIES: '0',
    ASR_BREAKER_FAILURES: '1000',
  });
  let base: string;
  let openai: OpenAI;
  let deepgram: DeepgramClient;
  let utterances: Float32Array[];

  beforeAll(() => {
    base = app().url.replace(/^http:/, 'https:');
    openai = new OpenAI({ apiKey: 'no-keys-on-this-server', baseURL: `${base}/v1`, maxRetries: 0 });
    deepgram = new DeepgramClient({
      apiKey: 'no-keys-on-this-server',
      environment: deepgramEnvironment(base),
      agent: new Agent({ ca: tls.pem }),
    });
    utterances = speak(SENTENCES);
    const delay = random(17);
    // The transcript names the audio it was made from and the request it answers: a final carrying another
    // utterance's text, or sent before an earlier one, shows.
    fake.fallback = {
      kind: 'ok',
      delayMs: () => randomDelayMs(delay),
      text: (seen) => `audio of ${wavMs(seen)} ms request ${fake.seen.indexOf(seen)}`,
    };
  });
  afterEach(() => {
    fake.reset();
  });

  async function nativeSession(pcm: Buffer, seed: number): Promise<SessionResult> {
    const { socket, run } = await connect(streamUrl(base, 'interim_results=false'), {}, { ca: tls.pem });
    await sendAudio(socket, pcm, { bytesPerSecond: 32_000, pace: PACE, seed, maxFrameBytes: 6400 });
    socket.send(JSON.stringify({ type: 'close' }));
    const { messages, closeCode } = await run;
    const ofType = (type: string): StreamMessage[] => messages.filter((m) => m.type === type);
    const started = ofType('speech.started');
    const stopped = new Map(ofType('speech.stopped').map((m) => [m.segment_id, m.end!]));
    const finals = ofType('transcript.final');
    // One final per speech.started, in segment order.
    expect(finals.map((f) => f.segment_id)).toEqual(started.map((s) => s.segment_id));
    return {
      protocol: 'native',
      closeCode,
      finals: finals.map((f, i) => ({
        startMs: started[i]!.start! * 1000,
        endMs: stopped.get(f.segment_id)! * 1000,
        text: f.text ?? '',
        error: f.error?.code,
      })),
    };
  }

  async function realtimeSession(pcm: Buffer): Promise<SessionResult> {
    const session = new RealtimeSession(openai, tls.pem);
    await session.opened();
    await session.append(to24k(pcm), { bytesPerSecond: 48_000 }, PACE);
    await session.settled();
    const closeCode = await session.close();
    const idsOf = (type: string): unknown[] => session.ofType(type).map((c) => c.event.item_id);
    const committed = idsOf('input_audio_buffer.committed');
    // One completed or failed per committed item, in item order; every item began with speech_started.
    expect(session.done().map((d) => d.event.item_id)).toEqual(committed);
    expect(idsOf('input_audio_buffer.speech_started')).toEqual(committed);
    const spanOf = (type: string, field: string): Map<unknown, number> =>
      new Map(session.ofType(type).map((c) => [c.event.item_id, c.event[field] as number]));
    const starts = spanOf('input_audio_buffer.speech_started', 'audio_start_ms');
    const ends = spanOf('input_audio_buffer.speech_stopped', 'audio_end_ms');
    return {
      protocol: 'realtime',
      closeCode,
      finals: session.done().map(({ event }) => ({
        startMs: starts.get(event.item_id)!,
        endMs: ends.get(event.item_id)!,
        text: (event.transcript as string | undefined) ?? '',
        error: event.type.endsWith('.failed') ? (event.error as { code: string }).code : undefined,
      })),
    };
  }

  async function deepgramLive(pcm: Buffer): Promise<SessionResult> {
    const run = await deepgramSession(
      deepgram,
      { model: 'nova-3', encoding: 'linear16', sample_rate: 16_000, interim_results: 'false', vad_events: 'true' },
      pcm,
      32_000,
      PACE,
    );
    const ofType = (type: string): DeepgramMessage[] => run.messages.filter((m) => m.type === type);
    const finals = ofType('Results').filter((m) => m.is_final === true);
    const starts = finals.map((f) => f.start as number);
    // One final Results per SpeechStarted, each at its speech's start, in start-time order.
    expect(starts).toEqual(ofType('SpeechStarted').map((m) => m.timestamp));
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(new Set(starts).size).toBe(starts.length);
    expect(run.messages.at(-1)?.type).toBe('Metadata');
    return {
      protocol: 'deepgram',
      closeCode: run.closeCode,
      finals: finals.map((f) => ({
        startMs: (f.start as number) * 1000,
        endMs: ((f.start as number) + (f.duration as number)) * 1000,
        text: (f.channel as { alternatives: { transcript: string }[] }).alternatives[0]!.transcript,
        error: (f.error as { code: string } | undefined)?.code,
      })),
    };
  }

  /** Session `i`'s audio: the sentences in an order of its own, with pauses of its own. */
  function sessionPcm(i: number): Buffer {
    const order = utterances.map((_, k) => utterances[(k + i) % utterances.length]!);
    return toPcm16(sequence(order, 100 + i).clean);
  }

  /** The request a transcribed final answered, after checking its text came from its own utterance's audio. */
  function requestOf(final: SessionFinal): SeenRequest {
    const match = FINAL_TEXT.exec(final.text);
    expect({ final, match: match !== null }).toEqual({ final, match: true });
    const audioMs = Number(match![1]);
    const spanMs = final.endMs - final.startMs;
    expect({ final, audioIsItsOwn: Math.abs(audioMs - spanMs) <= SPAN_TOLERANCE_MS }).toEqual({
      final,
      audioIsItsOwn: true,
    });
    const request = fake.seen[Number(match![2])]!;
    expect(isFinalRequest(request)).toBe(true);
    return request;
  }

  it('exactly one final per utterance, in order, each with its own transcript, though the provider answered out of order', async () => {
    const protocols: Protocol[] = (Object.keys(SESSIONS) as Protocol[]).flatMap((p) =>
      Array.from({ length: SESSIONS[p] }, () => p),
    );
    const began = performance.now();
    const results = await Promise.all(
      protocols.map((protocol, i) => {
        const pcm = sessionPcm(i);
        if (protocol === 'native') return nativeSession(pcm, i + 1);
        return protocol === 'realtime' ? realtimeSession(pcm) : deepgramLive(pcm);
      }),
    );
    const seconds = (performance.now() - began) / 1000;
    let outOfOrder = 0;
    for (const result of results) {
      expect({ protocol: result.protocol, closeCode: result.closeCode }).toEqual({
        protocol: result.protocol,
        closeCode: 1000,
      });
      // Each sentence is one utterance to the VAD: three finals, none failed.
      expect(result.finals.map((f) => [f.error, FINAL_TEXT.test(f.text)])).toEqual(
        SENTENCES.map(() => [undefined, true]),
      );
      // The order the provider answered this session's finals in (they went out in utterance order regardless).
      const answeredAt = result.finals.map((f) => fake.answered.indexOf(requestOf(f)));
      expect(answeredAt.every((at) => at >= 0)).toBe(true);
      if (answeredAt.some((at, k) => k > 0 && at < answeredAt[k - 1]!)) outOfOrder += 1;
    }
    const finalRequests = fake.seen.filter(isFinalRequest);
    const inversions = countInversions(fake.answered.filter(isFinalRequest).map((r) => finalRequests.indexOf(r)));
    console.log(
      `live protocols mixed: ${results.length} sessions (${SESSIONS.native} native, ${SESSIONS.realtime} Realtime, ` +
        `${SESSIONS.deepgram} Deepgram) in ${seconds.toFixed(1)} s; ${finalRequests.length} final and ` +
        `${fake.seen.length - finalRequests.length} partial requests to the fake; ${outOfOrder} sessions had their ` +
        `finals answered out of order; ${inversions} inverted pairs among all finals' answers`,
    );
    expect(finalRequests).toHaveLength(results.length * SENTENCES.length);
    // The randomness happened: within sessions, not just across them.
    expect(outOfOrder).toBeGreaterThanOrEqual(1);
  });

  it('a provider failure mid-session: native final with the error, Realtime .failed, Deepgram an empty final with it; the next utterance is transcribed', async () => {
    let failed = 0;
    // The longest sentence's final fails, in each session; partials and the other finals are answered.
    fake.choose = (seen) => {
      if (!isFinalRequest(seen) || wavMs(seen) < LONG_UTTERANCE_MS) return undefined;
      failed += 1;
      return { kind: 'status', status: 500, message: 'the fake provider failed this one' };
    };
    // Short, long (fails), middle.
    const pcm = toPcm16(sequence([utterances[0]!, utterances[2]!, utterances[1]!], 7).clean);
    const results = await Promise.all([nativeSession(pcm, 3), realtimeSession(pcm), deepgramLive(pcm)]);
    for (const result of results) {
      expect({ protocol: result.protocol, closeCode: result.closeCode }).toEqual({
        protocol: result.protocol,
        closeCode: 1000,
      });
      expect({ protocol: result.protocol, outcomes: result.finals.map((f) => [f.error, f.text === '']) }).toEqual({
        protocol: result.protocol,
        outcomes: [
          [undefined, false],
          ['provider_error', true],
          [undefined, false],
        ],
      });
      // Those transcribed carry their own utterance's text.
      for (const final of [result.finals[0]!, result.finals[2]!]) requestOf(final);
    }
    expect(failed).toBe(results.length);
  });
});

/**
 * A provider's answer time: most requests quick, one in three slow. The sessions' VAD work spaces the ends of one
 * session's utterances a second or more apart on this machine: a slow answer is slower than that, so a later final
 * of the same session is often ready first (the pipeline must hold it back).
 */
function randomDelayMs(next: () => number): number {
  return next() < 1 / 3 ? 2000 + next() * 3000 : 20 + next() * 400;
}

/** Pairs out of order in `order` (a permutation of 0…n−1): 0 when sorted. */
function countInversions(order: number[]): number {
  let inversions = 0;
  for (let i = 0; i < order.length; i += 1)
    for (let j = i + 1; j < order.length; j += 1) if (order[i]! > order[j]!) inversions += 1;
  return inversions;
}
