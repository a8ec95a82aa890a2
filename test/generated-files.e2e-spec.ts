import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderEnvExample } from '@asr/config';
import { readmeWithConfigTable } from '../apps/asr-api/src/cli/config-docs-command';
import { renderOpenApi } from '../apps/asr-api/src/cli/openapi-command';
import { validate } from './support/openapi-validator';
import { REPO_ROOT } from './support/processes';

const read = (file: string): string => readFileSync(join(REPO_ROOT, file), 'utf8');
const REGENERATE = 'stale: run `npm run build && npm run openapi:write && npm run docs:config` and commit';

describe('committed generated files', () => {
  it(`openapi.json matches the app (${REGENERATE})`, async () => {
    const current = await renderOpenApi();
    expect(read('openapi.json')).toBe(current);
    await expect(validate(JSON.parse(current))).resolves.toEqual({ valid: true, errors: [] });
  });

  it(`the README configuration table matches the schema (${REGENERATE})`, () => {
    const readme = read('README.md');
    expect(readme).toBe(readmeWithConfigTable(readme));
  });

  it(`.env.example documents every variable (${REGENERATE})`, () => {
    expect(read('.env.example')).toBe(renderEnvExample());
  });
});
