/**
 * Defaults every function of the service shares, and the esbuild options its bundles are built
 * with, as plain values: the CDK construct (service-function.ts), the local stack's bundler and
 * Lambda host (local/) and the bundle benchmark (bench/) all read them here, so what runs locally
 * and what the benchmark measures is built as deployed. No CDK import: the local stack loads
 * this without the CDK's second of start-up.
 */
import type { BuildOptions } from 'esbuild';

/** The Node major the functions run on in Lambda, and the one tests and `npm start` run on (package.json pins `node`). */
export const NODE_MAJOR = 24;

export const FUNCTION_DEFAULTS = {
  /** Lambda runtime id; nodejs24.x is supported to 2028-04-30 (nodejs22.x is deprecated 2027-04-30). */
  runtime: `nodejs${NODE_MAJOR}.x`,
  architecture: 'arm64',
  /** API Gateway's integration limit is 30 s; leave one second for the gateway. */
  timeoutSeconds: 29,
  /** The Lit SDK's crypto is CPU-bound and Lambda CPU scales with memory. */
  memoryMb: 1024,
} as const;

/**
 * How a function's bundle is built (NodejsFunction passes the same to esbuild): CommonJS,
 * minified, source maps without sources (NODE_OPTIONS=--enable-source-maps reads them), every
 * dependency bundled at the version the lock file pins, the AWS SDK included: the runtime's own
 * copy changes under us.
 */
export const ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: `node${NODE_MAJOR}`,
  minify: true,
  sourcemap: true,
  sourcesContent: false,
} as const satisfies BuildOptions;

/** A function's timeout and memory: its route-table entry's own, else the defaults. */
export function functionLimits(def: { timeoutSeconds?: number; memoryMb?: number }): { timeoutSeconds: number; memoryMb: number } {
  return { timeoutSeconds: def.timeoutSeconds ?? FUNCTION_DEFAULTS.timeoutSeconds, memoryMb: def.memoryMb ?? FUNCTION_DEFAULTS.memoryMb };
}
