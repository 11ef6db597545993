/**
 * `startDevnet({ stateDir })`: a devnet that comes back as the same network after a stop, with
 * the real Lit SDK on both sides of the restart. First run: mint a PKP and a capacity NFT, get
 * session sigs, pkpSign. Second run, same directory: same owner, contracts, network key and node
 * addresses; the PKP is still the owner's and still signs (fresh session sigs, and the wallet sig
 * cached before the restart); the capacity NFT is still valid and its delegation's use count
 * carried over (the nodes count uses with `rateLimitAllocation`, the real node's
 * enable_rate_limiting_allocation; without it nothing is counted). Then every refusal: in use, another shape, another format version, corrupt or
 * missing files, a damaged chain state, a ganache database from before the chain ran on anvil:
 * each names the file and leaves the directory as it was.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LitNodeClient } from '@lit-protocol/lit-node-client';
import type { LitContracts } from '@lit-protocol/contracts-sdk';
import { ethers } from 'ethers';
import { createLitNodeClient, disconnectLitNodeClient, startDevnet, DevnetStateError, type Devnet } from '../../devnet';
import { DevnetStateDir, KEYS_FILE, LOCK_FILE, MANIFEST_FILE, PKP_KEYS_FILE, USAGE_FILE, CHAIN_DIR } from '../../devnet/state/state-dir';
import { CHAIN_STATE_FILE } from '../../devnet/chain';
import { installOfflineGuard, type OfflineGuard } from './helpers/offline-guard';
import { MemoryStorage } from './helpers/memory-storage';
import {
  litContractsFor,
  mintCapacityToken,
  mintPkp,
  type MintedPkp,
  type SessionSigs,
  type AuthSig,
  inAnHour,
  digestOf,
  pkpSessionSigs,
} from './helpers/lit-fixtures';
import { occupiedPort } from '../helpers/ports';

jest.setTimeout(180_000);

/** One provider object per process: the SDK installs it as a non-configurable globalThis.localStorage. */
const storage = new MemoryStorage();
const mode = (p: string): number => fs.statSync(p).mode & 0o777;
const made: string[] = [];
const tmpDir = (name: string): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `devnet-${name}-`));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});
const readJson = (file: string): Record<string, unknown> => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
const writeJson = (file: string, value: unknown): void => fs.writeFileSync(file, JSON.stringify(value));

/** What a refused start rejects with. */
async function refusal(start: Promise<Devnet>): Promise<DevnetStateError> {
  const devnet = await start.then(
    (d) => d,
    (e: unknown) => e,
  );
  if (!(devnet instanceof DevnetStateError)) {
    if (devnet && typeof (devnet as Devnet).stop === 'function') await (devnet as Devnet).stop();
    throw new Error(`expected a DevnetStateError, got ${devnet instanceof Error ? devnet.message : 'a started devnet'}`);
  }
  return devnet;
}

/** Connect a client, run `use`, always disconnect. */
async function withClient<T>(devnet: Devnet, use: (client: LitNodeClient) => Promise<T>): Promise<T> {
  const client = createLitNodeClient(devnet, { storageProvider: { provider: storage } } as never);
  try {
    await client.connect();
    return await use(client);
  } finally {
    await disconnectLitNodeClient(client);
  }
}

function sessionSigs(client: LitNodeClient, owner: ethers.Wallet, pkp: MintedPkp, delegation: AuthSig): Promise<SessionSigs> {
  return pkpSessionSigs(client, owner, pkp.publicKey, delegation);
}

async function signsAs(client: LitNodeClient, pkp: MintedPkp, sigs: SessionSigs, text: string): Promise<string> {
  const result = await client.pkpSign({ pubKey: pkp.publicKey, toSign: digestOf(text), sessionSigs: sigs });
  return ethers.utils.recoverAddress(digestOf(text), result.signature);
}

describe('devnet persistence (startDevnet({ stateDir }))', () => {
  let guard: OfflineGuard;
  let stateDir: string;
  let first: Devnet;
  let devnet: Devnet | undefined;
  let owner: ethers.Wallet;
  let pkp: MintedPkp;
  let capacityTokenId: string;
  let delegation: AuthSig;
  const before = {} as {
    contracts: Record<string, string>;
    networkPublicKey: string;
    nodeAddresses: string[];
    nodeUrls: string[];
    ownerBalance: string;
    blockNumber: number;
    usesOfDelegation: number;
  };
  const timings = { firstStartMs: 0, restartMs: 0 };

  beforeAll(async () => {
    guard = installOfflineGuard();
    stateDir = path.join(tmpDir('state'), 'devnet'); // not there yet: startDevnet creates it
    let started = Date.now();
    first = await startDevnet({ stateDir, blockTimeMs: 1000, rateLimitAllocation: true });
    timings.firstStartMs = Date.now() - started;
    owner = new ethers.Wallet(first.ownerWallet.privateKey);
    const contracts: LitContracts = litContractsFor(first, first.ownerWallet.privateKey);
    await contracts.connect();
    pkp = await mintPkp(contracts, [owner.address]);
    capacityTokenId = await mintCapacityToken(contracts);
    await withClient(first, async (client) => {
      delegation = (
        await client.createCapacityDelegationAuthSig({
          dAppOwnerWallet: owner,
          capacityTokenId,
          delegateeAddresses: [pkp.ethAddress],
          uses: '3',
          expiration: inAnHour(),
        })
      ).capacityDelegationAuthSig as AuthSig;
      storage.clear();
      const sigs = await sessionSigs(client, owner, pkp, delegation);
      // Two uses of the delegation's three before the restart.
      expect(await signsAs(client, pkp, sigs, 'before restart 1')).toBe(pkp.ethAddress);
      expect(await signsAs(client, pkp, sigs, 'before restart 2')).toBe(pkp.ethAddress);
    });
    Object.assign(before, {
      contracts: Object.fromEntries(Object.entries(first.contractsContext.customContext).map(([k, v]) => [k, v.address])),
      networkPublicKey: first.networkPublicKey,
      nodeAddresses: first.nodes.map((n) => n.nodeAddress),
      nodeUrls: first.nodes.map((n) => n.url),
      ownerBalance: (await first.chain.provider.getBalance(owner.address)).toString(),
      blockNumber: await first.chain.provider.getBlockNumber(),
      usesOfDelegation: first.controls.capacityUses(delegation),
    });
    await first.stop();

    started = Date.now();
    devnet = await startDevnet({ stateDir, blockTimeMs: 1000, rateLimitAllocation: true });
    timings.restartMs = Date.now() - started;
    console.log(`devnet with a stateDir: first start ${timings.firstStartMs} ms, restart ${timings.restartMs} ms`);
  });

  afterAll(async () => {
    await first?.stop();
    await devnet?.stop();
    guard?.restore();
  });

  it('first start reports a fresh devnet, the restart a restored one, and neither leaks a private key into the manifest', () => {
    expect(first.restored).toBe(false);
    expect(devnet!.restored).toBe(true);
    expect(devnet!.stateDir).toBe(path.resolve(stateDir));
    const manifest = fs.readFileSync(path.join(stateDir, MANIFEST_FILE), 'utf8');
    expect(JSON.parse(manifest)).toMatchObject({ version: 1, nodeCount: 3, threshold: 2, chainId: 31337 });
    expect(manifest).not.toContain(first.ownerWallet.privateKey.slice(2));
  });

  it('writes the directory 0700 and every file 0600, and holds the lock while running', () => {
    expect(mode(stateDir)).toBe(0o700);
    expect(mode(path.join(stateDir, CHAIN_DIR))).toBe(0o700);
    expect(mode(path.join(stateDir, CHAIN_DIR, CHAIN_STATE_FILE))).toBe(0o600);
    // Written by temp file and rename: no temp file is left behind.
    expect(fs.readdirSync(path.join(stateDir, CHAIN_DIR))).toEqual([CHAIN_STATE_FILE]);
    for (const file of [MANIFEST_FILE, KEYS_FILE, PKP_KEYS_FILE, USAGE_FILE, LOCK_FILE]) expect([file, mode(path.join(stateDir, file))]).toEqual([file, 0o600]);
    expect(fs.readFileSync(path.join(stateDir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
  });

  it('comes back with the same owner wallet, contract addresses, network public key and node addresses', () => {
    const d = devnet!;
    expect(d.ownerWallet.address).toBe(owner.address);
    expect(d.ownerWallet.privateKey).toBe(owner.privateKey);
    expect(Object.fromEntries(Object.entries(d.contractsContext.customContext).map(([k, v]) => [k, v.address]))).toEqual(before.contracts);
    expect(d.litNodeClientConfig.contractContext.Staking.address).toBe(before.contracts.Staking);
    expect(d.networkPublicKey).toBe(before.networkPublicKey);
    expect(d.nodes.map((n) => n.nodeAddress)).toEqual(before.nodeAddresses);
  });

  it('keeps every block and balance: the chain goes on from where it stopped', async () => {
    const d = devnet!;
    expect(await d.chain.provider.getBlockNumber()).toBeGreaterThanOrEqual(before.blockNumber);
    expect((await d.chain.provider.getBalance(owner.address)).toString()).toBe(before.ownerBalance);
  });

  it('registers the nodes where they listen now, under their old addresses, in Staking', async () => {
    const d = devnet!;
    const staking = new ethers.Contract(d.contractsContext.customContext.Staking.address, d.contractsContext.customContext.Staking.abi, d.chain.provider);
    const [, minNodeCount, validators] = (await staking.getActiveUnkickedValidatorStructsAndCounts()) as [
      unknown,
      ethers.BigNumber,
      { port: number; nodeAddress: string }[],
    ];
    expect(minNodeCount.toNumber()).toBe(2);
    expect(validators.map((v) => [v.port, v.nodeAddress])).toEqual(d.nodes.map((n) => [n.port, n.nodeAddress]));
  });

  it('keeps the PKP owned by the owner and the capacity NFT valid, on chain', async () => {
    const d = devnet!;
    const pkpNft = new ethers.Contract(d.contractsContext.customContext.PKPNFT.address, d.contractsContext.customContext.PKPNFT.abi, d.chain.provider);
    expect(await pkpNft.ownerOf(pkp.tokenId)).toBe(owner.address);
    const tokenId = ethers.BigNumber.from(pkp.tokenId).toString();
    expect(await d.chain.chainView.pkpOwner(tokenId)).toBe(owner.address);
    expect(await d.chain.chainView.permittedAuthMethods(tokenId)).toEqual([{ authMethodType: 1, id: owner.address.toLowerCase(), scopes: [1] }]);
    const token = await d.chain.chainView.capacityToken(capacityTokenId);
    expect(token).toMatchObject({ tokenId: capacityTokenId, owner: owner.address, requestsPerKilosecond: 1000n });
    expect(token!.expiresAt).toBeGreaterThan(Date.now() / 1000);
  });

  it('reuses the wallet sig cached before the restart (same BLS network key): no sign_session_key round, and it signs', async () => {
    const d = devnet!;
    await withClient(d, async (client) => {
      expect(client.networkPubKey).toBe(before.networkPublicKey);
      d.controls.resetCounts();
      const sigs = await sessionSigs(client, owner, pkp, delegation); // storage still holds the first run's wallet sig
      expect(d.controls.totalCounts().sign_session_key).toBe(0);
      expect(Object.keys(sigs).sort()).toEqual(d.nodes.map((n) => n.url).sort());
      // The third and last use of the delegation: the first run's two uses were kept.
      expect(before.usesOfDelegation).toBe(2);
      expect(d.controls.capacityUses(delegation)).toBe(2);
      expect(await signsAs(client, pkp, sigs, 'after restart, cached wallet sig')).toBe(pkp.ethAddress);
      expect(d.controls.capacityUses(delegation)).toBe(3);
      // Exhausted, the delegation is skipped; the PKP owns no capacity NFT of its own: the real node's rate limit refusal.
      await expect(signsAs(client, pkp, sigs, 'one use too many')).rejects.toThrow(/rate_limit_exceeded/);
      expect(d.controls.capacityUses(delegation)).toBe(3);
    });
  });

  it('signs with the PKP from fresh session sigs (a new sign_session_key round) under a new delegation', async () => {
    const d = devnet!;
    await withClient(d, async (client) => {
      const fresh = (
        await client.createCapacityDelegationAuthSig({
          dAppOwnerWallet: owner,
          capacityTokenId,
          delegateeAddresses: [pkp.ethAddress],
          uses: '10',
          expiration: inAnHour(),
        })
      ).capacityDelegationAuthSig as AuthSig;
      storage.clear();
      d.controls.resetCounts();
      const sigs = await sessionSigs(client, owner, pkp, fresh);
      expect(d.nodes.map((n) => d.controls.counts(n.index).sign_session_key)).toEqual([1, 1, 1]);
      expect(await signsAs(client, pkp, sigs, 'after restart, fresh session sigs')).toBe(pkp.ethAddress);
    });
  });

  it('mints a new PKP from the key pool filled before the restart, and it signs', async () => {
    const d = devnet!;
    const contracts = litContractsFor(d, owner.privateKey);
    await contracts.connect();
    const second = await mintPkp(contracts, [owner.address]);
    const savedKeys = readJson(path.join(stateDir, PKP_KEYS_FILE)).keys as Record<string, string>;
    expect(Object.keys(savedKeys)).toContain(second.publicKey.toLowerCase());
    await withClient(d, async (client) => {
      const fresh = (
        await client.createCapacityDelegationAuthSig({
          dAppOwnerWallet: owner,
          capacityTokenId,
          delegateeAddresses: [second.ethAddress],
          uses: '1',
          expiration: inAnHour(),
        })
      ).capacityDelegationAuthSig as AuthSig;
      storage.clear();
      expect(await signsAs(client, second, await sessionSigs(client, owner, second, fresh), 'second pkp')).toBe(second.ethAddress);
    });
  });

  it('refuses a second devnet on a directory in use, and leaves the running one alone', async () => {
    const error = await refusal(startDevnet({ stateDir, blockTimeMs: 0 }));
    expect(error.code).toBe('DEVNET_STATE_IN_USE');
    expect(error.file).toBe(path.join(path.resolve(stateDir), LOCK_FILE));
    expect(error.message).toContain(String(process.pid));
    expect(fs.existsSync(path.join(stateDir, LOCK_FILE))).toBe(true);
    expect(await devnet!.chain.provider.getBlockNumber()).toBeGreaterThan(0);
  });

  describe('refusals, on copies of the stopped state', () => {
    let manifestBefore: string;
    /** A copy of the stopped state directory, changed by `damage`. */
    const copy = (damage: (dir: string) => void = () => undefined): string => {
      const dir = path.join(tmpDir('copy'), 'devnet');
      fs.cpSync(stateDir, dir, { recursive: true });
      damage(dir);
      return dir;
    };
    /** The refusal left the directory as it was (no fresh devnet over it) and released its lock. */
    const untouched = (dir: string): void => {
      if (fs.existsSync(path.join(dir, MANIFEST_FILE))) expect(fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')).toBe(manifestBefore);
      expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    };

    beforeAll(async () => {
      await devnet?.stop();
      devnet = undefined;
      expect(fs.existsSync(path.join(stateDir, LOCK_FILE))).toBe(false);
      manifestBefore = fs.readFileSync(path.join(stateDir, MANIFEST_FILE), 'utf8');
    });

    it.each([
      [{ nodeCount: 4 }, /nodeCount 3, threshold 2.*asked for nodeCount 4/],
      [{ nodeCount: 3, threshold: 3 }, /asked for threshold 3/],
      [{ chain: { chainId: 1337 } }, /asked for chainId 1337/],
    ])('refuses another shape %j: DEVNET_STATE_MISMATCH naming the manifest', async (options, message) => {
      const dir = copy();
      const error = await refusal(startDevnet({ ...options, stateDir: dir, blockTimeMs: 0 }));
      expect(error.code).toBe('DEVNET_STATE_MISMATCH');
      expect(error.file).toBe(path.join(dir, MANIFEST_FILE));
      expect(error.message).toMatch(message);
      untouched(dir);
    });

    it('refuses a manifest of another format version: DEVNET_STATE_VERSION', async () => {
      const dir = copy((d) => writeJson(path.join(d, MANIFEST_FILE), { ...readJson(path.join(d, MANIFEST_FILE)), version: 2 }));
      const error = await refusal(startDevnet({ stateDir: dir, blockTimeMs: 0 }));
      expect(error.code).toBe('DEVNET_STATE_VERSION');
      expect(error.file).toBe(path.join(dir, MANIFEST_FILE));
      expect(error.message).toMatch(/format version 2.*reads version 1/);
      expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    });

    it('refuses a truncated keys file, naming it and quoting none of it: DEVNET_STATE_CORRUPT', async () => {
      const keysFile = (d: string): string => path.join(d, KEYS_FILE);
      const dir = copy((d) => fs.writeFileSync(keysFile(d), fs.readFileSync(keysFile(d), 'utf8').slice(0, 200)));
      const error = await refusal(startDevnet({ stateDir: dir, blockTimeMs: 0 }));
      expect(error.code).toBe('DEVNET_STATE_CORRUPT');
      expect(error.file).toBe(keysFile(dir));
      expect(error.message).toContain(keysFile(dir));
      expect(error.message).not.toContain(owner.privateKey.slice(2, 18));
      untouched(dir);
    });

    it('refuses keys that do not match the manifest (another owner key)', async () => {
      const dir = copy((d) =>
        writeJson(path.join(d, KEYS_FILE), { ...readJson(path.join(d, KEYS_FILE)), ownerPrivateKey: ethers.Wallet.createRandom().privateKey }),
      );
      const error = await refusal(startDevnet({ stateDir: dir, blockTimeMs: 0 }));
      expect([error.code, error.file]).toEqual(['DEVNET_STATE_CORRUPT', path.join(dir, KEYS_FILE)]);
      expect(error.message).toMatch(/owner key is not the owner address/);
      untouched(dir);
    });

    it('refuses a BLS share that does not make the network key', async () => {
      const dir = copy((d) => {
        const keys = readJson(path.join(d, KEYS_FILE)) as { blsShares: { identifier: number; secret: string }[] };
        keys.blsShares[1].secret = `0x${(BigInt(keys.blsShares[1].secret) + 1n).toString(16)}`;
        writeJson(path.join(d, KEYS_FILE), keys);
      });
      const error = await refusal(startDevnet({ stateDir: dir, blockTimeMs: 0 }));
      expect([error.code, error.file]).toEqual(['DEVNET_STATE_CORRUPT', path.join(dir, KEYS_FILE)]);
      expect(error.message).toMatch(/BLS share/);
    });

    it.each([PKP_KEYS_FILE, USAGE_FILE, KEYS_FILE])('refuses a state missing %s: DEVNET_STATE_PARTIAL naming it', async (file) => {
      const dir = copy((d) => fs.rmSync(path.join(d, file)));
      const error = await refusal(startDevnet({ stateDir: dir, blockTimeMs: 0 }));
      expect([error.code, error.file]).toEqual(['DEVNET_STATE_PARTIAL', path.join(dir, file)]);
      untouched(dir);
    });

    it('refuses a first start that never finished (no manifest), instead of starting fresh over it', async () => {
      const dir = copy((d) => fs.rmSync(path.join(d, MANIFEST_FILE)));
      const error = await refusal(startDevnet({ stateDir: dir, blockTimeMs: 0 }));
      expect([error.code, error.file]).toEqual(['DEVNET_STATE_PARTIAL', path.join(dir, MANIFEST_FILE)]);
      expect(fs.readdirSync(dir).sort()).toEqual([CHAIN_DIR, KEYS_FILE, PKP_KEYS_FILE, USAGE_FILE].sort());
    });

    it('refuses a missing chain state: DEVNET_STATE_PARTIAL naming it', async () => {
      const dir = copy((d) => fs.rmSync(path.join(d, CHAIN_DIR), { recursive: true }));
      const error = await refusal(startDevnet({ stateDir: dir, blockTimeMs: 0 }));
      expect([error.code, error.file]).toEqual(['DEVNET_STATE_PARTIAL', path.join(dir, CHAIN_DIR, CHAIN_STATE_FILE)]);
      untouched(dir);
    });

    it.each([
      ['truncated', (text: string) => text.slice(0, Math.floor(text.length / 2)), /not valid JSON/],
      ["not anvil's state", () => JSON.stringify({ version: 1 }), /not a valid devnet state file/],
    ])('refuses a damaged chain state (%s) without crashing the process: DEVNET_STATE_CORRUPT naming it', async (_, damage, message) => {
      const stateFile = (d: string): string => path.join(d, CHAIN_DIR, CHAIN_STATE_FILE);
      const dir = copy((d) => fs.writeFileSync(stateFile(d), damage(fs.readFileSync(stateFile(d), 'utf8'))));
      const error = await refusal(startDevnet({ stateDir: dir, blockTimeMs: 0 }));
      expect([error.code, error.file]).toEqual(['DEVNET_STATE_CORRUPT', stateFile(dir)]);
      expect(error.message).toContain(stateFile(dir));
      expect(error.message).toMatch(message);
      untouched(dir);
    });

    it('refuses a ganache chain database from before the chain ran on anvil: DEVNET_STATE_VERSION naming it', async () => {
      const dir = copy((d) => {
        fs.rmSync(path.join(d, CHAIN_DIR), { recursive: true });
        fs.mkdirSync(path.join(d, CHAIN_DIR));
        fs.writeFileSync(path.join(d, CHAIN_DIR, 'CURRENT'), 'MANIFEST-000004\n');
      });
      const error = await refusal(startDevnet({ stateDir: dir, blockTimeMs: 0 }));
      expect([error.code, error.file]).toEqual(['DEVNET_STATE_VERSION', path.join(dir, CHAIN_DIR)]);
      expect(error.message).toMatch(/ganache/);
      untouched(dir);
    });

    it('refuses a chain database from another devnet (contracts missing at the saved addresses)', async () => {
      const other = path.join(tmpDir('other'), 'devnet');
      const otherDevnet = await startDevnet({ stateDir: other, nodeCount: 1, blockTimeMs: 0 });
      await otherDevnet.stop();
      const dir = copy((d) => {
        fs.rmSync(path.join(d, CHAIN_DIR), { recursive: true });
        fs.cpSync(path.join(other, CHAIN_DIR), path.join(d, CHAIN_DIR), { recursive: true });
      });
      const error = await refusal(startDevnet({ stateDir: dir, blockTimeMs: 0 }));
      expect([error.code, error.file]).toEqual(['DEVNET_STATE_CORRUPT', path.join(dir, CHAIN_DIR, CHAIN_STATE_FILE)]);
      expect(error.message).toMatch(/no \w+ contract at 0x/);
      untouched(dir);
    });

    it("refuses a directory holding files that are not a devnet's", async () => {
      const dir = tmpDir('foreign');
      fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
      const error = await refusal(startDevnet({ stateDir: dir, blockTimeMs: 0 }));
      expect([error.code, error.file]).toEqual(['DEVNET_STATE_NOT_A_STATE_DIR', path.join(dir, 'notes.txt')]);
      expect(fs.readdirSync(dir)).toEqual(['notes.txt']);
    });

    it('takes over a lock left by a process that is gone', () => {
      const dir = copy((d) => fs.writeFileSync(path.join(d, LOCK_FILE), '2147483646\n'));
      const state = DevnetStateDir.open(dir, {});
      try {
        expect(state.restored).toBe(true);
        expect(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
      } finally {
        state.close();
      }
      expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    });
  });
});

describe('a first start with a stateDir that fails part way', () => {
  let busy: Awaited<ReturnType<typeof occupiedPort>>;

  beforeAll(async () => {
    busy = await occupiedPort();
  });

  afterAll(async () => {
    await busy.release();
  });

  it('removes what it wrote, so the next start is a first start again', async () => {
    const dir = path.join(tmpDir('failed'), 'devnet');
    const busyPort = busy.port;
    await expect(startDevnet({ stateDir: dir, nodeCount: 1, ports: [busyPort], blockTimeMs: 0 })).rejects.toThrow(/EADDRINUSE/);
    expect(fs.readdirSync(dir)).toEqual([]);
    const devnet = await startDevnet({ stateDir: dir, nodeCount: 1, blockTimeMs: 0 });
    try {
      expect(devnet.restored).toBe(false);
    } finally {
      await devnet.stop();
    }
  });
});
