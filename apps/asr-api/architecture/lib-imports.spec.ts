import { checkImports, libCycles } from './lib-layers';
import { declaredLibs, importsOf, typeScriptFiles } from './lib-sources';

describe('imports of libs/ and apps/ (specs included)', () => {
  const libs = new Set(declaredLibs().keys());
  const { violations, edges } = checkImports(importsOf([...typeScriptFiles('libs'), ...typeScriptFiles('apps')]), libs);

  it('are read: the lib graph has the edges the code is known to have', () => {
    expect([...(edges.get('streaming') ?? [])]).toEqual(expect.arrayContaining(['asr', 'auth', 'cluster', 'vad']));
    expect(edges.has('config')).toBe(false);
  });

  it('point down the layers only, each through the other lib’s @asr/<name> index', () => {
    expect(violations).toEqual([]);
  });

  it('form no cycle between libs', () => {
    expect(libCycles(edges)).toEqual([]);
  });
});

describe('checkImports', () => {
  const libs = new Set(['config', 'audio', 'vad', 'asr', 'streaming']);

  it('refuses upward, same-layer, past-the-index, cross-lib relative and app imports, and test/ outside specs', () => {
    const { violations } = checkImports(
      [
        { file: 'libs/audio/src/a.ts', specifier: '@asr/vad' },
        { file: 'libs/vad/src/a.ts', specifier: '@asr/asr' },
        { file: 'libs/streaming/src/a.ts', specifier: '@asr/vad/segmenter' },
        { file: 'libs/streaming/src/a.ts', specifier: '../../vad/src/segmenter' },
        { file: 'libs/streaming/src/a.ts', specifier: '../../../apps/asr-api/src/app.module' },
        { file: 'libs/streaming/src/a.ts', specifier: '../../../test/support/fake' },
        { file: 'libs/streaming/src/a.ts', specifier: '@asr/streaming' },
        { file: 'libs/streaming/src/a.ts', specifier: '@asr/nowhere' },
        { file: 'apps/asr-api/src/a.ts', specifier: '../../../libs/vad/src/segmenter' },
      ],
      libs,
    );
    expect(violations).toEqual([
      'libs/audio/src/a.ts: "@asr/vad": vad is above audio',
      'libs/vad/src/a.ts: "@asr/asr": vad and asr share a layer',
      'libs/streaming/src/a.ts: "@asr/vad/segmenter" reaches past the index of @asr/vad',
      'libs/streaming/src/a.ts: "../../vad/src/segmenter" reaches into libs/vad; import @asr/vad',
      'libs/streaming/src/a.ts: "../../../apps/asr-api/src/app.module" imports an app',
      'libs/streaming/src/a.ts: "../../../test/support/fake" leaves libs/ and apps/',
      'libs/streaming/src/a.ts: "@asr/streaming" imports its own lib\'s index',
      'libs/streaming/src/a.ts: "@asr/nowhere" names no lib declared in tsconfig.json',
      'apps/asr-api/src/a.ts: "../../../libs/vad/src/segmenter" reaches into libs/vad; import @asr/vad',
    ]);
  });

  it('allows downward imports, a lib’s own files, packages, apps over any lib, and test/ from specs', () => {
    const { violations, edges } = checkImports(
      [
        { file: 'libs/streaming/src/a.ts', specifier: '@asr/vad' },
        { file: 'libs/streaming/src/a.ts', specifier: './b' },
        { file: 'libs/streaming/src/deep/a.ts', specifier: '../b' },
        { file: 'libs/streaming/src/a.ts', specifier: 'node:fs' },
        { file: 'libs/streaming/src/a.spec.ts', specifier: '../../../test/support/fake' },
        { file: 'apps/asr-api/src/a.ts', specifier: '@asr/streaming' },
        { file: 'apps/asr-api/src/cli/a.ts', specifier: '../app.module' },
      ],
      libs,
    );
    expect(violations).toEqual([]);
    expect(edges).toEqual(new Map([['streaming', new Set(['vad'])]]));
  });
});

describe('libCycles', () => {
  it('finds a cycle, and none in a graph without one', () => {
    const edge = (pairs: [string, string[]][]) => new Map(pairs.map(([lib, to]) => [lib, new Set(to)]));
    expect(
      libCycles(
        edge([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b', 'c', 'a']]);
    expect(
      libCycles(
        edge([
          ['a', ['b', 'c']],
          ['b', ['c']],
          ['c', []],
        ]),
      ),
    ).toEqual([]);
  });
});
