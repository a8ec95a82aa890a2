import fc from 'fast-check';

/** Where a hostile text may open its nesting: arrays, objects, and objects in arrays. */
export const NESTING_OPENERS = ['[', '{"type":', '{"a":', '[{"type":'] as const;

export interface HostileJsonOptions {
  /** Every text nests at least this deep (a parser's depth limit: all of them are refused). */
  minDepth: number;
  /** Messages with `@` where the nesting goes, so it is tried at the places a parser reads. */
  sites: readonly string[];
  openers?: readonly string[];
}

/**
 * What an attacker sends a JSON parser: nesting from `minDepth` up to 100,000 levels at one of `sites`, closed or
 * left open, padded with spaces, up to 1 MB.
 */
export function hostileJson({ minDepth, sites, openers = NESTING_OPENERS }: HostileJsonOptions): fc.Arbitrary<string> {
  return fc
    .record({
      depth: fc.integer({ min: minDepth, max: 100_000 }),
      open: fc.constantFrom(...openers),
      at: fc.constantFrom(...sites),
      padding: fc.integer({ min: 0, max: 900_000 }),
      closed: fc.boolean(),
    })
    .map(({ depth, open, at, padding, closed }) => {
      const close = open === '[' ? ']' : open === '[{"type":' ? '0}]' : '0}';
      const nested = `${open.repeat(depth)}${closed ? close.repeat(depth) : ''}`;
      return `${at.replace('@', nested)}${' '.repeat(padding)}`.slice(0, 1_000_000);
    });
}
