import fc from 'fast-check';
import { StablePrefix } from './stable-prefix';

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
        mayEmit: fc.boolean(),
      }),
      { maxLength: 15 },
    ),
    agreement: fc.integer({ min: 1, max: 4 }),
  })
  .map(({ final, steps, agreement }) => ({
    final: final.join(' '),
    agreement,
    hypotheses: steps.map(({ length, wrongAt, wrongWord, mayEmit }) => {
      const hypothesis = final.slice(0, length);
      if (wrongAt !== undefined && wrongAt < hypothesis.length) hypothesis[wrongAt] = wrongWord;
      return { text: hypothesis.join(' '), mayEmit };
    }),
  }));

describe('StablePrefix (property-based)', () => {
  it('only appends: the deltas always add up to its text, a word prefix of the last hypotheses', () => {
    fc.assert(
      fc.property(scene, ({ hypotheses, agreement }) => {
        const prefix = new StablePrefix(agreement);
        let sent = '';
        hypotheses.forEach(({ text, mayEmit }, i) => {
          const before = sent;
          const delta = prefix.partial(text, mayEmit);
          sent += delta;
          expect(sent.startsWith(before)).toBe(true);
          expect(sent).toBe(prefix.text);
          if (delta === '') return;
          expect(mayEmit).toBe(true);
          // What was added was in each of the last `agreement` hypotheses, word for word.
          for (const recent of hypotheses.slice(Math.max(0, i - agreement + 1), i + 1))
            expect(`${recent.text} `.startsWith(`${sent} `)).toBe(true);
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('concatenates exactly to the final whenever the final begins with what was sent', () => {
    fc.assert(
      fc.property(scene, ({ final, hypotheses, agreement }) => {
        const prefix = new StablePrefix(agreement);
        let sent = '';
        for (const { text, mayEmit } of hypotheses) sent += prefix.partial(text, mayEmit);
        const { rest, extends: extended } = prefix.final(final);
        const begins = sent === '' || final === sent || final.startsWith(`${sent} `);
        expect(extended).toBe(begins);
        if (extended) expect(sent + rest).toBe(final);
        else expect(rest).toBe('');
      }),
      { numRuns: RUNS },
    );
  });

  it('sends nothing live while it may not, and all of the final at the end', () => {
    fc.assert(
      fc.property(scene, ({ final, hypotheses, agreement }) => {
        const prefix = new StablePrefix(agreement);
        for (const { text } of hypotheses) expect(prefix.partial(text, false)).toBe('');
        expect(prefix.final(final)).toEqual({ rest: final, extends: true });
      }),
      { numRuns: RUNS },
    );
  });
});
