import type { Transcript } from '@asr/asr';
import { timestamp, toSrt, toText, toVerboseJson, toVtt, UNSCORED } from './formats';
import { toDiarizedJson, toOpenAiJson } from './openai-bodies';
import { compressionRatio } from './segment-scores';

const transcript: Transcript = {
  text: 'hello there general kenobi',
  language: 'en',
  duration: 3723.6,
  segments: [
    {
      id: 0,
      start: 0.31,
      end: 1.5,
      text: 'hello there',
      words: [
        { word: 'hello', start: 0.31, end: 0.8 },
        { word: 'there', start: 0.9, end: 1.5 },
      ],
    },
    { id: 1, start: 3722.5, end: 3723.5, text: 'general kenobi' },
  ],
};

describe('formats', () => {
  it('writes timestamps for srt and vtt', () => {
    expect(timestamp(3723.5, ',')).toBe('01:02:03,500');
    expect(timestamp(0.0004, '.')).toBe('00:00:00.000');
    expect(timestamp(59.9996, '.')).toBe('00:01:00.000');
  });

  it('srt: numbered cues', () => {
    expect(toSrt(transcript)).toBe(
      '1\n00:00:00,310 --> 00:00:01,500\nhello there\n\n2\n01:02:02,500 --> 01:02:03,500\ngeneral kenobi\n',
    );
  });

  it('vtt: a WEBVTT header and cues', () => {
    expect(toVtt(transcript)).toBe(
      'WEBVTT\n\n00:00:00.310 --> 00:00:01.500\nhello there\n\n01:02:02.500 --> 01:02:03.500\ngeneral kenobi\n',
    );
  });

  it('text: the text and a newline', () => {
    expect(toText(transcript)).toBe('hello there general kenobi\n');
  });

  it('verbose_json: the language by name; segments, words or both as asked', () => {
    const both = toVerboseJson(transcript, new Set(['word', 'segment']));
    expect(both).toMatchObject({ task: 'transcribe', language: 'english', duration: 3723.6 });
    expect(both.segments).toHaveLength(2);
    expect(both.words).toEqual([
      { word: 'hello', start: 0.31, end: 0.8 },
      { word: 'there', start: 0.9, end: 1.5 },
    ]);
    expect(toVerboseJson(transcript, new Set(['word']))).not.toHaveProperty('segments');
    expect(toVerboseJson(transcript, new Set())).not.toHaveProperty('words');
  });
});

describe('OpenAI’s JSON bodies', () => {
  const scored: Transcript = {
    ...transcript,
    segments: [
      { ...transcript.segments[0]!, avgLogprob: -0.42, noSpeechProb: 0.07, speaker: 'agent' },
      {
        ...transcript.segments[1]!,
        compressionRatio: 1.3,
        temperature: 0.2,
        tokens: [7, 8],
        avgLogprob: -0.1,
        noSpeechProb: 0.01,
      },
    ],
  };

  it('verbose_json: every TranscriptionSegment field, the provider’s own or computed, and usage by duration', () => {
    const body = toVerboseJson(scored, new Set(['segment']));
    expect(body.usage).toEqual({ type: 'duration', seconds: 3723.6 });
    expect(body.segments).toEqual([
      {
        id: 0,
        seek: 31,
        start: 0.31,
        end: 1.5,
        text: 'hello there',
        tokens: [],
        temperature: 0,
        avg_logprob: -0.42,
        compression_ratio: compressionRatio('hello there'),
        no_speech_prob: 0.07,
      },
      {
        id: 1,
        seek: 372250,
        start: 3722.5,
        end: 3723.5,
        text: 'general kenobi',
        tokens: [7, 8],
        temperature: 0.2,
        avg_logprob: -0.1,
        compression_ratio: 1.3,
        no_speech_prob: 0.01,
      },
    ]);
  });

  it('verbose_json of a translation: English, segments, no words', () => {
    const body = toVerboseJson({ ...scored, language: 'de' }, new Set(['word', 'segment']), 'translate');
    expect(body).toMatchObject({ task: 'translate', language: 'english' });
    expect(body.segments).toHaveLength(2);
    expect(body).not.toHaveProperty('words');
  });

  it('a segment nothing scored gets the values Whisper’s rules take no action on', () => {
    const [segment] = toVerboseJson(transcript, new Set(['segment'])).segments!;
    expect(segment).toMatchObject({ avg_logprob: UNSCORED.avgLogprob, no_speech_prob: UNSCORED.noSpeechProb });
  });

  it('json: the text, logprobs when asked, usage in tokens only where the provider reported them', () => {
    const logprobs = [{ token: 'hello', logprob: -0.1, bytes: [104] }];
    expect(toOpenAiJson(scored, {})).toEqual({ text: scored.text, usage: { type: 'duration', seconds: 3723.6 } });
    expect(
      toOpenAiJson(scored, {
        logprobs,
        tokenUsage: { inputTokens: 5, outputTokens: 2, totalTokens: 7, audioTokens: 5 },
      }),
    ).toEqual({
      text: scored.text,
      logprobs,
      usage: {
        type: 'tokens',
        input_tokens: 5,
        output_tokens: 2,
        total_tokens: 7,
        input_token_details: { audio_tokens: 5 },
      },
    });
  });

  it('diarized_json: segments with their speakers; an unlabelled one says so', () => {
    const body = toDiarizedJson(scored, undefined);
    expect(body).toMatchObject({
      task: 'transcribe',
      duration: 3723.6,
      text: scored.text,
      usage: { type: 'duration' },
    });
    expect(body.segments).toEqual([
      { type: 'transcript.text.segment', id: 'seg_0', start: 0.31, end: 1.5, text: 'hello there', speaker: 'agent' },
      {
        type: 'transcript.text.segment',
        id: 'seg_1',
        start: 3722.5,
        end: 3723.5,
        text: 'general kenobi',
        speaker: 'unknown',
      },
    ]);
  });
});
