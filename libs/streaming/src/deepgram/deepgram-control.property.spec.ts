import fc from 'fast-check';
import { CONTROL_MESSAGE_BOUNDS } from '../protocol';
import { DEEPGRAM_CONTROL_TYPES, parseDeepgramControl } from './deepgram-control';
import { hostileJson } from '../../../../test/support/hostile-json';

/** Cases per property (issue 9 asks for at least 10,000 per fuzzed target). */
const RUNS = 10_000;
/** Hostile frames are up to 1 MB each: fewer of them keep the run to seconds. */
const HOSTILE_RUNS = 300;

/** What an attacker sends as a text frame: nesting up to 100,000 levels anywhere in a message, up to 1 MB. */
const hostileFrame = hostileJson({
  minDepth: CONTROL_MESSAGE_BOUNDS.maxDepth,
  sites: ['{"type":@}', '{"type":"Finalize","channel":@}', '@', '{"type":"KeepAlive","x":@}'],
});

describe('parseDeepgramControl (property-based)', () => {
  it('answers any text with a control message or a reason, never a throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json({ maxDepth: 3 }), fc.string({ unit: 'binary' })), (text) => {
        const result = parseDeepgramControl(text);
        if (result.ok) expect(DEEPGRAM_CONTROL_TYPES).toContain(result.type);
        else expect(result.reason.length).toBeGreaterThan(10);
      }),
      { numRuns: RUNS },
    );
  });

  it('answers hostile frames (100,000 levels deep, up to 1 MB) with a short reason, quickly, never a throw', () => {
    fc.assert(
      fc.property(hostileFrame, (text) => {
        const started = performance.now();
        const result = parseDeepgramControl(text);
        expect(performance.now() - started).toBeLessThan(250);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.reason.length).toBeLessThan(300);
      }),
      { numRuns: HOSTILE_RUNS },
    );
  });

  it('reads every well-formed control message, whatever else it carries within the bounds', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DEEPGRAM_CONTROL_TYPES),
        fc.dictionary(
          fc.string().filter((k) => k !== 'type' && k !== '__proto__'),
          // Within CONTROL_MESSAGE_BOUNDS (the message object is one level more).
          fc.jsonValue({ maxDepth: CONTROL_MESSAGE_BOUNDS.maxDepth - 2 }),
        ),
        (type, extra) => {
          expect(parseDeepgramControl(JSON.stringify({ ...extra, type }))).toEqual({ ok: true, type });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('refuses JSON that is not an object with one of the three types, saying what was expected', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
          fc.record({ type: fc.string().filter((t) => !(DEEPGRAM_CONTROL_TYPES as readonly string[]).includes(t)) }),
          fc.record({ type: fc.oneof(fc.integer(), fc.boolean(), fc.constant(null)) }),
        ),
        (value) => {
          const result = parseDeepgramControl(JSON.stringify(value));
          expect(result.ok).toBe(false);
          if (!result.ok) expect(result.reason).toMatch(/\{"type":"KeepAlive"\}/);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
