import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root, found from this file in both layouts: `apps/asr-api/src` (ts) and `dist/apps/asr-api/src` (js). */
export const PACKAGE_ROOT = ((): string => {
  for (const up of ['../../..', '../../../..']) {
    const candidate = join(__dirname, up);
    try {
      const pkg = JSON.parse(readFileSync(join(candidate, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'asr-api-service') return candidate;
    } catch {
      // not this level
    }
  }
  throw new Error(`asr-api-service package.json not found above ${__dirname}`);
})();

export const PACKAGE_VERSION = (
  JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;
