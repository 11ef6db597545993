// ESLint flat config: typescript-eslint's recommended rules (syntax only, not type-aware: a
// type-aware run costs a full tsc on a 2-core machine, and `npm run typecheck` already does that).
// Formatting is Prettier's job (`prettier --check` in `npm run lint`).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.local-stack/', 'devnet/contracts/artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...nodeGlobals() } },
    rules: {
      // `_`-prefixed names are deliberately unused (a required parameter position, a rest sibling).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    // Tests walk untyped JSON by shape (CloudFormation templates, response and log bodies): a wrong
    // guess fails the assertion that reads it, so `any` there hides nothing a type would catch.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // A Lit Action: the nodes run it with `Lit` and the request's jsParams (here `user`) as globals.
    files: ['local/lit-actions/*.js'],
    languageOptions: { sourceType: 'script', globals: { Lit: 'readonly', user: 'readonly' } },
  },
  {
    // CommonJS files (jest config, the devnet's sandbox worker): require() is how they load.
    files: ['**/*.cjs', 'jest.config.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

/** The Node globals the code uses, without a dependency on the `globals` package. */
function nodeGlobals() {
  const names = [
    'process',
    'Buffer',
    'console',
    'require',
    'module',
    '__dirname',
    '__filename',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'clearImmediate',
    'queueMicrotask',
    'structuredClone',
    'fetch',
    'URL',
    'URLSearchParams',
    'TextEncoder',
    'TextDecoder',
    'AbortController',
    'AbortSignal',
    'performance',
    'crypto',
    'WebAssembly',
    'exports',
    'globalThis',
  ];
  return Object.fromEntries(names.map((n) => [n, 'readonly']));
}
