import fc from 'fast-check';
import { ApiError } from '@asr/observability';
import { CHUNKING_STRATEGY_BOUNDS, parseChunkingStrategy, parseChunkingStrategyText } from './chunking-strategy';
import { hostileJson } from '../../../test/support/hostile-json';

/** Cases per property (issue 9 asks for at least 10,000 per fuzzed target). */
const RUNS = 10_000;
/** Hostile texts are up to 1 MB each: fewer of them keep the run to seconds. */
const HOSTILE_RUNS = 300;

/** What an attacker puts in the field: nesting up to 100,000 levels anywhere in the object, padded up to 1 MB. */
const hostileText = hostileJson({
  minDepth: CHUNKING_STRATEGY_BOUNDS.maxDepth,
  openers: ['[', '{"a":', '[{"type":'],
  sites: ['{"type":@}', '{"type":"server_vad","threshold":@}', '{"a":@}', '{"type":"server_vad","x":@}'],
});

/** The strategy, or the 400 it is refused with: anything else (a RangeError, a TypeError) fails the property. */
function outcome(run: () => unknown): unknown {
  try {
    return run();
  } catch (error) {
    if (error instanceof ApiError && error.getStatus() === 400 && error.code === 'validation_failed') return error;
    throw error;
  }
}

describe('chunking_strategy (property-based)', () => {
  it('answers any text with a strategy or a 400 that says what is expected, never a throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json({ maxDepth: 3 }), fc.string({ unit: 'binary' })), (text) => {
        const result = outcome(() => parseChunkingStrategyText(text));
        if (result instanceof ApiError) expect(result.message).toMatch(/chunking_strategy/);
        else expect(['auto', 'server_vad']).toContain((result as { type: string }).type);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses hostile texts (100,000 levels deep, up to 1 MB) with a short 400, quickly', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const started = performance.now();
        const result = outcome(() => parseChunkingStrategyText(text));
        expect(performance.now() - started).toBeLessThan(250);
        expect(result).toBeInstanceOf(ApiError);
        expect((result as ApiError).message.length).toBeLessThan(300);
      }),
      { numRuns: HOSTILE_RUNS },
    );
  });

  it('reads every valid server_vad object, as JSON text or as the bracketed fields the SDKs send', () => {
    const member = (min: number, max: number, integer: boolean): fc.Arbitrary<number | undefined> =>
      fc.option(integer ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true }), { nil: undefined });
    fc.assert(
      fc.property(
        member(0, 2000, true),
        member(0, 10_000, true),
        member(0, 1, false),
        (prefix_padding_ms, silence_duration_ms, threshold) => {
          const object = { type: 'server_vad', prefix_padding_ms, silence_duration_ms, threshold };
          const expected = {
            type: 'server_vad',
            ...(prefix_padding_ms === undefined ? {} : { prefixPaddingMs: prefix_padding_ms }),
            ...(silence_duration_ms === undefined ? {} : { silenceDurationMs: silence_duration_ms }),
            ...(threshold === undefined ? {} : { threshold }),
          };
          expect(parseChunkingStrategyText(JSON.stringify(object))).toEqual(expected);
          const fields = Object.fromEntries(
            Object.entries(object).flatMap(([key, value]) =>
              value === undefined ? [] : [[`chunking_strategy[${key}]`, String(value)]],
            ),
          );
          expect(parseChunkingStrategy(fields)).toEqual(expected);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('refuses members out of bounds, of the wrong kind, or unknown, naming the member', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({
            name: fc.constant('prefix_padding_ms'),
            value: fc.oneof(fc.integer({ min: 2001 }), fc.constant(1.5)),
          }),
          fc.record({ name: fc.constant('silence_duration_ms'), value: fc.integer({ max: -1 }) }),
          fc.record({
            name: fc.constant('threshold'),
            value: fc.oneof(fc.double({ min: 1.0001, noNaN: true }), fc.string()),
          }),
          fc.record({
            name: fc
              .string({ minLength: 1 })
              .filter((n) => !['type', 'prefix_padding_ms', 'silence_duration_ms', 'threshold'].includes(n)),
            value: fc.jsonValue({ maxDepth: 2 }),
          }),
        ),
        ({ name, value }) => {
          const result = outcome(() =>
            parseChunkingStrategyText(JSON.stringify({ type: 'server_vad', [name]: value })),
          );
          expect(result).toBeInstanceOf(ApiError);
          expect((result as ApiError).message).toMatch(/chunking_strategy/);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
