/**
 * The one place that runs the real toolchain: the `cdk` CLI (offline, no AWS credentials) runs the
 * app through cdk.json, bundles every function with the local esbuild, and cdk-nag checks it.
 * The other CDK tests skip bundling for speed.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ALL_FUNCTIONS, ROUTES } from '../../lib/routes';
import { ServiceFunction } from '../../lib/service-function';
import { CONFIG_CONTEXT_KEY } from '../../lib/load-config';
import { EXAMPLE_CONFIG, exampleConfig, readJson, REPO_ROOT } from './helpers';

const CDK = path.join(REPO_ROOT, 'node_modules/aws-cdk/bin/cdk');

/** An environment with no AWS credentials or profile, and nothing that phones home. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(AWS_|CDK_)/.test(k)) env[k] = v;
  return {
    ...env,
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    CDK_DISABLE_VERSION_CHECK: 'true',
    AWS_EC2_METADATA_DISABLED: 'true',
    // Point the credential chain at nothing, so no profile on this machine is used.
    AWS_CONFIG_FILE: path.join(os.tmpdir(), 'lss-no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(os.tmpdir(), 'lss-no-aws-credentials'),
  };
}

function cdk(args: string[]) {
  return spawnSync(process.execPath, [CDK, ...args, '--no-notices'], { cwd: REPO_ROOT, env: offlineEnv(), encoding: 'utf8', timeout: 240_000 });
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lss-cdk-synth-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('cdk synth (CLI, real bundling)', () => {
  it('synthesizes both stacks offline without credentials, bundling every function with esbuild', () => {
    const out = path.join(dir, 'cdk.out');
    const started = Date.now();
    const r = cdk(['synth', '-o', out]);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (r.status !== 0) throw new Error(`cdk synth failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
    expect(r.stdout + r.stderr).toMatch(/lit-session-service-stateful/);
    expect(r.stdout + r.stderr).toMatch(/lit-session-service-service/);
    expect(r.stderr).not.toMatch(/Docker/i);

    const template = readJson(path.join(out, 'lit-session-service-service.template.json'));
    const fns = Object.entries(template.Resources as Record<string, any>).filter(([, v]) => v.Type === 'AWS::Lambda::Function');
    expect(fns).toHaveLength(ALL_FUNCTIONS.length);

    const sizes: string[] = [];
    for (const def of ALL_FUNCTIONS) {
      const [, fn] = fns.find(([k]) => k.startsWith(`${def.id}Function`))!;
      const assetDir = path.join(out, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
      const bundle = path.join(assetDir, 'index.js');
      expect(fs.existsSync(bundle)).toBe(true);
      expect(fs.existsSync(`${bundle}.map`)).toBe(true);
      // Nothing but the bundle and its map ships: no node_modules next to it.
      expect(fs.readdirSync(assetDir).sort()).toEqual(['index.js', 'index.js.map']);
      sizes.push(`${def.id} ${(fs.statSync(bundle).size / 1024).toFixed(1)} KiB`);
    }

    // The bundle is self-contained: copied away from the repository's node_modules, it loads and
    // exports the handler.
    const [, issue] = fns.find(([k]) => k.startsWith(`${ROUTES[0].id}Function`))!;
    const lone = path.join(dir, 'lone');
    fs.mkdirSync(lone);
    fs.copyFileSync(path.join(out, `asset.${String(issue.Properties.Code.S3Key).replace(/\.zip$/, '')}`, 'index.js'), path.join(lone, 'index.js'));
    const load = spawnSync(process.execPath, ['-e', "process.stdout.write(typeof require('./index.js').handler)"], { cwd: lone, encoding: 'utf8' });
    expect(load.stdout).toBe('function');

    // Reported, not asserted: speed and size belong to benchmarks.
    console.log(`cdk synth with bundling: ${seconds} s; bundles (unzipped): ${sizes.join(', ')}`);
  }, 300_000);

  it('fails with the config file and every problem named, and no stack trace, when the config is bad', () => {
    const raw = readJson(EXAMPLE_CONFIG);
    raw.delegation.refreshMarginSeconds = raw.delegation.validitySeconds;
    raw.policy.callers[0].pkps = ['0x1234'];
    const bad = path.join(dir, 'bad-config.json');
    fs.writeFileSync(bad, JSON.stringify(raw));
    const r = cdk(['synth', '-q', '-o', path.join(dir, 'bad.out'), '-c', `${CONFIG_CONTEXT_KEY}=${bad}`]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(bad);
    expect(r.stderr).toContain('delegation.refreshMarginSeconds: must be less than delegation.validitySeconds');
    expect(r.stderr).toContain('policy.callers[0].pkps[0]: must be an uncompressed PKP public key');
    expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  });

  it('bundles a function importing the Lit SDK, Powertools and the AWS SDK into one self-contained file', () => {
    const app = new App({ outdir: path.join(dir, 'probe.out') });
    const stack = new Stack(app, 'Probe');
    const probe = new ServiceFunction(stack, 'LitProbe', {
      def: {
        id: 'LitProbe',
        entry: 'test/cdk/fixtures/lit-probe.ts',
        description: 'bundling probe',
        needs: { ownerKey: true, table: { delegation: ['GetItem', 'PutItem'] }, lit: true },
      },
      config: exampleConfig(),
      table: dynamodb.Table.fromTableName(stack, 'T', 'probe-table'),
      ownerKeySecret: secretsmanager.Secret.fromSecretNameV2(stack, 'S', 'probe/owner-key'),
    });
    const assembly = app.synth();
    const template = assembly.getStackByName('Probe').template;
    const fnId = stack.getLogicalId(probe.function.node.defaultChild as any);
    const bundle = path.join(assembly.directory, `asset.${template.Resources[fnId].Properties.Code.S3Key.replace(/\.zip$/, '')}`, 'index.js');
    const size = fs.statSync(bundle).size;
    expect(size).toBeGreaterThan(1024 * 1024); // the Lit SDK is in it, not left external

    const lone = path.join(dir, 'lone-probe');
    fs.mkdirSync(lone);
    fs.copyFileSync(bundle, path.join(lone, 'index.js'));
    const run = spawnSync(
      process.execPath,
      ['--enable-source-maps', '-e', "require('./index.js').handler().then((r) => process.stdout.write(JSON.stringify(r)))"],
      { cwd: lone, encoding: 'utf8', timeout: 60_000 },
    );
    expect(JSON.parse(run.stdout)).toEqual({
      lit: 'function',
      logger: 'function',
      secrets: 'function',
      dynamodb: 'function',
      ethers: expect.stringMatching(/^ethers\/5\./),
    });
    console.log(`Lit probe bundle: ${(size / 1024 / 1024).toFixed(2)} MiB unzipped`);
  }, 120_000);
});
