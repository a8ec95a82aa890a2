import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';

/**
 * A validator for every server message, built from the message schemas of a document in docs/ (docs/asyncapi.yaml,
 * the native protocol, unless another framing's is named).
 */
export function serverMessageValidator(file = 'asyncapi.yaml'): (message: unknown) => string | undefined {
  const document = parse(readFileSync(join(__dirname, '..', '..', 'docs', file), 'utf8')) as object;
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    formats: {
      uuid: /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/,
      'date-time': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
    },
  });
  ajv.addSchema({ ...document, $id: file });
  const validate = ajv.getSchema(`${file}#/components/schemas/ServerMessage`);
  if (!validate) throw new Error(`docs/${file} has no components.schemas.ServerMessage`);
  return (message) => (validate(message) ? undefined : ajv.errorsText(validate.errors));
}
