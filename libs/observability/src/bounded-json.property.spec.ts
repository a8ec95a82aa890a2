import fc from 'fast-check';
import { checkJsonBounds, describeClientValue, type JsonBounds, parseBoundedJson } from './bounded-json';

/** Cases per property on small inputs; hostile ones (up to 100,000 levels, up to 1 MB) are costlier and fewer. */
const RUNS = 10_000;
const HOSTILE_RUNS = 300;
const BOUNDS: JsonBounds = { maxDepth: 32, maxBytes: 1024 * 1024 };

/** The depth of a parsed value, without recursion (the values under test may be deep). */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Hostile text: nesting up to 100,000 levels in arrays, objects or strings, padded or cut, up to 1 MB. */
const hostileText = fc
  .record({
    depth: fc.integer({ min: 1, max: 100_000 }),
    kind: fc.constantFrom('arrays', 'objects', 'mixed', 'unclosed', 'in-a-string', 'escapes'),
    padding: fc.integer({ min: 0, max: 900_000 }),
    prefix: fc.constantFrom('', '{"type":', '{"type":"configure","language":', ' '),
  })
  .map(({ depth, kind, padding, prefix }) => {
    const body = {
      arrays: `${'['.repeat(depth)}${']'.repeat(depth)}`,
      objects: `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
      mixed: `${'[{"a":'.repeat(depth >> 1)}0${'}]'.repeat(depth >> 1)}`,
      unclosed: '['.repeat(depth),
      'in-a-string': `"${'['.repeat(depth)}"`,
      escapes: `"${'\\"['.repeat(depth)}"`,
    }[kind];
    const closing = prefix === '' || prefix === ' ' ? '' : '}';
    return `${prefix}${body}${closing}${' '.repeat(padding)}`.slice(0, 1_000_000);
  });

describe('parseBoundedJson (property-based)', () => {
  it('answers any small text with a value or a reason, never a throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json({ maxDepth: 5 }), fc.string({ unit: 'binary' })), (text) => {
        const result = parseBoundedJson(text, BOUNDS);
        if (!result.ok) expect(result.reason.length).toBeGreaterThan(10);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses hostile text (100,000 levels, 1 MB) with a reason, quickly, and never parses past the depth', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const started = performance.now();
        const result = parseBoundedJson(text, BOUNDS);
        expect(performance.now() - started).toBeLessThan(250);
        if (result.ok) expect(depthOf(result.value)).toBeLessThanOrEqual(BOUNDS.maxDepth);
        else expect(['json_too_deep', 'json_too_large', 'invalid_json']).toContain(result.code);
      }),
      { numRuns: HOSTILE_RUNS },
    );
  });

  it('is exact on valid JSON: within the bounds it is JSON.parse, past the depth it is json_too_deep', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), fc.integer({ min: 0, max: 12 }), (value, maxDepth) => {
        const text = JSON.stringify(value);
        const result = parseBoundedJson(text, { maxDepth, maxBytes: BOUNDS.maxBytes });
        if (depthOf(value) <= maxDepth) expect(result).toEqual({ ok: true, value: JSON.parse(text) as unknown });
        else expect(result).toMatchObject({ ok: false, code: 'json_too_deep' });
      }),
      { numRuns: RUNS },
    );
  });

  it('counts UTF-8 bytes, not characters, against maxBytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 50 }), (word) => {
        const text = JSON.stringify(word);
        const bytes = Buffer.byteLength(text);
        expect(parseBoundedJson(text, { maxDepth: 1, maxBytes: bytes }).ok).toBe(true);
        expect(parseBoundedJson(text, { maxDepth: 1, maxBytes: bytes - 1 })).toMatchObject({ code: 'json_too_large' });
      }),
      { numRuns: RUNS },
    );
  });

  it('judges a body the same as its UTF-8 bytes (what the HTTP parser sees) and as text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json({ maxDepth: 40 }),
          hostileText.map((t) => t.slice(0, 20_000)),
        ),
        (text) => {
          expect(checkJsonBounds(Buffer.from(text, 'utf8'), BOUNDS)).toEqual(checkJsonBounds(text, BOUNDS));
        },
      ),
      { numRuns: HOSTILE_RUNS },
    );
  });
});

describe('describeClientValue (property-based)', () => {
  it('describes any value in a few characters, however deep or long', () => {
    const deep = fc.integer({ min: 1, max: 100_000 }).map((depth) => {
      let value: unknown = [];
      for (let i = 0; i < depth; i += 1) value = [value];
      return value;
    });
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.string({ maxLength: 100_000 }), deep), (value) => {
        expect(describeClientValue(value).length).toBeLessThanOrEqual(250);
      }),
      { numRuns: HOSTILE_RUNS },
    );
  });
});
