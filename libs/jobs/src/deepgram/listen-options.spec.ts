import { ApiError } from '@asr/observability';
import { type EngineFacts, listenWarnings, parseListenQuery } from './listen-options';

const LOCAL: EngineFacts = { model: 'pocketsphinx-en-us', takesPrompt: false, punctuates: false };
const WHISPER: EngineFacts = { model: 'whisper-1', takesPrompt: true, punctuates: true };

function refusal(query: Record<string, unknown>): { status: number; code: string; message: string } {
  try {
    parseListenQuery(query);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { status: error.getStatus(), code: error.code, message: error.message };
  }
  throw new Error(`accepted ${JSON.stringify(query)}`);
}

describe('parseListenQuery', () => {
  it('reads what the SDK sends: booleans as text, repeated key terms, the callback', () => {
    const parsed = parseListenQuery({
      model: 'nova-3',
      language: 'en-US',
      punctuate: 'true',
      smart_format: 'false',
      utterances: 'true',
      paragraphs: 'TRUE',
      keyterm: ['asr', 'pocketsphinx'],
      keywords: 'vosk:2',
      tag: ['a', 'b'],
      extra: ['team:blue', 'url:https://x'],
      callback: 'https://example.com/hook',
      callback_method: 'POST',
    });
    expect(parsed).toEqual({
      model: 'nova-3',
      language: 'en-US',
      keyterms: ['asr', 'pocketsphinx', 'vosk:2'],
      callback: 'https://example.com/hook',
      unsupported: [],
      formatting: ['punctuate'],
      response: {
        utterances: true,
        paragraphs: true,
        detectLanguage: false,
        tags: ['a', 'b'],
        extra: { team: 'blue', url: 'https://x' },
      },
    });
  });

  it('lists the features asked for that no engine here performs, and only those turned on', () => {
    const parsed = parseListenQuery({
      diarize: 'true',
      sentiment: 'false',
      summarize: 'v2',
      search: 'hello',
      utt_split: '0.8',
      topics: 'true',
    });
    expect(parsed.unsupported).toEqual(['diarize', 'search', 'summarize', 'topics', 'utt_split']);
  });

  it('takes headerless audio with its encoding and sample rate', () => {
    expect(parseListenQuery({ encoding: 'mulaw', sample_rate: '8000' }).raw).toEqual({
      encoding: 'mulaw',
      sampleRate: 8000,
      channels: 1,
    });
    expect(parseListenQuery({ encoding: 'linear16', sample_rate: '16000', channels: '2' }).raw).toEqual({
      encoding: 'linear16',
      sampleRate: 16000,
      channels: 2,
    });
    // Containers say what they hold: the encoding is not needed to read them.
    expect(parseListenQuery({ encoding: 'flac' }).raw).toBeUndefined();
  });

  it.each([
    [{ bogus: '1' }, 'unknown_parameter', /"bogus"/],
    [{ punctuate: 'yes' }, 'invalid_parameter', /punctuate must be true or false \(got "yes"\)/],
    [{ punctuate: ['true', 'false'] }, 'invalid_parameter', /give punctuate once/],
    [{ encoding: 'linear16' }, 'invalid_parameter', /give its sample_rate/],
    [{ encoding: 'mp3' }, 'invalid_parameter', /encoding must be one of/],
    [{ sample_rate: '16000' }, 'invalid_parameter', /with encoding=linear16/],
    [{ encoding: 'linear16', sample_rate: '16k' }, 'invalid_parameter', /sample_rate must be a whole number/],
    [{ encoding: 'linear16', sample_rate: '10' }, 'invalid_parameter', /between 1000 and 192000/],
    [{ callback: 'https://x', callback_method: 'put' }, 'invalid_parameter', /PUT is not supported/],
    [{ callback_method: 'post' }, 'invalid_parameter', /needs a callback/],
    [{ extra: 'novalue' }, 'invalid_parameter', /key:value/],
    [{ custom_topic_mode: 'loose' }, 'invalid_parameter', /strict, extended/],
  ])('refuses %j with 400 %s', (query, code, message) => {
    const answer = refusal(query);
    expect(answer).toMatchObject({ status: 400, code });
    expect(answer.message).toMatch(message);
  });

  it('names every unknown parameter at once', () => {
    expect(refusal({ foo: '1', punctuate: 'true', bar: '2' }).message).toMatch(/parameters "foo", "bar"/);
  });
});

describe('listenWarnings', () => {
  it('warns of each unsupported feature, formatting the engine cannot do, unused key terms and another model', () => {
    const parsed = parseListenQuery({ diarize: 'true', punctuate: 'true', keyterm: 'asr', model: 'nova-3' });
    expect(listenWarnings(parsed, LOCAL)).toEqual([
      expect.objectContaining({ parameter: 'diarize', type: 'unsupported_feature' }),
      expect.objectContaining({
        parameter: 'punctuate',
        message: expect.stringContaining('without punctuation') as string,
      }),
      expect.objectContaining({ parameter: 'keyterm' }),
      expect.objectContaining({
        parameter: 'model',
        type: 'unsupported_model',
        message: expect.stringContaining('nova-3') as string,
      }),
    ]);
  });

  it('says nothing of what the engine does: punctuation and prompts on Whisper, its own model named', () => {
    const parsed = parseListenQuery({ punctuate: 'true', smart_format: 'true', keyterm: 'asr', model: 'whisper-1' });
    expect(listenWarnings(parsed, WHISPER)).toEqual([]);
    expect(listenWarnings(parseListenQuery({ utterances: 'true', paragraphs: 'true' }), LOCAL)).toEqual([]);
  });
});
