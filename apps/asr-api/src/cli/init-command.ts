import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PACKAGE_ROOT } from '../package-info';
import { configOrExit, EXIT_OK, loadCliConfig } from './cli-config';
import { checkSystemRequirements, SETUP_COMMAND } from './system-requirements';

/** `asr-api init`: .env from .env.example (only when absent), storage directories, and what the machine lacks. */
export function initCommand(cwd: string = process.cwd()): number {
  const envFile = join(cwd, '.env');
  if (existsSync(envFile)) {
    console.log('.env exists: left as it is');
  } else {
    copyFileSync(join(PACKAGE_ROOT, '.env.example'), envFile);
    console.log('.env written from .env.example: edit it to change settings');
  }

  const { config } = configOrExit(loadCliConfig());
  const directories = [config.storage.audioPath, config.storage.tempPath, config.storage.logPath];
  for (const directory of directories) {
    if (directory === undefined) continue;
    mkdirSync(directory, { recursive: true });
    console.log(`storage directory ready: ${relative(cwd, directory) || '.'}`);
  }

  const missing = checkSystemRequirements().filter((requirement) => !requirement.present);
  if (missing.length === 0) {
    console.log('system packages: all present');
  } else {
    for (const requirement of missing)
      console.log(`missing: ${requirement.name} (needed for ${requirement.neededFor})`);
    console.log(`install them with: ${SETUP_COMMAND}`);
  }
  return EXIT_OK;
}
