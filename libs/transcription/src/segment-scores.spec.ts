import { compressionRatio, meanLogConfidence, seekOf, wordLogprobs } from './segment-scores';

describe('segment scores', () => {
  // CPython 3.11's `len(b) / len(zlib.compress(b))` (zlib 1.2.13) of the same texts, as Whisper computes it. Other
  // texts can come out a few bytes apart: zlib builds find different matches (see compressionRatio).
  it.each([
    ['thank you thank you thank you thank you thank you thank you', 59 / 21],
    ['la la la la la la la la la la la la la la la la la la la la', 59 / 14],
    ['héllo wörld, ünïcödé', 26 / 35],
    ['a', 1 / 9],
  ])('compression ratio of %j is what Whisper computes', (text, expected) => {
    expect(compressionRatio(text)).toBeCloseTo(expected, 4);
  });

  it('takes a repetition loop for one (above Whisper’s 2.4) and ordinary speech for none', () => {
    expect(compressionRatio('thank you '.repeat(20))).toBeGreaterThan(2.4);
    expect(compressionRatio('she sells sea shells by the sea shore')).toBeLessThan(2.4);
  });

  it('averages the natural log of the word confidences, a confidence rounded to 0 counting as 0.0005', () => {
    const words = [
      { word: 'a', start: 0, end: 1, confidence: 0.5 },
      { word: 'b', start: 1, end: 2, confidence: 1 },
      { word: 'c', start: 2, end: 3 },
      { word: 'd', start: 3, end: 4, confidence: 0 },
    ];
    expect(meanLogConfidence(words)).toBeCloseTo((Math.log(0.5) + 0 + Math.log(0.0005)) / 3, 4);
    expect(meanLogConfidence([{ word: 'c', start: 2, end: 3 }])).toBeUndefined();
    expect(meanLogConfidence(undefined)).toBeUndefined();
  });

  it('gives one token per word, spaced so that the tokens joined are the text, with their UTF-8 bytes', () => {
    const words = [
      { word: 'naïve', start: 0, end: 1, confidence: 0.9 },
      { word: 'café', start: 1, end: 2, confidence: 0.25 },
    ];
    const first = wordLogprobs(words, true);
    expect(first.map((t) => t.token).join('')).toBe('naïve café');
    expect(first[1]).toEqual({
      token: ' café',
      logprob: Math.round(Math.log(0.25) * 1e4) / 1e4,
      bytes: [...Buffer.from(' café')],
    });
    expect(wordLogprobs(words, false)[0]!.token).toBe(' naïve');
  });

  it('seeks in Whisper’s 10 ms frames', () => {
    expect(seekOf(0)).toBe(0);
    expect(seekOf(12.345)).toBe(1235);
  });
});
