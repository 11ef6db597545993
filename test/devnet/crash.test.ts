/**
 * A devnet process that dies without stopping (SIGKILL: no handler runs) takes its anvil with it
 * (the kernel's parent-death signal; no orphan keeps the port), and its state directory still
 * comes back: the chain state written within a second of the last transaction, atomically, has
 * the PKP minted just before the kill, and the key vault has its private key.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ethers } from 'ethers';
import { startDevnet, type Devnet } from '../../devnet';
import { CHAIN_STATE_FILE, DevnetSigner } from '../../devnet/chain';
import { CHAIN_DIR } from '../../devnet/state/state-dir';
import type { DevnetConfigJson } from '../../devnet/cli';
import { childrenNamed, isRunning } from '../helpers/processes';

jest.setTimeout(180_000);

const root = path.resolve(__dirname, '../..');

async function until(what: string, check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const describeOnLinux = process.platform === 'linux' ? describe : describe.skip;

describeOnLinux('a devnet process killed with SIGKILL', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'devnet-crash-'));
  const stateDir = path.join(tmp, 'state');
  let cli: ChildProcess | undefined;
  let restarted: Devnet | undefined;

  afterAll(async () => {
    if (cli && cli.exitCode === null && cli.signalCode === null) cli.kill('SIGKILL');
    await restarted?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('takes its anvil with it, and its state directory comes back with the PKP minted just before', async () => {
    // The CLI run by node itself (no tsx wrapper process): the process killed is anvil's parent.
    cli = spawn(process.execPath, ['--import', 'tsx', 'devnet/cli.ts', '--state-dir', stateDir, '--nodes', '1', '--block-time-ms', '500'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((resolve) => cli!.once('exit', () => resolve()));
    let stderr = '';
    cli.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const config = await new Promise<DevnetConfigJson>((resolve, reject) => {
      let stdout = '';
      cli!.stdout!.on('data', (d: Buffer) => {
        stdout += d.toString();
        try {
          resolve(JSON.parse(stdout) as DevnetConfigJson);
        } catch {
          // not complete yet
        }
      });
      void exited.then(() => reject(new Error(`the devnet CLI exited before printing its config: ${stderr}`)));
    });
    const [anvilPid] = childrenNamed(cli.pid!, 'anvil');
    expect(anvilPid).toBeGreaterThan(0);

    // A PKP minted through the chain the CLI runs.
    const provider = new ethers.providers.StaticJsonRpcProvider(config.litNodeClientConfig.rpcUrl, { chainId: config.chainId, name: 'lit-devnet' });
    const owner = new DevnetSigner(config.ownerWallet.privateKey, provider);
    const { address, abi } = config.contractsContext.customContext.PKPNFT;
    const pkpNft = new ethers.Contract(address, abi, owner);
    const stateFile = path.join(stateDir, CHAIN_DIR, CHAIN_STATE_FILE);
    const savedBefore = fs.statSync(stateFile).mtimeMs;
    const receipt = await (await pkpNft.mintNext(2, { value: await pkpNft.mintCost() })).wait();
    const minted = (receipt.logs as ethers.providers.Log[])
      .filter((l) => l.address === address)
      .map((l) => pkpNft.interface.parseLog(l))
      .find((e) => e.name === 'PKPMinted')!;
    const tokenId = (minted.args.tokenId as ethers.BigNumber).toString();
    const publicKey = minted.args.pubkey as string;
    // The running devnet writes the chain within a second of a block with transactions.
    await until('the chain state to be written after the mint', () => fs.statSync(stateFile).mtimeMs > savedBefore, 15_000);

    cli.kill('SIGKILL');
    await exited;
    await until('anvil to die with its parent', () => !isRunning(anvilPid), 5_000);
    await expect(fetch(config.litNodeClientConfig.rpcUrl, { method: 'POST', body: '{}' })).rejects.toThrow();
    expect(fs.readdirSync(path.join(stateDir, CHAIN_DIR))).toEqual([CHAIN_STATE_FILE]);

    // The lock names a process that is gone: taken over. Same chain, PKP and key.
    restarted = await startDevnet({ stateDir, blockTimeMs: 0 });
    expect(restarted.restored).toBe(true);
    const after = new ethers.Contract(address, abi, restarted.chain.provider);
    expect(await after.ownerOf(tokenId)).toBe(owner.address);
    expect(restarted.chain.chainView.pkpPrivateKey(publicKey)).toBeDefined();
  });
});
