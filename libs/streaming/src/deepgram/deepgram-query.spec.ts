import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { type DeepgramEngine, type DeepgramSettings, DEEPGRAM_LIVE_PARAMS, parseDeepgramQuery } from './deepgram-query';

const LOCAL: DeepgramEngine = { model: 'pocketsphinx-en-us', languages: ['en'], punctuates: false };
const WHISPER: DeepgramEngine = { model: 'whisper-1', languages: ['*'], punctuates: true };
const RAW = 'encoding=linear16&sample_rate=16000';

function settings(query: string, engine = LOCAL): DeepgramSettings {
  const parsed = parseDeepgramQuery(new URLSearchParams(query), engine);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

function refusal(query: string, engine = LOCAL): string {
  const parsed = parseDeepgramQuery(new URLSearchParams(query), engine);
  if (parsed.ok) throw new Error(`accepted: ${query}`);
  return parsed.reason;
}

const warned = (query: string, engine = LOCAL): string[] => settings(query, engine).warnings.map((w) => w.parameter);

describe('parseDeepgramQuery: the audio format', () => {
  it('maps the raw encodings onto the PCM decoder at the stated rate and channels', () => {
    expect(settings(RAW).stream.format).toEqual({ encoding: 'pcm_s16le', sampleRate: 16_000, channels: 1 });
    expect(settings('encoding=linear32&sample_rate=48000&channels=2').stream.format).toEqual({
      encoding: 'pcm_f32le',
      sampleRate: 48_000,
      channels: 2,
    });
    expect(settings('encoding=mulaw&sample_rate=8000').stream.format.encoding).toBe('pcm_mulaw');
    expect(settings('encoding=ALAW&sample_rate=8000').stream.format.encoding).toBe('pcm_alaw');
  });

  it('refuses containerised audio (no encoding), naming encoding and pointing at POST /v1/listen', () => {
    const reason = refusal('sample_rate=16000&model=nova-3');
    expect(reason).toMatch(/^encoding is required/);
    expect(reason).toContain('linear16, linear32, mulaw or alaw');
    expect(reason).toMatch(/WebM\/Opus.*POST \/v1\/listen/);
  });

  it("refuses Deepgram's compressed encodings and unknown ones, saying which are decoded", () => {
    expect(refusal('encoding=opus&sample_rate=48000')).toMatch(/encoding=opus is not decoded on the live endpoint/);
    expect(refusal('encoding=ogg-opus&sample_rate=48000')).toMatch(/POST the file to \/v1\/listen/);
    expect(refusal('encoding=pcm_s16le&sample_rate=16000')).toMatch(/encoding must be one of linear16/);
  });

  it('wants sample_rate with raw audio, a whole number in range, and 1 or 2 channels', () => {
    expect(refusal('encoding=linear16')).toMatch(/give its sample_rate/);
    expect(refusal('encoding=linear16&sample_rate=16k')).toMatch(/sample_rate must be a whole number/);
    expect(refusal('encoding=linear16&sample_rate=')).toMatch(/sample_rate must be a whole number/);
    expect(refusal('encoding=linear16&sample_rate=4000')).toMatch(/sample_rate must be from 8000 to 48000/);
    expect(refusal(`${RAW}&channels=3`)).toMatch(/channels must be from 1 to 2/);
    expect(refusal(`${RAW}&sample_rate=8000`)).toMatch(/give sample_rate once/);
  });
});

describe('parseDeepgramQuery: the session settings', () => {
  it("takes Deepgram's defaults: finals only, no VAD events, no UtteranceEnd, the server's endpointing", () => {
    expect(settings(RAW)).toEqual({
      stream: {
        format: { encoding: 'pcm_s16le', sampleRate: 16_000, channels: 1 },
        language: undefined,
        interimResults: false,
        vad: {},
      },
      vadEvents: false,
      utteranceEndS: undefined,
      endpointing: true,
      extra: {},
      warnings: [],
    });
  });

  it('takes interim_results, vad_events and utterance_end_ms', () => {
    const value = settings(`${RAW}&interim_results=true&vad_events=TRUE&utterance_end_ms=1500`);
    expect(value.stream.interimResults).toBe(true);
    expect(value.vadEvents).toBe(true);
    expect(value.utteranceEndS).toBe(1.5);
    expect(refusal(`${RAW}&interim_results=yes`)).toMatch(/interim_results must be true or false \(got "yes"\)/);
    expect(refusal(`${RAW}&utterance_end_ms=0`)).toMatch(/utterance_end_ms must be from 1 to 10000/);
  });

  it('maps endpointing onto the VAD: milliseconds of silence, false for none, true for the default', () => {
    expect(settings(`${RAW}&endpointing=300`)).toMatchObject({
      endpointing: true,
      stream: { vad: { minSilenceMs: 300 } },
    });
    expect(settings(`${RAW}&endpointing=false`)).toMatchObject({
      endpointing: false,
      stream: { vad: { minSilenceMs: Number.POSITIVE_INFINITY } },
    });
    expect(settings(`${RAW}&endpointing=true`)).toMatchObject({ endpointing: true, stream: { vad: {} } });
    expect(refusal(`${RAW}&endpointing=-5`)).toMatch(/endpointing must be from 0 to 10000/);
    expect(refusal(`${RAW}&endpointing=soon`)).toMatch(/endpointing must be a whole number/);
  });

  it("takes a BCP-47 language as the engine's code, and refuses one the engine does not transcribe", () => {
    expect(settings(`${RAW}&language=en-US`).stream.language).toBe('en');
    expect(settings(`${RAW}&language=multi`).stream.language).toBeUndefined();
    expect(settings(`${RAW}&language=pt-BR`, WHISPER).stream.language).toBe('pt');
    expect(refusal(`${RAW}&language=fr`)).toMatch(/language=fr is not one the pocketsphinx-en-us engine .*takes: en/);
    expect(refusal(`${RAW}&language=en%20US`)).toMatch(/language must be a BCP-47 tag/);
  });

  it('echoes extra key:value pairs, and refuses one without a key', () => {
    expect(settings(`${RAW}&extra=team:core&extra=run:7`).extra).toEqual({ team: 'core', run: '7' });
    expect(refusal(`${RAW}&extra=novalue`)).toMatch(/extra takes key:value pairs/);
  });
});

describe('parseDeepgramQuery: parameters the engine cannot honour', () => {
  it('accepts every parameter of the SDK’s connect() and lists what is not done in the warnings', () => {
    const query = [
      RAW,
      'model=nova-3',
      'version=2024-01-01',
      'diarize=true',
      'diarize_model=latest',
      'numerals=true',
      'profanity_filter=true',
      'dictation=true',
      'detect_entities=true',
      'filler_words=true',
      'multichannel=true',
      'keyterm=Snuffleupagus',
      'keywords=Twilio:2',
      'search=deepgram',
      'replace=monika:Monica',
      'redact=pci',
      'redact=ssn',
      'callback=https://example.com/hook',
      'callback_method=POST',
      'punctuate=true',
      'smart_format=true',
      'tag=team',
      'mip_opt_out=true',
      'no_delay=true',
    ].join('&');
    expect(warned(query).sort()).toEqual(
      [
        'callback',
        'detect_entities',
        'diarize',
        'diarize_model',
        'dictation',
        'filler_words',
        'keyterm',
        'keywords',
        'model',
        'multichannel',
        'numerals',
        'profanity_filter',
        'punctuate',
        'redact',
        'replace',
        'search',
        'smart_format',
        'version',
      ].sort(),
    );
    const [model] = settings(query).warnings.filter((w) => w.parameter === 'model');
    expect(model).toEqual({
      parameter: 'model',
      type: 'unsupported_model',
      message: 'this server transcribes with pocketsphinx-en-us; the model "nova-3" was not used',
    });
  });

  it('warns of nothing turned off, of formatting a punctuating engine does, nor of its own model', () => {
    expect(warned(`${RAW}&diarize=false&redact=false&punctuate=false&model=pocketsphinx-en-us&version=latest`)).toEqual(
      [],
    );
    expect(warned(`${RAW}&punctuate=true&smart_format=true&model=whisper-1`, WHISPER)).toEqual([]);
  });

  it('still checks the form of what it does not perform', () => {
    expect(refusal(`${RAW}&diarize=maybe`)).toMatch(/diarize must be true or false/);
    expect(refusal(`${RAW}&redact=everything`)).toMatch(/redact must be one of true, false, pci/);
    expect(refusal(`${RAW}&callback_method=PATCH&callback=https://example.com`)).toMatch(
      /callback_method must be one of/,
    );
    expect(refusal(`${RAW}&callback_method=POST`)).toMatch(/callback_method needs a callback URL/);
    expect(refusal(`${RAW}&model=`)).toMatch(/model must not be empty/);
    expect(refusal(`${RAW}&mip_opt_out=1`)).toMatch(/mip_opt_out must be true or false/);
  });

  it('refuses unknown parameters, naming a few of them, cut short', () => {
    expect(refusal(`${RAW}&puncuate=true`)).toMatch(/^unknown parameter "puncuate": \/v1\/listen takes/);
    const many = Array.from({ length: 7 }, (_, i) => `x${i}=1`).join('&');
    expect(refusal(`${RAW}&${many}`)).toMatch(/unknown parameters "x0", "x1", "x2", "x3", "x4" and 2 more/);
    expect(refusal(`${RAW}&${'y'.repeat(500)}=1`)).toContain(`"${'y'.repeat(40)}…"`);
    // The native protocol's names are not Deepgram's.
    expect(refusal(`${RAW}&min_silence_ms=300`)).toMatch(/unknown parameter "min_silence_ms"/);
  });

  it('knows exactly the query parameters of the SDK’s connect(), and the two Deepgram documents beside them', () => {
    const sdkRoot = dirname(require.resolve('@deepgram/sdk/package.json'));
    const declaration = readFileSync(
      join(sdkRoot, 'dist/cjs/api/resources/listen/resources/v1/client/Client.d.ts'),
      'utf8',
    );
    const connectArgs = /interface ConnectArgs \{([\s\S]*?)\n {4}\}/.exec(declaration)![1]!;
    // The API's parameters are typed from its schema (Deepgram.*); the rest configure the socket.
    const sdk = [...connectArgs.matchAll(/^\s*(\w+)\??: Deepgram\./gm)].map((m) => m[1]!);
    expect(sdk.length).toBeGreaterThan(20);
    expect([...DEEPGRAM_LIVE_PARAMS]).toEqual([...sdk, 'filler_words', 'no_delay'].sort());
  });

  it('documents every one of them in docs/asyncapi-deepgram.yaml, and no other', () => {
    const document = parse(readFileSync(join(__dirname, '../../../../docs/asyncapi-deepgram.yaml'), 'utf8')) as {
      channels: { listen: { bindings: { ws: { query: { properties: Record<string, unknown> } } } } };
    };
    const documented = Object.keys(document.channels.listen.bindings.ws.query.properties).sort();
    expect(documented).toEqual([...DEEPGRAM_LIVE_PARAMS]);
  });
});
