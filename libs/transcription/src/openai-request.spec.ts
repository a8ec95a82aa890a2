import type { AsrCapabilities } from '@asr/asr';
import { ApiError } from '@asr/observability';
import { OpenAiTranscriptionFields, OpenAiTranslationFields } from './dto/openai-transcription.dto';
import { type ProviderView, transcriptionCall, translationCall } from './openai-request';
import { validateFields } from './request-fields';
import type { UploadFields } from './upload';

const CAPABILITIES: AsrCapabilities = {
  streamingPartials: false,
  wordTimestamps: true,
  languages: ['*'],
  honoredFields: [],
  ignoredFields: [],
  maxRequestBytes: null,
  maxChunkSeconds: 120,
  joinsSpeechSpans: true,
  parallelCalls: 1,
  translation: 'remote',
  diarization: 'any-model',
};

const LOCAL: ProviderView = {
  name: 'local',
  capabilities: { ...CAPABILITIES, translation: 'english-source', diarization: 'none' },
  model: 'pocketsphinx-en-us',
};
const OPENAI = (model: string): ProviderView => ({
  name: 'openai',
  capabilities: { ...CAPABILITIES, diarization: 'diarize-models' },
  model,
});
const COMPATIBLE: ProviderView = { name: 'openai-compatible', capabilities: CAPABILITIES, model: 'any' };

function transcription(fields: UploadFields, provider: ProviderView): ReturnType<typeof transcriptionCall> {
  return transcriptionCall(validateFields(OpenAiTranscriptionFields, fields, false), fields, provider);
}

function refusal(run: () => unknown): { status: number; code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return { status: error.getStatus(), code: error.code, message: error.message };
    throw error;
  }
  throw new Error('not refused');
}

describe('OpenAI transcription requests', () => {
  it('reads include[]=logprobs, the chunking strategy and the granularities into the pipeline’s request', () => {
    const call = transcription(
      {
        include: 'logprobs',
        'chunking_strategy[type]': 'server_vad',
        'chunking_strategy[silence_duration_ms]': '800',
        'chunking_strategy[prefix_padding_ms]': '200',
        'chunking_strategy[threshold]': '0.6',
        language: 'EN-us',
      },
      LOCAL,
    );
    expect(call).toMatchObject({ task: 'transcribe', format: 'json', stream: false });
    expect(call.request).toMatchObject({
      language: 'en',
      logprobs: true,
      wordTimestamps: false,
      vad: { threshold: 0.6, minSilenceMs: 800, speechPadMs: 200 },
    });
    expect(call.request).not.toHaveProperty('diarize');
    expect(transcription({ chunking_strategy: 'auto' }, LOCAL).request.vad).toEqual({});
  });

  it('refuses logprobs beside another format than json, as OpenAI does', () => {
    expect(
      refusal(() => transcription({ include: 'logprobs', response_format: 'verbose_json' }, COMPATIBLE)),
    ).toMatchObject({
      status: 400,
      code: 'validation_failed',
      message: expect.stringContaining('response_format=json only') as string,
    });
  });

  it.each([
    ['the embedded engine', LOCAL, /embedded engine cannot tell speakers apart/],
    ['OpenAI with a model that does not diarize', OPENAI('whisper-1'), /"whisper-1" does not label speakers/],
    [
      'Fireworks',
      { ...COMPATIBLE, name: 'fireworks', capabilities: { ...CAPABILITIES, diarization: 'none' } },
      /fireworks has no diarized_json/,
    ],
  ] as const)('refuses diarized_json on %s with a 400 that says what would work', (_case, provider, message) => {
    expect(refusal(() => transcription({ response_format: 'diarized_json' }, provider))).toMatchObject({
      status: 400,
      code: 'diarization_unsupported',
      message: expect.stringMatching(message) as string,
    });
    const speakers = { known_speaker_names: 'agent', known_speaker_references: 'data:audio/wav;base64,UklGRg==' };
    expect(refusal(() => transcription(speakers, provider)).code).toBe('diarization_unsupported');
  });

  it('passes diarization with the known speakers to a diarizing model, and to any model of a compatible server', () => {
    const fields = {
      response_format: 'diarized_json',
      known_speaker_names: ['agent', 'customer'],
      known_speaker_references: ['data:audio/wav;base64,AAAA', 'data:audio/mpeg;base64,BBBB'],
    };
    for (const provider of [OPENAI('gpt-4o-transcribe-diarize'), COMPATIBLE])
      expect(transcription(fields, provider).request.diarize).toEqual({
        knownSpeakers: { names: ['agent', 'customer'], references: fields.known_speaker_references },
      });
    expect(transcription({ response_format: 'diarized_json' }, COMPATIBLE).request.diarize).toEqual({});
  });

  it('refuses known speakers that do not pair up, and references that are not audio data URLs', () => {
    expect(
      refusal(() =>
        transcription(
          { known_speaker_names: ['a', 'b'], known_speaker_references: 'data:audio/wav;base64,AA' },
          COMPATIBLE,
        ),
      ).message,
    ).toMatch(/go in pairs: got 2 names and 1 references/);
    expect(
      refusal(() =>
        transcription({ known_speaker_names: 'a', known_speaker_references: 'https://x/a.wav' }, COMPATIBLE),
      ).message,
    ).toMatch(/must be a data URL of audio/);
    const five = Array.from({ length: 5 }, (_, i) => `s${i}`);
    expect(refusal(() => transcription({ known_speaker_names: five }, COMPATIBLE)).code).toBe('validation_failed');
  });

  it('refuses a bad chunking_strategy with a 400 that says what is expected', () => {
    expect(refusal(() => transcription({ chunking_strategy: 'sometimes' }, LOCAL)).message).toMatch(
      /chunking_strategy must be "auto" or a server_vad object/,
    );
    expect(refusal(() => transcription({ 'chunking_strategy[type]': 'semantic_vad' }, LOCAL)).message).toMatch(
      /"type" must be "server_vad"/,
    );
    expect(
      refusal(() => transcription({ chunking_strategy: 'auto', 'chunking_strategy[type]': 'server_vad' }, LOCAL))
        .message,
    ).toMatch(/not both/);
  });
});

describe('OpenAI translation requests', () => {
  const translation = (fields: UploadFields, provider: ProviderView): ReturnType<typeof translationCall> =>
    translationCall(validateFields(OpenAiTranslationFields, fields, false), provider);

  it('asks the pipeline to translate, in segments, never as a stream', () => {
    const call = translation({ response_format: 'verbose_json', prompt: 'Names: Ådne', stream: 'true' }, COMPATIBLE);
    expect(call).toMatchObject({ task: 'translate', format: 'verbose_json', stream: false });
    expect(call.request).toMatchObject({ task: 'translate', prompt: 'Names: Ådne', wordTimestamps: false });
  });

  it('takes English audio on the embedded engine and refuses any other language before decoding', () => {
    expect(translation({ language: 'en' }, LOCAL).request.language).toBe('en');
    expect(translation({}, LOCAL).request.language).toBeUndefined();
    expect(refusal(() => translation({ language: 'fr' }, LOCAL))).toMatchObject({
      status: 400,
      code: 'unsupported_language',
      message: expect.stringContaining('the embedded engine cannot translate') as string,
    });
    expect(translation({ language: 'fr' }, COMPATIBLE).request.language).toBe('fr');
  });

  it('refuses diarized_json, which translations do not have', () => {
    expect(refusal(() => translation({ response_format: 'diarized_json' }, COMPATIBLE)).code).toBe('validation_failed');
  });
});
