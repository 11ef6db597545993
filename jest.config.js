/**
 * One jest config for the whole repo. ts-jest transpiles only (isolatedModules): type-checking is
 * `npm run typecheck`'s job, which keeps the suite fast on a 2-core machine.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { isolatedModules: true, diagnostics: false }],
  },
  // @lit-protocol/constants require()s '@lit-protocol/contracts/prod/<net>.js', which is ESM; plain
  // Node 20.19+ loads it (require(esm)) but jest's module loader does not. The package ships the
  // same data as CommonJS next to it (.cjs), so point jest there.
  moduleNameMapper: {
    '^@lit-protocol/contracts/prod/(.*)\\.js$': '<rootDir>/node_modules/@lit-protocol/contracts/dist/prod/$1.cjs',
  },
  testTimeout: 60_000,
  // Real parts (DynamoDB Local, the devnet, esbuild) are slow to start; run files in two workers.
  maxWorkers: 2,
};
