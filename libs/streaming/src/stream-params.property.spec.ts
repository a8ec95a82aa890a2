import fc from 'fast-check';
import { parseStreamQuery } from './stream-params';

const RUNS = 10_000;
const LIMITS = { maxSpeechPadMs: 500, maxSegmentS: 30 };

describe('parseStreamQuery (property-based)', () => {
  it('answers any handshake query (brackets, repeats, up to 16 KiB: the URL limit) with settings or a reason', () => {
    const hostileQuery = fc
      .tuple(
        fc.constantFrom('sample_rate', 'language', 'channels', 'interim_results', 'vad_threshold', '__proto__', 'a'),
        fc.integer({ min: 0, max: 4000 }),
        fc.constantFrom('[b]', '[', '&language=en', '&sample_rate=16000', '%5B', '&__proto__=1'),
        fc.string({ maxLength: 40 }),
      )
      .map(([key, repeats, piece, value]) =>
        `${key}${piece.repeat(repeats)}=${encodeURIComponent(value)}`.slice(0, 16_384),
      );
    fc.assert(
      fc.property(fc.oneof(hostileQuery, fc.string({ maxLength: 200 })), (query) => {
        const result = parseStreamQuery(new URLSearchParams(query), LIMITS);
        if (!result.ok) expect(result.reason.length).toBeGreaterThan(5);
        else expect(result.value.format.sampleRate).toBeGreaterThanOrEqual(8000);
      }),
      { numRuns: RUNS },
    );
  });
});
