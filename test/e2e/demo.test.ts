/**
 * `npm run demo` (local/demo.ts) as a user runs it: a child process (tsx), against a stack this
 * test started (--url), against a URL where nothing listens (a clear failure, exit 1), and with
 * no stack at all (--own-stack: it starts and stops its own).
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { ethers } from 'ethers';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { freePort } from '../helpers/ports';
import { signRounds } from './helpers';

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the demo with `args`; resolves when it exits. */
function runDemo(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ['local/demo.ts', ...args], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The value printed after `label` on its own line of the demo's output. */
function printed(out: string, label: string): string | undefined {
  return new RegExp(`^\\s*${label}\\s+(\\S+)`, 'm').exec(out)?.[1];
}

function expectSuccessfulDemo(run: Run, pkp: { publicKey: string; ethAddress: string }): void {
  if (run.code !== 0) throw new Error(`demo exited ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr.slice(-2000)}`);
  expect(run.stdout).toMatch(/^recovered address == PKP address: yes$/m);
  expect(printed(run.stdout, 'PKP')).toBe(pkp.publicKey);
  const signature = printed(run.stdout, 'signature')!;
  const digest = printed(run.stdout, 'digest')!;
  expect(signature).toMatch(/^0x[0-9a-f]{130}$/i);
  // Check the printed signature ourselves: it recovers to the PKP from the printed digest.
  expect(ethers.utils.recoverAddress(digest, signature)).toBe(ethers.utils.getAddress(pkp.ethAddress));
  expect(printed(run.stdout, 'recovered')).toBe(ethers.utils.getAddress(pkp.ethAddress));
  expect(run.stdout).toMatch(/^\s*message\s+"/m);
}

describe('npm run demo', () => {
  describe('against a running stack (--url)', () => {
    let stack: LocalStack;
    const logs: string[] = [];

    beforeAll(async () => {
      stack = await startLocalStack({ refreshEveryMs: 0, devnet: { blockTimeMs: 1000 }, onLog: (l) => logs.push(l.text) });
    });

    afterAll(async () => {
      await stack?.stop();
    });

    it('issues session sigs over HTTP, signs with the PKP through the SDK, prints a signature recovering to the PKP, exits 0', async () => {
      const issuedBefore = stack.functions.invocations('IssueSessionSigs');
      const pkpSignBefore = stack.devnet.controls.totalCounts().pkp_sign;
      const run = await runDemo(['--url', stack.url]);
      expectSuccessfulDemo(run, stack.pkp);
      // It really went through the service and the devnet.
      expect(stack.functions.invocations('IssueSessionSigs')).toBe(issuedBefore + 1);
      expect(stack.devnet.controls.totalCounts().pkp_sign).toBeGreaterThan(pkpSignBefore);
      expect(run.stdout).toContain(`${stack.url} (a running local stack)`);
      // It shows no secret: the session sigs it used are not in its output.
      expect(run.stdout + run.stderr).not.toMatch(/"sig"|signedMessage|ProofOfPossession/);
      expect((run.stdout + run.stderr).toLowerCase()).not.toContain(stack.devnet.ownerWallet.privateKey.slice(2).toLowerCase());
    });

    it('a second run uses the cached wallet sig: no new sign_session_key round', async () => {
      const rounds = signRounds(stack);
      const run = await runDemo(['--url', stack.url]);
      expectSuccessfulDemo(run, stack.pkp);
      expect(run.stdout).toMatch(/wallet sig from cache/);
      expect(signRounds(stack)).toBe(rounds);
    });

    it('a caller the policy refuses: exit 1 naming the code, no stack trace', async () => {
      const run = await runDemo(['--url', stack.url, '--caller', 'arn:aws:iam::000000000000:user/mallory']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^demo failed: POST \/session-sigs answered 403 \(CALLER_NOT_ALLOWED: /m);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stdout).not.toMatch(/recovered address == PKP address/);
    });
  });

  it('--url where nothing listens: exit 1 with what to do', async () => {
    const port = await freePort();
    const run = await runDemo(['--url', `http://127.0.0.1:${port}`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`demo failed: nothing answers at http://127.0.0.1:${port}. Start the local stack there (npm start)`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unknown argument: exit 1 with the usage', async () => {
    const run = await runDemo(['--bogus']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/demo failed: unknown argument --bogus/);
    expect(run.stderr).toMatch(/Usage: npm run demo/);
  });

  it('with no stack running (--own-stack): starts one in-process, signs, stops it, exits 0', async () => {
    const run = await runDemo(['--own-stack']);
    const pkp = { publicKey: printed(run.stdout, 'PKP') ?? '', ethAddress: printed(run.stdout, 'PKP address') ?? '' };
    expect(pkp.publicKey).toMatch(/^0x04[0-9a-f]{128}$/);
    expectSuccessfulDemo(run, pkp);
    expect(run.stdout).toMatch(/\(started in-process\)/);
    expect(run.stderr).toMatch(/Starting a local stack in-process/);
  });
});
