import fc from 'fast-check';
import { CLIENT_MESSAGE_TYPES, parseClientMessage } from './protocol';

/** Cases per property (issue 9 asks for at least 10,000 per fuzzed target). */
const RUNS = 10_000;

describe('parseClientMessage (property-based)', () => {
  it('answers any text with a message or a reason, never a throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json({ maxDepth: 3 }), fc.string({ unit: 'binary' })), (text) => {
        const result = parseClientMessage(text);
        if (result.ok) expect(CLIENT_MESSAGE_TYPES).toContain(result.message.type);
        else expect(result.reason.length).toBeGreaterThan(10);
      }),
      { numRuns: RUNS },
    );
  });

  it('round-trips every well-formed message, whatever else it carries', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CLIENT_MESSAGE_TYPES),
        fc.dictionary(
          fc.string().filter((k) => k !== 'type' && k !== '__proto__'),
          fc.jsonValue(),
        ),
        (type, extra) => {
          const message = { ...extra, type };
          const result = parseClientMessage(JSON.stringify(message));
          expect(result).toEqual({ ok: true, message: JSON.parse(JSON.stringify(message)) as unknown });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('refuses JSON that is not an object with a known type, saying what was expected', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
          fc.record({ type: fc.string().filter((t) => !CLIENT_MESSAGE_TYPES.includes(t)) }),
          fc.record({ type: fc.oneof(fc.integer(), fc.boolean(), fc.constant(null)) }),
        ),
        (value) => {
          const result = parseClientMessage(JSON.stringify(value));
          expect(result.ok).toBe(false);
          if (!result.ok) expect(result.reason).toMatch(/"type"|expected one of/);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
