import fc from 'fast-check';
import { ApiError } from '@asr/observability';
import { fieldName, fieldText } from './multipart-fields';

type Scalar = string | number | boolean | null;

const RUNS = 10_000;
const HOSTILE_RUNS = 300;

/** What @fastify/multipart hands over for a part sent as application/json: any JSON value, nested up to 100,000. */
const deepValue = fc
  .record({ depth: fc.integer({ min: 1, max: 100_000 }), asObject: fc.boolean() })
  .map(({ depth, asObject }) => {
    let value: unknown = 'x';
    for (let i = 0; i < depth; i += 1) value = asObject ? { a: value } : [value];
    return value;
  });

/** The field's text, or the 400 it is refused with: anything else (a RangeError, a TypeError) fails the property. */
function outcome(run: () => string): string | ApiError {
  try {
    return run();
  } catch (error) {
    if (error instanceof ApiError && error.getStatus() === 400 && error.code === 'invalid_field') return error;
    throw error;
  }
}

describe('multipart fields (property-based)', () => {
  it('reads scalars and flat lists as String did, and refuses nested values with 400 invalid_field', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), deepValue), (value) => {
        const result = outcome(() => fieldText('language', value));
        const flat =
          value === null ||
          typeof value !== 'object' ||
          (Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object'));
        // What the field read as before: `String` of a scalar or a flat list.
        if (flat) expect(result).toBe(String(value as Scalar | Scalar[]));
        else expect(result).toBeInstanceOf(ApiError);
      }),
      { numRuns: HOSTILE_RUNS * 10 },
    );
  });

  it('keeps ordinary field names, strips one [] and refuses names of Object.prototype members', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.constantFrom('__proto__[]', 'constructor[]', 'toString', 'language[]')),
        (raw) => {
          const result = outcome(() => fieldName(raw));
          const name = raw.replace(/\[\]$/, '');
          if (name in Object.prototype) expect(result).toBeInstanceOf(ApiError);
          else expect(result).toBe(name);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
