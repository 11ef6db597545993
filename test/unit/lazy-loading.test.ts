/**
 * /health and /delegation must never load the Lit SDK (its load is the cold-start cost), and the
 * issue handler must not load it at import time without a config. Checked in a fresh Node
 * process, where `require.cache` shows exactly what a Lambda cold start would load.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { build } from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { ESBUILD_OPTIONS } from '../../lib/function-defaults';
import { tracingEnabled } from '../../functions/commons/powertools';

const ROOT = path.resolve(__dirname, '../..');

function loadedAfterRequiring(files: string[]): { lit: number; ethers: number } {
  const script = `
    for (const f of ${JSON.stringify(files)}) require(f);
    const keys = Object.keys(require.cache);
    process.stdout.write(JSON.stringify({
      lit: keys.filter((k) => k.includes('@lit-protocol')).length,
      ethers: keys.filter((k) => k.includes('node_modules/ethers/')).length,
    }));`;
  const env = { ...process.env };
  delete env.SERVICE_CONFIG;
  const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: ROOT, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('lazy loading', () => {
  it('health and get-delegation load neither the Lit SDK nor ethers', () => {
    expect(loadedAfterRequiring(['./functions/health', './functions/get-delegation'])).toEqual({ lit: 0, ethers: 0 });
  });
  it('importing the issue handler without a config loads no Lit SDK', () => {
    expect(loadedAfterRequiring(['./functions/issue-session-sigs']).lit).toBe(0);
  });

  it.each(['functions/health.ts', 'functions/get-delegation.ts'])(
    '%s bundles no Lit SDK at all (as NodejsFunction bundles it), so ?deep=true costs no import',
    async (entry) => {
      const out = await build({
        ...ESBUILD_OPTIONS,
        entryPoints: [path.join(ROOT, entry)],
        sourcemap: false,
        write: false,
        metafile: true,
        logLevel: 'silent',
        absWorkingDir: ROOT,
      });
      const inputs = Object.keys(out.metafile.inputs);
      expect(inputs.filter((i) => i.includes('@lit-protocol'))).toEqual([]);
      // Small: under 2 MB where a bundle with the SDK is over 4 MB.
      expect(out.outputFiles[0].contents.length).toBeLessThan(2 * 1024 * 1024);
    },
  );

  it("the config and request schemas bundle zod/mini, never zod's full API (about 450 KB more per function)", async () => {
    const out = await build({
      ...ESBUILD_OPTIONS,
      entryPoints: [path.join(ROOT, 'functions/issue-session-sigs.ts')],
      sourcemap: false,
      write: false,
      metafile: true,
      logLevel: 'silent',
      absWorkingDir: ROOT,
    });
    const zod = Object.keys(out.metafile.inputs).filter((i) => i.includes('node_modules/zod/'));
    expect(zod.some((i) => i.includes('/v4/mini/'))).toBe(true);
    expect(zod.filter((i) => i.includes('/v4/classic/'))).toEqual([]);
  });

  describe('the X-Ray SDK, only where Powertools traces', () => {
    let bundle: string;
    beforeAll(async () => {
      // The DynamoDB client as composition.ts makes it, bundled as NodejsFunction bundles a handler.
      bundle = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'trace-')), 'entry.js');
      await build({
        ...ESBUILD_OPTIONS,
        stdin: {
          contents: `
            import { createServiceDynamoClient } from './functions/commons/adapters/dynamodb/client';
            import { traceAwsClient } from './functions/commons/powertools';
            const client = traceAwsClient(createServiceDynamoClient());
            process.stdout.write(JSON.stringify({
              xrayLoaded: typeof (process as any).namespaces === 'object',
              xrayMiddleware: client.middlewareStack.identify().some((m: string) => m.includes('XRaySDKInstrumentation')),
            }));`,
          resolveDir: ROOT,
          loader: 'ts',
        },
        sourcemap: false,
        outfile: bundle,
        logLevel: 'silent',
      });
    });
    afterAll(() => fs.rmSync(path.dirname(bundle), { recursive: true, force: true }));

    function run(env: Record<string, string>): { xrayLoaded: boolean; xrayMiddleware: boolean } {
      const base = { ...process.env };
      for (const k of ['AWS_EXECUTION_ENV', 'AWS_SAM_LOCAL', 'POWERTOOLS_TRACE_ENABLED', '_X_AMZN_TRACE_ID']) delete base[k];
      const r = spawnSync(process.execPath, [bundle], { env: { ...base, AWS_REGION: 'us-east-1', ...env }, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
      return JSON.parse(r.stdout);
    }

    it('on Lambda: the client is traced', () => {
      expect(run({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' })).toEqual({ xrayLoaded: true, xrayMiddleware: true });
    });
    it.each([
      ['outside Lambda', {}],
      ['tracing off (the local stack)', { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', POWERTOOLS_TRACE_ENABLED: 'false' }],
    ])('%s: the X-Ray SDK is never loaded (its async hook would run on every promise)', (_, env) => {
      expect(run(env)).toEqual({ xrayLoaded: false, xrayMiddleware: false });
    });
    it("follows Powertools' own rule, Amplify's mock and the SAM CLI included", () => {
      const lambda = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' };
      expect(tracingEnabled(lambda)).toBe(true);
      expect(tracingEnabled({ ...lambda, POWERTOOLS_TRACE_ENABLED: 'FALSE' })).toBe(false);
      expect(tracingEnabled({ ...lambda, POWERTOOLS_TRACE_ENABLED: 'true' })).toBe(true);
      expect(tracingEnabled({ ...lambda, AWS_SAM_LOCAL: 'true' })).toBe(false);
      expect(tracingEnabled({ AWS_EXECUTION_ENV: 'AWS_Lambda_amplify-mock' })).toBe(false);
      expect(tracingEnabled({})).toBe(false);
    });
  });
});
