import { Validator } from '@seriousme/openapi-schema-validator';

/** Validates a document against the official OpenAPI 3.x JSON schema. */
export async function validate(document: unknown): Promise<{ valid: boolean; errors: unknown[] }> {
  const result = await new Validator().validate(document as Parameters<Validator['validate']>[0]);
  return { valid: result.valid, errors: result.valid ? [] : [result.errors].flat() };
}
