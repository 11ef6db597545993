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
  testTimeout: 60_000,
  // Real parts (DynamoDB Local, the devnet, esbuild) are slow to start; run files in two workers.
  maxWorkers: 2,
};
