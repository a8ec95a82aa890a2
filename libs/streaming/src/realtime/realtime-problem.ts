/**
 * Why a client event is refused, as OpenAI's `error` object names it: `code` (invalid_json, invalid_type,
 * invalid_value, unknown_parameter, missing_required_parameter, …), the offending field as a dotted path from the
 * event (`session.audio.input.format.rate`), and a message that says what to send instead.
 */
export interface EventProblem {
  code: string;
  message: string;
  param?: string;
}

/** Thrown while an event is read, caught where it is parsed (never past the parser). */
export class EventProblemError extends Error {
  constructor(readonly problem: EventProblem) {
    super(problem.message);
  }
}

export function refuse(code: string, param: string | undefined, message: string): never {
  throw new EventProblemError({ code, message, ...(param !== undefined && { param }) });
}

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` as an object, or a refusal naming `param`. */
export function objectAt(value: unknown, param: string): JsonObject {
  if (!isObject(value)) refuse('invalid_type', param, `${param} must be an object`);
  return value;
}

/** Refuses any key of `value` not in `known`, naming the first few (they are the client's, so cut short). */
export function onlyKnown(value: JsonObject, known: readonly string[], param: string): void {
  const unknown = Object.keys(value).filter((key) => !known.includes(key));
  if (unknown.length === 0) return;
  const named = unknown
    .slice(0, 3)
    .map((key) => (key.length > 40 ? `${key.slice(0, 40)}…` : key))
    .join(', ');
  refuse(
    'unknown_parameter',
    `${param}.${unknown[0]!.slice(0, 40)}`,
    `unknown parameter${unknown.length > 1 ? 's' : ''} ${named} in ${param}; it takes ${known.join(', ')}`,
  );
}

export function stringAt(value: unknown, param: string, maxLength = 1024): string {
  if (typeof value !== 'string') refuse('invalid_type', param, `${param} must be a string`);
  if (value.length > maxLength) refuse('invalid_value', param, `${param} must be at most ${maxLength} characters`);
  return value;
}

export function numberAt(value: unknown, param: string, min: number, max: number, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) refuse('invalid_type', param, `${param} must be a number`);
  if (integer && !Number.isInteger(value)) refuse('invalid_type', param, `${param} must be an integer`);
  if (value < min || value > max) refuse('invalid_value', param, `${param} must be between ${min} and ${max}`);
  return value;
}

export function booleanAt(value: unknown, param: string): boolean {
  if (typeof value !== 'boolean') refuse('invalid_type', param, `${param} must be a boolean`);
  return value;
}

/** One of `allowed` (strings), or a refusal listing them. */
export function oneOf<const T extends string>(value: unknown, allowed: readonly T[], param: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
    refuse('invalid_value', param, `${param} must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
  return value as T;
}
