import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { preProcessFile } from 'typescript';

export const REPO_ROOT = join(__dirname, '..', '..', '..');

const LIB_ALIAS = /^@asr\/([a-z][a-z0-9-]*)$/;

/** Reads a JSON file of the repository (tsconfig.json stays plain JSON: jest.config.js reads it the same way). */
export function readRepoJson<T>(path: string): T {
  return JSON.parse(readFileSync(join(REPO_ROOT, path), 'utf8')) as T;
}

/** The libs as tsconfig.json's paths declare them: name → target (`./libs/<name>/src`). */
export function declaredLibs(): Map<string, string> {
  const { compilerOptions } = readRepoJson<{ compilerOptions: { paths: Record<string, string[]> } }>('tsconfig.json');
  const libs = new Map<string, string>();
  for (const [alias, targets] of Object.entries(compilerOptions.paths)) {
    const name = LIB_ALIAS.exec(alias)?.[1];
    if (name === undefined) throw new Error(`tsconfig.json path "${alias}" is not of the form @asr/<name>`);
    libs.set(name, targets.join(','));
  }
  return libs;
}

/** Every TypeScript file under `dir` (repository-relative, `/`-separated), specs included. */
export function typeScriptFiles(dir: string): string[] {
  const absolute = join(REPO_ROOT, dir);
  if (!existsSync(absolute)) return [];
  return readdirSync(absolute, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'))
    .map((path) => relative(REPO_ROOT, join(absolute, path)).split(sep).join('/'));
}

export interface SourceImport {
  /** The importing file, repository-relative. */
  file: string;
  /** What it imports, as written: a package, an `@asr/` alias or a relative path. */
  specifier: string;
}

/** Static imports, re-exports, `import()` and `require()` of each file, as TypeScript itself finds them. */
export function importsOf(files: readonly string[]): SourceImport[] {
  return files.flatMap((file) =>
    preProcessFile(readFileSync(join(REPO_ROOT, file), 'utf8'), true, true).importedFiles.map(({ fileName }) => ({
      file,
      specifier: fileName,
    })),
  );
}
