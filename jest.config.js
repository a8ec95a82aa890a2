const { readFileSync } = require('node:fs');
const { join } = require('node:path');

// Nest 12 ships ESM only: @swc/jest transforms every file (ours and node_modules) to CommonJS so Jest can load it.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      keepClassNames: true,
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];
// The libs are declared once, in tsconfig.json's paths (kept plain JSON so it reads without loading TypeScript).
const { paths } = JSON.parse(readFileSync(join(__dirname, 'tsconfig.json'), 'utf8')).compilerOptions;
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const moduleNameMapper = {
  // Lazy imports name the built file (./x.js); in tests the source is ./x.ts.
  '^(\\.{1,2}/.*)\\.js$': '$1',
  ...Object.fromEntries(
    Object.entries(paths).map(([alias, [target]]) => [
      `^${escapeRegExp(alias)}$`,
      `<rootDir>/${target.replace(/^\.\//, '')}`,
    ]),
  ),
};
const common = {
  rootDir: __dirname,
  transform: { '^.+\\.(t|j|mj)s$': swc },
  // axe-core is a UMD script that needs its top-level `this`; it, playwright-core and typescript (9 MB, read by the
  // architecture tests) are CommonJS already.
  transformIgnorePatterns: ['/node_modules/(axe-core|playwright-core|typescript)/'],
  moduleNameMapper,
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  testEnvironment: '<rootDir>/test/jest-environment.cjs',
};
/** @type {import('jest').Config} */
module.exports = {
  projects: [
    // The inner loop (`npm run test:unit`): fast, fakes where the real part would be slow.
    {
      ...common,
      displayName: 'unit',
      // Excluded here, not by testPathIgnorePatterns, which a command line's own patterns replace.
      testMatch: ['<rootDir>/{libs,apps}/**/!(*.property).spec.ts'],
    },
    // Thousands of generated inputs a suite: seconds each, so out of the inner loop (CI runs them).
    {
      ...common,
      displayName: 'property',
      testMatch: ['<rootDir>/libs/**/*.property.spec.ts', '<rootDir>/apps/**/*.property.spec.ts'],
    },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
  // End-to-end tests start real servers and engines; 30 s each unless a file says otherwise.
  testTimeout: 30_000,
  // With --coverage: every source file of the libs and the app, tested or not (specs are not sources).
  collectCoverageFrom: ['<rootDir>/libs/*/src/**/*.ts', '<rootDir>/apps/*/src/**/*.ts', '!**/*.spec.ts'],
};
