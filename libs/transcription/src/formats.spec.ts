import type { Transcript } from '@asr/asr';
import { timestamp, toSrt, toText, toVerboseJson, toVtt } from './formats';

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
