import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';

const DOCUMENT_ID = 'asyncapi.yaml';

/** A validator for every server message, built from the message schemas of docs/asyncapi.yaml. */
export function serverMessageValidator(): (message: unknown) => string | undefined {
  const document = parse(readFileSync(join(__dirname, '..', '..', 'docs', 'asyncapi.yaml'), 'utf8')) as object;
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    formats: { uuid: /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/ },
  });
  ajv.addSchema({ ...document, $id: DOCUMENT_ID });
  const validate = ajv.getSchema(`${DOCUMENT_ID}#/components/schemas/ServerMessage`);
  if (!validate) throw new Error('docs/asyncapi.yaml has no components.schemas.ServerMessage');
  return (message) => (validate(message) ? undefined : ajv.errorsText(validate.errors));
}
