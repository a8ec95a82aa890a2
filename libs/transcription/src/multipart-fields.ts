import { ApiError, describeClientValue } from '@asr/observability';

/** `language`, `timestamp_granularities[]` → `timestamp_granularities`; names of Object's own members are refused. */
export function fieldName(raw: string): string {
  const name = raw.replace(/\[\]$/, '');
  // `fields` is a plain object: `__proto__[]` or `constructor[]` would reach its prototype.
  if (name in Object.prototype)
    throw new ApiError(400, 'invalid_field', `${describeClientValue(raw)} is not a field name this API takes`);
  return name;
}

/**
 * A field's text. @fastify/multipart parses a part sent as application/json (within its 64 KiB field limit):
 * scalars and flat lists read as before (`String`), anything nested is refused rather than flattened by a
 * recursive `String` (an array nested 30,000 levels overflowed the stack there).
 */
export function fieldText(name: string, value: unknown): string {
  const scalar = (v: unknown): v is string | number | boolean | null =>
    v === null || ['string', 'number', 'boolean'].includes(typeof v);
  if (scalar(value)) return String(value);
  if (Array.isArray(value) && value.every(scalar)) return value.join(',');
  throw new ApiError(400, 'invalid_field', `the field ${describeClientValue(name)} must be text, not nested JSON`);
}
