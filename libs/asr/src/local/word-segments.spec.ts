import type { TranscriptWord } from '../transcript';
import { wordsToSegments } from './word-segments';

const word = (text: string, start: number, end: number): TranscriptWord => ({ word: text, start, end });

/** The segments as `text [start–end]`, enough to see where they were cut. */
const cuts = (words: TranscriptWord[]): string[] =>
  wordsToSegments(words).map((s) => `${s.text} [${s.start}-${s.end}]`);

describe('wordsToSegments', () => {
  it.each<[string, TranscriptWord[], string[]]>([
    ['no words: no segments', [], []],
    ['words close together: one segment', [word('a', 0, 0.3), word('b', 0.4, 0.8)], ['a b [0-0.8]']],
    ['a pause just under 0.6 s: still one', [word('a', 0, 0.3), word('b', 0.89, 1.2)], ['a b [0-1.2]']],
    ['a pause of 0.6 s: a new segment', [word('a', 0, 0.3), word('b', 0.9, 1.2)], ['a [0-0.3]', 'b [0.9-1.2]']],
    [
      'talk without pauses: cut before a word would end past 15 s',
      [word('a', 0, 7), word('b', 7.1, 14.9), word('c', 15, 15.2), word('d', 15.3, 15.5)],
      ['a b [0-14.9]', 'c d [15-15.5]'],
    ],
  ])('%s', (_case, words, expected) => expect(cuts(words)).toEqual(expected));

  it('keeps every word, in order, in the segment it belongs to', () => {
    const words = [word('one', 0, 0.2), word('two', 1, 1.2), word('three', 1.3, 1.5)];
    const segments = wordsToSegments(words);
    expect(segments.map((s) => s.words)).toEqual([[words[0]], [words[1], words[2]]]);
  });
});
