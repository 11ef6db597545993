/**
 * Bundles the functions of the route table with esbuild, with the options the CDK stack's
 * NodejsFunction uses (lib/function-defaults.ts), target included: the local stack runs on the
 * Node major package.json pins, the Lambda runtime's. What it serves is what gets deployed.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build, version as esbuildVersion, type BuildOptions } from 'esbuild';
import { ESBUILD_OPTIONS } from '../lib/function-defaults';
import type { FunctionDef } from '../lib/routes';

export const PROJECT_ROOT = path.resolve(__dirname, '..');
/** The emulated Lambda runtime (the worker entry), bundled alongside the functions. */
export const RUNTIME_ENTRY = 'local/lambda-runtime.ts';

export interface Bundles {
  /** Bundle file per function id. */
  functions: Map<string, string>;
  /** The worker entry. */
  runtime: string;
  ms: number;
  /** True when the bundles came from the cache (no input changed since they were built). */
  cached: boolean;
}

/** Where bundles are kept between starts, keyed by their inputs. */
export const DEFAULT_CACHE_DIR = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'lit-session-service', 'bundles');
const MANIFEST = 'manifest.json';

interface Manifest {
  key: string;
  inputs: string[];
  inputsDigest: string;
}

function digestOf(files: string[]): string | undefined {
  const h = createHash('sha256');
  for (const f of files) {
    try {
      // Size and mtime, not content: thousands of package files are read in milliseconds this way,
      // and any edit, checkout or install changes the mtime.
      const st = fs.statSync(path.resolve(PROJECT_ROOT, f));
      h.update(`${f}\0${st.size}\0${st.mtimeMs}\0`);
    } catch {
      return undefined; // an input is gone: rebuild
    }
  }
  return h.digest('hex');
}

/**
 * Builds the bundles into `outDir`, or reuses the ones there when no input file (every source
 * and package file esbuild read, per its metafile) changed since: a restart skips the build.
 */
export async function bundleFunctions(defs: readonly FunctionDef[], outDir: string = DEFAULT_CACHE_DIR): Promise<Bundles> {
  const started = Date.now();
  const entryPoints: Record<string, string> = { 'runtime/index': path.join(PROJECT_ROOT, RUNTIME_ENTRY) };
  for (const def of defs) entryPoints[`${def.id}/index`] = path.join(PROJECT_ROOT, def.entry);
  const result = (cached: boolean): Bundles => ({
    functions: new Map(defs.map((d) => [d.id, path.join(outDir, d.id, 'index.js')])),
    runtime: path.join(outDir, 'runtime', 'index.js'),
    ms: Date.now() - started,
    cached,
  });
  const options: BuildOptions = {
    ...ESBUILD_OPTIONS,
    entryPoints,
    logLevel: 'silent',
    absWorkingDir: PROJECT_ROOT,
  };
  const key = createHash('sha256')
    .update(JSON.stringify({ esbuildVersion, options, node: process.versions.node }))
    .digest('hex');
  const manifestPath = path.join(outDir, MANIFEST);
  try {
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as Manifest;
    const bundles = result(true);
    const present = [bundles.runtime, ...bundles.functions.values()].every((f) => fs.existsSync(f));
    if (present && manifest.key === key && digestOf(manifest.inputs) === manifest.inputsDigest) return bundles;
  } catch {
    // no cache yet, or unreadable: build
  }
  // Built aside and renamed into place, so concurrent starts (parallel tests) never read a half-written bundle.
  const scratch = `${outDir}.${process.pid}.${Date.now()}`;
  const built = await build({ ...options, outdir: scratch, metafile: true });
  const inputs = Object.keys(built.metafile?.inputs ?? {}).sort();
  const inputsDigest = digestOf(inputs);
  if (inputsDigest) fs.writeFileSync(path.join(scratch, MANIFEST), JSON.stringify({ key, inputs, inputsDigest } satisfies Manifest));
  fs.mkdirSync(path.dirname(outDir), { recursive: true });
  const old = `${outDir}.old.${process.pid}.${Date.now()}`;
  try {
    if (fs.existsSync(outDir)) fs.renameSync(outDir, old);
    fs.renameSync(scratch, outDir);
  } catch {
    // Another start put its build in place first: use ours from where it is.
    return {
      ...result(false),
      functions: new Map(defs.map((d) => [d.id, path.join(scratch, d.id, 'index.js')])),
      runtime: path.join(scratch, 'runtime', 'index.js'),
    };
  } finally {
    fs.rmSync(old, { recursive: true, force: true });
  }
  return result(false);
}
