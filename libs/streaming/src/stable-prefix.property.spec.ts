import fc from 'fast-check';
import type { TranscriptWord } from '@asr/asr';
import { beginTextWith, beginWith, StablePrefix } from './stable-prefix';

const RUNS = 10_000;

/** Few words, so hypotheses collide and disagree the way an engine's do. */
const word = fc.constantFrom('the', 'a', 'cat', 'sat', 'on', 'mat', 'hat', 'that');
const words = fc.array(word, { minLength: 0, maxLength: 12 });

/**
 * A final and the hypotheses before it: growing prefixes of the final, each with a chance of a wrong word or a
 * wrong tail (what a live decoder revises), and sometimes not a prefix at all.
 */
const scene = fc
  .record({
    final: words,
    steps: fc.array(
      fc.record({
        length: fc.nat(14),
        wrongAt: fc.option(fc.nat(13), { nil: undefined }),
        wrongWord: word,
      }),
      { maxLength: 15 },
    ),
    agreement: fc.integer({ min: 1, max: 4 }),
  })
  .map(({ final, steps, agreement }) => ({
    final: final.join(' '),
    agreement,
    hypotheses: steps.map(({ length, wrongAt, wrongWord }) => {
      const hypothesis = final.slice(0, length);
      if (wrongAt !== undefined && wrongAt < hypothesis.length) hypothesis[wrongAt] = wrongWord;
      return { text: hypothesis.join(' ') };
    }),
  }));

/** A final's words with times that only move forward, as an engine's do. */
function timed(words: readonly string[]): TranscriptWord[] {
  return words.map((word, i) => ({ word, start: i * 0.5, end: i * 0.5 + 0.4, confidence: 0.9 }));
}

describe('StablePrefix (property-based)', () => {
  it('only grows, and what it holds was the beginning of each of the last `agreement` hypotheses', () => {
    fc.assert(
      fc.property(scene, ({ hypotheses, agreement }) => {
        const prefix = new StablePrefix(agreement);
        hypotheses.forEach(({ text }, i) => {
          const before = prefix.text;
          const grew = prefix.hypothesis(text);
          expect(prefix.text.startsWith(before)).toBe(true);
          expect(grew).toBe(prefix.text !== before);
          if (!grew) return;
          for (const recent of hypotheses.slice(Math.max(0, i - agreement + 1), i + 1))
            expect(`${recent.text} `.startsWith(`${prefix.text} `)).toBe(true);
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('the final is held to it: it begins with the stable words, keeps its own tail, and its times move forward', () => {
    fc.assert(
      fc.property(scene, ({ final, hypotheses, agreement }) => {
        const prefix = new StablePrefix(agreement);
        for (const { text } of hypotheses) prefix.hypothesis(text);
        const finalWords = final === '' ? [] : final.split(' ');
        const held = beginWith(prefix.words, timed(finalWords));
        const words = held.map((w) => w.word);
        expect(words.slice(0, prefix.words.length)).toEqual(prefix.words);
        const tail = words.slice(prefix.words.length);
        expect(finalWords.slice(finalWords.length - tail.length)).toEqual(tail);
        for (let i = 1; i < held.length; i += 1) expect(held[i]!.start).toBeGreaterThanOrEqual(held[i - 1]!.end);
        // A word the final did not say gets no confidence that was another word's.
        for (const w of held) if (w.confidence !== undefined) expect(finalWords).toContain(w.word);
        expect(beginTextWith(prefix.words, final)).toBe(words.join(' '));
      }),
      { numRuns: RUNS },
    );
  });

  it('leaves a final that already begins with the stable words as it is', () => {
    fc.assert(
      fc.property(words, words, (stable, rest) => {
        const final = timed([...stable, ...rest]);
        expect(beginWith(stable, final)).toEqual(final);
      }),
      { numRuns: RUNS },
    );
  });
});
