import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { LIB_LAYERS } from './lib-layers';
import { declaredLibs, readRepoJson, REPO_ROOT } from './lib-sources';

interface NestProject {
  type: string;
  root: string;
  entryFile: string;
  sourceRoot: string;
}

/**
 * A lib is declared once, in tsconfig.json's paths (`nest build` rewrites `@asr/<name>` in dist/ from them, and
 * jest.config.js derives its mapper from them). Every other place that names the libs is held to that list here.
 */
describe('the libs declared in tsconfig.json', () => {
  const libs = declaredLibs();
  const names = [...libs.keys()].sort();

  it('are every folder in libs/, each aliased to its src/ with an index.ts', () => {
    expect(readdirSync(join(REPO_ROOT, 'libs')).sort()).toEqual(names);
    for (const [name, target] of libs) {
      expect(target).toBe(`./libs/${name}/src`);
      expect(existsSync(join(REPO_ROOT, 'libs', name, 'src', 'index.ts'))).toBe(true);
    }
  });

  it('are the library projects of nest-cli.json, no more and no fewer', () => {
    const { projects } = readRepoJson<{ projects: Record<string, NestProject> }>('nest-cli.json');
    const libraries = Object.entries(projects).filter(([, project]) => project.type === 'library');
    expect(Object.fromEntries(libraries)).toEqual(
      Object.fromEntries(
        names.map((name) => [
          name,
          { type: 'library', root: `libs/${name}`, entryFile: 'index', sourceRoot: `libs/${name}/src` },
        ]),
      ),
    );
  });

  it('each resolve in Jest to their sources through the index only', () => {
    const jestConfig = createRequire(__filename)(join(REPO_ROOT, 'jest.config.js')) as {
      projects: { moduleNameMapper: Record<string, string> }[];
    };
    for (const { moduleNameMapper } of jestConfig.projects) {
      const mapped = (specifier: string): string[] =>
        Object.entries(moduleNameMapper).flatMap(([pattern, target]) =>
          new RegExp(pattern).test(specifier) ? [target] : [],
        );
      for (const name of names) {
        expect(mapped(`@asr/${name}`)).toEqual([`<rootDir>/libs/${name}/src`]);
        expect(mapped(`@asr/${name}/internal`)).toEqual([]);
      }
    }
  });

  it('each stand in exactly one of ARCHITECTURE.md’s layers', () => {
    expect(LIB_LAYERS.flat().sort()).toEqual(names);
  });

  it('are each named in the README’s layout', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('\nLayout:');
    expect(start).toBeGreaterThan(0);
    const layout = readme.slice(start).split('\n## ')[0]!;
    expect(names.filter((name) => !layout.includes(`\`libs/${name}\``))).toEqual([]);
  });
});
