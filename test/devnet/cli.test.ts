/**
 * `npm run devnet` as another project would use it: start the CLI, read its JSON config from
 * stdout, use the network with the real SDK (here with --no-payment: pkpSign without a capacity
 * delegation, like datil-dev), stop it with SIGTERM and check that it exits cleanly and frees
 * its ports. Also the CLI's argument parsing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ethers } from 'ethers';
import { LitContracts } from '@lit-protocol/contracts-sdk';
import type { LitNodeClient } from '@lit-protocol/lit-node-client';
import { createLitNodeClient, disconnectLitNodeClient, litActionCid } from '../../devnet';
import { parseCliArgs, readLitActionFiles, toStartOptions, type DevnetConfigJson } from '../../devnet/cli';
import { installOfflineGuard, type OfflineGuard } from './helpers/offline-guard';
import { ethWalletAuthMethod, mintPkp, pkpSigningRequests, type MintedPkp } from './helpers/lit-fixtures';

jest.setTimeout(120_000);

const root = path.resolve(__dirname, '../..');

describe('devnet CLI arguments', () => {
  it('defaults to 3 nodes, threshold 2, payment required, ephemeral ports', () => {
    expect(parseCliArgs([])).toEqual({ nodeCount: 3, threshold: 2, requirePayment: true, litActionFiles: [] });
    expect(toStartOptions(parseCliArgs([])).ports).toBeUndefined();
  });

  it('reads every flag, in both --flag value and --flag=value forms', () => {
    const cli = parseCliArgs(['--nodes', '5', '--threshold=4', '--no-payment', '--port-base', '7470']);
    expect(cli).toEqual({ nodeCount: 5, threshold: 4, requirePayment: false, portBase: 7470, litActionFiles: [] });
    expect(toStartOptions(cli).ports).toEqual([7470, 7471, 7472, 7473, 7474]);
    expect(parseCliArgs(['--nodes', '1']).threshold).toBe(1);
  });

  it('--state-dir: the saved devnet keeps its shape unless --nodes/--threshold/--port-base say otherwise', () => {
    expect(parseCliArgs(['--state-dir', '/tmp/x'])).toEqual({
      nodeCount: 3,
      threshold: 2,
      requirePayment: true,
      stateDir: '/tmp/x',
      shapeFromState: true,
      litActionFiles: [],
    });
    const fromState = toStartOptions(parseCliArgs(['--state-dir=/tmp/x']));
    expect(fromState).toMatchObject({ stateDir: '/tmp/x' });
    expect(fromState).not.toHaveProperty('nodeCount');
    expect(fromState).not.toHaveProperty('threshold');
    expect(toStartOptions(parseCliArgs(['--state-dir', '/tmp/x', '--nodes', '5']))).toMatchObject({ stateDir: '/tmp/x', nodeCount: 5, threshold: 2 });
    expect(parseCliArgs(['--state-dir', '/tmp/x', '--port-base', '7470']).shapeFromState).toBeUndefined();
    expect(toStartOptions(parseCliArgs([]))).not.toHaveProperty('stateDir');
  });

  it('--lit-action (repeatable) and --lit-action-timeout-ms reach the start options; an unreadable file is a usage error', () => {
    const cli = parseCliArgs(['--lit-action', 'a.js', '--lit-action=b.js', '--lit-action-timeout-ms', '500']);
    expect(cli).toMatchObject({ litActionFiles: ['a.js', 'b.js'], litActionTimeoutMs: 500 });
    expect(toStartOptions(cli, ['code a', 'code b'])).toMatchObject({ litActions: ['code a', 'code b'], litActionLimits: { timeoutMs: 500 } });
    expect(toStartOptions(parseCliArgs([]))).not.toHaveProperty('litActions');
    expect(() => readLitActionFiles([path.join(os.tmpdir(), 'no-such-action.js')])).toThrow(/--lit-action: cannot read .*no-such-action\.js/);
  });

  it.each([
    [['--lit-action']],
    [['--lit-action-timeout-ms', '5']],
    [['--nodes', '0']],
    [['--threshold', '4']],
    [['--nodes']],
    [['--bogus']],
    [['--port-base', '65535', '--nodes', '3']],
    [['--state-dir']],
    [['--state-dir', '--nodes', '2']],
  ])('refuses %j', (argv) => {
    expect(() => parseCliArgs(argv)).toThrow();
  });
});

describe('npm run devnet (tsx devnet/cli.ts)', () => {
  let child: ChildProcess;
  let config: DevnetConfigJson;
  let stderr = '';
  let guard: OfflineGuard;

  const actionDir = fs.mkdtempSync(path.join(os.tmpdir(), 'devnet-cli-action-'));
  const actionFile = path.join(actionDir, 'allow.js');
  const ACTION = 'Lit.Actions.setResponse({ response: JSON.stringify(user === "alice") });';

  beforeAll(async () => {
    fs.writeFileSync(actionFile, ACTION);
    child = spawn(
      process.execPath,
      [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'devnet/cli.ts', '--nodes', '2', '--threshold', '2', '--no-payment', '--lit-action', actionFile],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    let stdout = '';
    config = await new Promise<DevnetConfigJson>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        stdout += d.toString();
        try {
          resolve(JSON.parse(stdout) as DevnetConfigJson);
        } catch {
          // not complete yet
        }
      });
      child.once('exit', (code) => reject(new Error(`devnet CLI exited early (${code}): ${stderr}`)));
    });
    guard = installOfflineGuard();
  });

  afterAll(async () => {
    guard?.restore();
    if (child && child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(actionDir, { recursive: true, force: true });
  });

  it('prints the client config as JSON on stdout and its start time on stderr', () => {
    expect(config.litNodeClientConfig).toMatchObject({ litNetwork: 'custom', checkNodeAttestation: false, debug: false });
    expect(config.litNodeClientConfig.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(config.nodes.map((n) => n.url)).toEqual([
      expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
    ]);
    expect(Object.keys(config.contractsContext.customContext)).toHaveLength(11);
    expect(config.requirePayment).toBe(false);
    expect(config.ownerWallet.privateKey).toMatch(/^0x[0-9a-f]{64}$/);
    expect(stderr).toMatch(/up in \d+ ms/);
    expect(stderr).not.toContain(config.ownerWallet.privateKey);
  });

  /** Mints a PKP with the CLI devnet's owner, then gets session sigs with `sessionSigsFor` and checks they sign with that PKP. */
  async function mintAndSign(
    permitted: (owner: ethers.Wallet) => string[],
    setUp: (contracts: LitContracts, pkp: MintedPkp) => Promise<void>,
    sessionSigsFor: (client: LitNodeClient, owner: ethers.Wallet, pkp: MintedPkp) => Promise<unknown>,
  ): Promise<void> {
    const owner = new ethers.Wallet(config.ownerWallet.privateKey);
    const contracts = new LitContracts({
      network: 'custom',
      rpc: config.contractsContext.rpc,
      customContext: config.contractsContext.customContext as never,
      privateKey: owner.privateKey,
      debug: false,
    });
    await contracts.connect();
    const pkp = await mintPkp(contracts, permitted(owner));
    await setUp(contracts, pkp);
    const client = createLitNodeClient(config);
    try {
      await client.connect();
      const sessionSigs = await sessionSigsFor(client, owner, pkp);
      const digest = ethers.utils.arrayify(ethers.utils.id('from the CLI devnet'));
      const result = await client.pkpSign({ pubKey: pkp.publicKey, toSign: digest, sessionSigs: sessionSigs as never });
      expect(ethers.utils.recoverAddress(digest, result.signature)).toBe(pkp.ethAddress);
    } finally {
      await disconnectLitNodeClient(client);
    }
  }
  const inTenMinutes = (): string => new Date(Date.now() + 600_000).toISOString();

  it('serves the real SDK: mint, session sigs and pkpSign without a capacity delegation', async () => {
    await mintAndSign(
      (owner) => [owner.address],
      async () => undefined,
      async (client, owner, pkp) =>
        client.getPkpSessionSigs({
          pkpPublicKey: pkp.publicKey,
          authMethods: [await ethWalletAuthMethod(client, owner)],
          resourceAbilityRequests: pkpSigningRequests(),
          expiration: inTenMinutes(),
        }),
    );
    expect(guard.blocked).toEqual([]);
  });

  it('serves a --lit-action file by its CID: a PKP that permits it gets session sigs from the action alone', async () => {
    const cid = await litActionCid(ACTION);
    expect(config.litActions).toEqual([{ file: actionFile, cid }]);
    await mintAndSign(
      () => [],
      async (contracts, pkp) => void (await contracts.addPermittedAction({ ipfsId: cid, pkpTokenId: pkp.tokenId, authMethodScopes: [1] })),
      (client, _owner, pkp) =>
        client.getLitActionSessionSigs({
          pkpPublicKey: pkp.publicKey,
          litActionIpfsId: cid,
          jsParams: { user: 'alice' },
          resourceAbilityRequests: pkpSigningRequests(),
          expiration: inTenMinutes(),
        }),
    );
  });

  it('stops cleanly on SIGTERM: exit code 0 and its ports closed', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('stopped');
    for (const url of [config.litNodeClientConfig.rpcUrl, ...config.nodes.map((n) => n.url), config.blockhashUrl]) {
      await expect(fetch(url)).rejects.toThrow();
    }
  });
});

describe('npm run devnet -- --state-dir (restart, refusal)', () => {
  /** Run the CLI until it prints its config, then SIGTERM it; or until it exits by itself. */
  const run = async (args: string[]): Promise<{ config?: DevnetConfigJson; code: number | null; stderr: string }> => {
    const proc = spawn(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'devnet/cli.ts', ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const config = await new Promise<DevnetConfigJson | undefined>((resolve) => {
      proc.stdout!.on('data', (d: Buffer) => {
        stdout += d.toString();
        try {
          resolve(JSON.parse(stdout) as DevnetConfigJson);
        } catch {
          // not complete yet
        }
      });
      void exited.then(() => resolve(undefined));
    });
    if (config) proc.kill('SIGTERM');
    return { config, code: await exited, stderr };
  };

  it('comes back with the same owner, contracts and network key, and refuses another node count with exit 1', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'devnet-cli-'));
    const stateDir = path.join(tmp, 'state');
    try {
      const first = await run(['--state-dir', stateDir, '--nodes', '1', '--block-time-ms', '0']);
      expect(first.code).toBe(0);
      expect(first.config).toMatchObject({ restored: false, stateDir, threshold: 1 });
      expect(first.stderr).toContain(`created state in ${stateDir}`);

      const second = await run(['--state-dir', stateDir, '--block-time-ms', '0']); // no --nodes: the saved shape
      expect(second.code).toBe(0);
      expect(second.config).toMatchObject({
        restored: true,
        stateDir,
        threshold: 1,
        networkPublicKey: first.config!.networkPublicKey,
        ownerWallet: first.config!.ownerWallet,
      });
      expect(second.config!.nodes.map((n) => n.nodeAddress)).toEqual(first.config!.nodes.map((n) => n.nodeAddress));
      expect(second.config!.contractsContext.customContext.PKPNFT.address).toBe(first.config!.contractsContext.customContext.PKPNFT.address);

      const refused = await run(['--state-dir', stateDir, '--nodes', '2', '--block-time-ms', '0']);
      expect(refused.config).toBeUndefined();
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/failed to start: DEVNET_STATE_MISMATCH: .*nodeCount 1.*asked for nodeCount 2/);
      expect(refused.stderr).not.toContain(first.config!.ownerWallet.privateKey);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
