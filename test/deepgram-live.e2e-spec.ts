import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DeepgramClient } from '@deepgram/sdk';
import { WebSocket } from 'ws';
import { serverMessageValidator } from './support/asyncapi';
import { DeclaredTypes } from './support/declared-types';
import { deepgramEnvironment, deepgramFinals, type DeepgramMessage, deepgramSession } from './support/deepgram-client';
import { corpusSentences, librivoxSamples, mapLimit, type SpeechSample, synthesise } from './support/speech';
import { connect, finalsOf, refusedHandshake, sendAudio, type StreamRun, streamUrl } from './support/stream-client';
import { startTestApp, type TestApp } from './support/test-app';
import { corpusWer, normalise } from './support/wer';

jest.setTimeout(300_000);

const KEY = 'deepgram-live-e2e-key-0123456789';
const SECRET_KEY = 'a-test-secret-key-of-at-least-32-characters';
/** Multiples of real time the clients send at: the engine, not the socket, sets the pace. */
const PACE = 16;

/** The audio formats under test: what the Deepgram client says, and what the native protocol says for the same bytes. */
interface Format {
  name: string;
  rate: number;
  bytesPerSecond: number;
  deepgram: { encoding: 'linear16' | 'mulaw'; sample_rate: number };
  native: string;
  /** Corpus sentences streamed after the recordings: 8 kHz decodes at about half the speed, so it gets fewer. */
  sentences: number;
  /** The WER bar: streaming-local.e2e-spec.ts's for synthetic speech (35%) and recordings (45%) lie either side. */
  maxWer: number;
}
const LINEAR16_16K: Format = {
  name: '16 kHz linear16',
  rate: 16_000,
  bytesPerSecond: 32_000,
  deepgram: { encoding: 'linear16', sample_rate: 16_000 },
  native: 'encoding=pcm_s16le&sample_rate=16000',
  sentences: 20,
  maxWer: 30,
};
const MULAW_8K: Format = {
  name: '8 kHz μ-law',
  rate: 8000,
  bytesPerSecond: 8000,
  deepgram: { encoding: 'mulaw', sample_rate: 8000 },
  native: 'encoding=pcm_mulaw&sample_rate=8000',
  sentences: 10,
  maxWer: 45,
};

/** The samples one after another with 1.2 s of silence between, as 16-bit PCM at `rate` (sox), then in `format`. */
function sessionAudio(samples: SpeechSample[], format: Format): { audio: Buffer } {
  const silence = (seconds: number): Buffer => Buffer.alloc(Math.round(seconds * format.rate) * 2);
  const raw = ['-t', 'raw', '-e', 'signed', '-b', '16', '-r', `${format.rate}`, '-c', '1'];
  const parts = samples.map((s) => execFileSync('sox', [s.file, ...raw, '-'], { maxBuffer: 1 << 28 }));
  const pcm = Buffer.concat([...parts.flatMap((part) => [silence(1.2), part]), silence(1)]);
  // Companded once, whole: sox dithers, so both protocols are sent these very bytes.
  const audio =
    format.deepgram.encoding === 'linear16'
      ? pcm
      : execFileSync('sox', [...raw, '-', '-e', 'mu-law', '-t', 'raw', '-'], { input: pcm, maxBuffer: 1 << 28 });
  return { audio };
}

/** The same audio over the native protocol, sent the same way. */
async function nativeSession(t: TestApp, format: Format, audio: Buffer): Promise<StreamRun> {
  const { socket, run } = await connect(streamUrl(t.url, `${format.native}&interim_results=false`), {
    authorization: `Bearer ${KEY}`,
  });
  await sendAudio(socket, audio, {
    bytesPerSecond: format.bytesPerSecond,
    pace: PACE,
    maxFrameBytes: format.bytesPerSecond / 25,
  });
  socket.send(JSON.stringify({ type: 'close' }));
  return run;
}

const SDK_TYPE: Record<string, string> = {
  Results: 'ListenV1Results',
  SpeechStarted: 'ListenV1SpeechStarted',
  UtteranceEnd: 'ListenV1UtteranceEnd',
  Metadata: 'ListenV1Metadata',
};

describe("the official @deepgram/sdk live client against GET /v1/listen (Deepgram's live API)", () => {
  let t: TestApp;
  let client: DeepgramClient;
  let synthetic: SpeechSample[];
  /** Every message any session received, for the schema and type checks at the end. */
  const captured: DeepgramMessage[] = [];
  const validate = serverMessageValidator('asyncapi-deepgram.yaml');
  /** Words and errors (WER × words) of each rate's session on either protocol. */
  const compared: { words: number; deepgram: number; native: number }[] = [];

  beforeAll(async () => {
    t = await startTestApp({ env: { API_KEYS: KEY, SECRET_KEY, LOCAL_ASR_CONCURRENCY: '2', STREAM_MAX_RATE: '100' } });
    const dir = mkdtempSync(join(tmpdir(), 'asr-deepgram-live-'));
    // The corpus in the fastest voice beside the recordings: the engine decodes every utterance twice per rate (two
    // protocols, one session at a time).
    const sentences = corpusSentences().map((text, i) => ({ text, id: `s${i}` }));
    synthetic = await mapLimit(sentences, 2, ({ text, id }) => synthesise(text, 'flite-slt', dir, id));
    client = new DeepgramClient({ apiKey: KEY, environment: deepgramEnvironment(t.url) });
  });
  afterAll(() => t.close());

  it.each([LINEAR16_16K, MULAW_8K])(
    '$name: transcripts within the WER bar, and identical to the native protocol’s for the same audio',
    async (format) => {
      const speech = [...librivoxSamples(), ...synthetic.slice(0, format.sentences)];
      const reference = speech.map((s) => s.reference).join(' ');
      const { audio } = sessionAudio(speech, format);
      const began = performance.now();
      const run = await deepgramSession(
        client,
        { model: 'nova-3', ...format.deepgram },
        audio,
        format.bytesPerSecond,
        PACE,
      );
      const deepgramS = (performance.now() - began) / 1000;
      captured.push(...run.messages);
      expect(run.closeCode).toBe(1000);
      const metadata = run.messages.at(-1)!;
      expect(metadata.type).toBe('Metadata');
      expect(metadata.duration as number).toBeCloseTo(audio.length / format.bytesPerSecond, 2);
      const finals = deepgramFinals(run);
      const wer = corpusWer([{ reference, hypothesis: finals.join(' ') }]);
      // One session at a time, the same audio at the same rate gives the same finals on either protocol.
      const native = await nativeSession(t, format, audio);
      expect(native.closeCode).toBe(1000);
      const nativeFinals = finalsOf(native).map((f) => f.text);
      const nativeWer = corpusWer([{ reference, hypothesis: nativeFinals.join(' ') }]);
      const words = normalise(reference).length;
      compared.push({ words, deepgram: wer * words, native: nativeWer * words });
      console.log(
        `deepgram live ${format.name}: WER ${wer.toFixed(2)}% over ${words} words (native protocol ${nativeWer.toFixed(2)}%), ` +
          `${finals.length} finals, ${(audio.length / format.bytesPerSecond).toFixed(1)} s of audio streamed in ` +
          `${deepgramS.toFixed(1)} s; ${finals.filter((f, i) => f === nativeFinals[i]).length}/${nativeFinals.length} ` +
          'finals identical to the native protocol’s',
      );
      expect(finals).toEqual(nativeFinals);
      expect(wer).toBeLessThanOrEqual(format.maxWer);
    },
  );

  it('across both rates: WER within 3 points of the native protocol over 500 words or more', () => {
    expect(compared).toHaveLength(2);
    const words = compared.reduce((sum, c) => sum + c.words, 0);
    const deepgram = compared.reduce((sum, c) => sum + c.deepgram, 0) / words;
    const native = compared.reduce((sum, c) => sum + c.native, 0) / words;
    console.log(
      `deepgram live over ${words} words at two rates: WER ${deepgram.toFixed(2)}%, native ${native.toFixed(2)}%`,
    );
    expect(words).toBeGreaterThanOrEqual(500);
    expect(deepgram).toBeLessThanOrEqual(native + 3);
  });

  it('interim results, SpeechStarted and UtteranceEnd through the SDK, at twice real time', async () => {
    const [sample] = librivoxSamples();
    // Two seconds of silence after the speech: more than utterance_end_ms after the last word.
    const audio = Buffer.concat([
      sessionAudio([sample!], LINEAR16_16K).audio,
      Buffer.alloc(LINEAR16_16K.bytesPerSecond),
    ]);
    const run = await deepgramSession(
      client,
      {
        model: 'nova-3',
        ...LINEAR16_16K.deepgram,
        interim_results: 'true',
        vad_events: 'true',
        utterance_end_ms: 1000,
        punctuate: 'true',
      },
      audio,
      LINEAR16_16K.bytesPerSecond,
      2,
    );
    captured.push(...run.messages);
    const types = run.messages.map((m) => m.type);
    const isFinal = (m: DeepgramMessage): boolean => m.type === 'Results' && m.is_final === true;
    const firstFinal = run.messages.findIndex(isFinal);
    expect(types[0]).toBe('SpeechStarted');
    expect(types.filter((type) => type === 'SpeechStarted')).toHaveLength(run.messages.filter(isFinal).length);
    expect(run.messages.slice(0, firstFinal).some((m) => m.type === 'Results' && m.is_final === false)).toBe(true);
    expect(types.slice(-2)).toEqual(['UtteranceEnd', 'Metadata']);
    const wer = corpusWer([{ reference: sample!.reference, hypothesis: deepgramFinals(run).join(' ') }]);
    console.log(
      `deepgram live with interim results: WER ${wer.toFixed(2)}%, ${types.filter((type) => type === 'Results').length} Results`,
    );
    expect(wer).toBeLessThanOrEqual(45);
    const warnings = (run.messages.at(-1)!.warnings as { parameter: string }[]).map((w) => w.parameter);
    expect(warnings.sort()).toEqual(['model', 'punctuate']);
  });

  it('a handshake refused (containerised audio, a wrong key): the SDK reports the HTTP status', async () => {
    for (const [what, sdk, args] of [
      ['no encoding', client, { model: 'nova-3' }],
      [
        'wrong key',
        new DeepgramClient({ apiKey: 'not-the-key', environment: deepgramEnvironment(t.url) }),
        { model: 'nova-3', ...LINEAR16_16K.deepgram },
      ],
    ] as const) {
      const socket = await sdk.listen.v1.connect({ reconnectAttempts: 0, ...args });
      const errors: string[] = [];
      socket.on('error', (error) => errors.push(error.message));
      const closed = new Promise<number>((resolve) => socket.on('close', (event) => resolve(event.code)));
      socket.connect();
      await closed;
      expect({ what, errors }).toEqual({
        what,
        errors: [expect.stringMatching(what === 'no encoding' ? /400/ : /401/) as string],
      });
    }
  });

  it('takes the key as Token or Bearer, or from a browser as the subprotocol pair; refuses none, a wrong one, one in the URL', async () => {
    const url = `${t.url.replace(/^http/, 'ws')}/v1/listen?encoding=linear16&sample_rate=16000`;
    const opened = async (protocols: string[], headers: Record<string, string>): Promise<string> => {
      const socket = new WebSocket(url, protocols, { headers });
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      const protocol = socket.protocol;
      socket.send(JSON.stringify({ type: 'CloseStream' }));
      await new Promise((resolve) => socket.once('close', resolve));
      return protocol;
    };
    expect(await opened([], { authorization: `Token ${KEY}` })).toBe('');
    expect(await opened([], { authorization: `Bearer ${KEY}` })).toBe('');
    expect(await opened(['token', KEY], {})).toBe('token');
    const refusals = {
      none: await refusedHandshake(url),
      'wrong key': await refusedHandshake(url, { authorization: `Token ${KEY}x` }),
      'key in the URL': await refusedHandshake(`${url}&api_key=${KEY}`),
    };
    for (const [what, refusal] of Object.entries(refusals)) {
      expect({ what, status: refusal.status }).toEqual({ what, status: 401 });
      expect(refusal.headers['dg-error']).toBe(refusal.body);
    }
  });

  it('every message captured validates against docs/asyncapi-deepgram.yaml and has each field the SDK marks required', () => {
    const types = new DeclaredTypes(
      join(
        dirname(require.resolve('@deepgram/sdk/package.json')),
        'dist/cjs/api/resources/listen/resources/v1/types/index.d.ts',
      ),
    );
    const kinds = new Set(captured.map((m) => m.type));
    expect([...kinds].sort()).toEqual(['Metadata', 'Results', 'SpeechStarted', 'UtteranceEnd']);
    for (const message of captured) {
      expect({ message, problem: validate(message) }).toEqual({ message, problem: undefined });
      expect({ message, problems: types.violations(message, SDK_TYPE[message.type]!) }).toEqual({
        message,
        problems: [],
      });
    }
    console.log(`deepgram live: ${captured.length} server messages checked (schema and SDK types)`);
    // The checks can fail: a Results without its metadata, or with a word time as text, is caught by both.
    const broken = structuredClone(captured.find((m) => m.type === 'Results' && m.is_final === true)!);
    delete broken.metadata;
    expect(validate(broken)).toBeDefined();
    expect(types.violations(broken, 'ListenV1Results')).toEqual(['ListenV1Results.metadata: required, missing']);
  });
});
