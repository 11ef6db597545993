/**
 * A devnet's state directory: what makes a devnet come back as the same network after a restart
 * (`startDevnet({ stateDir })`). Layout, all files mode 0600 in a 0700 directory:
 *
 *   devnet-state.json    manifest, no secrets: { version: 1, nodeCount, threshold, chainId,
 *                        contract addresses, owner/admin/node addresses, network public key }.
 *                        Written last on the first start: without it the directory is partial.
 *   devnet-keys.json     SECRET: admin (deployer) and owner wallet keys, node staking keys, the
 *                        BLS network key shares, the handshake's HD root keys.
 *   pkp-keys.json        SECRET: the PKP key vault (every key ever put in the PKPNFT pool),
 *                        rewritten before new keys can reach the pool.
 *   capacity-usage.json  uses counted per capacity delegation (a delegation's `uses` limit holds
 *                        across restarts, as on Lit).
 *   chain/               the chain: state.json, anvil's whole state (every block, contract,
 *                        balance and token), replaced atomically by the running devnet.
 *   devnet.lock          the pid of the devnet using the directory.
 *
 * Node ports are not state: nodes may come back on other ports, and are registered again in
 * Staking on every start (the SDK reads them from there at connect).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { ethers } from 'ethers';
import { KeyVault } from '../chain/key-vault';
import { chainStateFile, isGanacheDatabase } from '../chain/chain-state';
import { loadArtifacts, LIT_CONTRACT_NAMES, type LitContractName } from '../contracts/compile';
import { createBlsNetworkKey, networkPublicKeyOfShares, secretOfShares, type BlsNetworkKey } from '../nodes/bls-network-key';
import { UsageLedger, type UsageSnapshot } from '../nodes/usage-ledger';
import type { NetworkIdentity } from '../nodes/network';
import { DevnetStateError } from './errors';
import { ensurePrivateDir, isHex, isObject, readStateJson, writePrivateJsonSync } from './files';

export const STATE_FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'devnet-state.json';
export const KEYS_FILE = 'devnet-keys.json';
export const PKP_KEYS_FILE = 'pkp-keys.json';
export const USAGE_FILE = 'capacity-usage.json';
export const CHAIN_DIR = 'chain';
export const LOCK_FILE = 'devnet.lock';
/** Every name the devnet writes; anything else in the directory makes it "not a state dir". */
const OWN_NAMES = new Set([MANIFEST_FILE, KEYS_FILE, PKP_KEYS_FILE, USAGE_FILE, CHAIN_DIR, LOCK_FILE]);

/** Usage counts are saved this long after a change (pkpSign is hot; a crash loses at most this much). */
const USAGE_SAVE_DELAY_MS = 250;

/** devnet-state.json. Nothing secret. */
export interface DevnetManifest {
  version: typeof STATE_FORMAT_VERSION;
  createdAt: string;
  nodeCount: number;
  threshold: number;
  chainId: number;
  /** sha256 of the contracts' bytecode the chain was deployed with: a restart with other contracts is refused. */
  contractsFingerprint: string;
  contracts: Record<LitContractName, string>;
  adminAddress: string;
  ownerAddress: string;
  /** 48-byte compressed G1, hex without 0x. */
  networkPublicKey: string;
  nodeAddresses: string[];
}

/** devnet-keys.json. SECRET. */
interface DevnetKeysFile {
  version: typeof STATE_FORMAT_VERSION;
  adminPrivateKey: string;
  ownerPrivateKey: string;
  nodePrivateKeys: string[];
  /** Share secrets as 0x hex. */
  blsShares: { identifier: number; secret: string }[];
  hdRootPubkeys: string[];
}

interface PkpKeysFile {
  version: typeof STATE_FORMAT_VERSION;
  /** publicKey (0x04…) -> privateKey (0x…, 32 bytes). */
  keys: Record<string, string>;
}

interface UsageFile {
  version: typeof STATE_FORMAT_VERSION;
  counts: UsageSnapshot;
}

/** The shape asked of `startDevnet`; undefined means "whatever the state holds" (defaults for a fresh one). */
export interface RequestedShape {
  nodeCount?: number;
  threshold?: number;
  chainId?: number;
}

const DEFAULTS = { nodeCount: 3, chainId: 31337 };

/** sha256 over every contract's creation bytecode, in name order. */
export function contractsFingerprint(): string {
  const artifacts = loadArtifacts();
  const hash = createHash('sha256');
  for (const name of LIT_CONTRACT_NAMES) hash.update(name).update(artifacts.contracts[name].bytecode);
  return hash.digest('hex');
}

const randomKey = (): string => `0x${randomBytes(32).toString('hex')}`;
const addressOf = (privateKey: string): string => new ethers.Wallet(privateKey).address;

export class DevnetStateDir {
  /** True when the directory held a devnet (restart); false on the first start. */
  readonly restored: boolean;
  /** The manifest read at open (restored), or undefined until `commit` (first start). */
  manifest: DevnetManifest | undefined;
  readonly nodeCount: number;
  readonly threshold: number;
  readonly chainId: number;
  readonly adminPrivateKey: string;
  readonly ownerPrivateKey: string;
  readonly identity: NetworkIdentity;
  /** The PKP key vault, loaded; new keys are written to pkp-keys.json before `generate` returns. */
  readonly vault: KeyVault;
  /** The capacity-use ledger, loaded; saved shortly after each change and at `close`. */
  readonly usage: UsageLedger;

  private readonly pkpKeys: Record<string, string>;
  private usageTimer: NodeJS.Timeout | undefined;
  /** Counts changed since the last successful save. */
  private usageDirty = false;
  private closed = false;

  private constructor(
    readonly dir: string,
    init: {
      restored: boolean;
      manifest?: DevnetManifest;
      nodeCount: number;
      threshold: number;
      chainId: number;
      keys: DevnetKeysFile;
      pkpKeys: Record<string, string>;
      usage: UsageSnapshot;
      /** Known on a first start (from the key just made); read from the manifest on a restart. */
      networkPublicKey: string;
    },
  ) {
    this.restored = init.restored;
    this.manifest = init.manifest;
    this.nodeCount = init.nodeCount;
    this.threshold = init.threshold;
    this.chainId = init.chainId;
    this.adminPrivateKey = init.keys.adminPrivateKey;
    this.ownerPrivateKey = init.keys.ownerPrivateKey;
    this.identity = {
      blsKey: {
        publicKeyHex: init.networkPublicKey,
        shares: init.keys.blsShares.map((s) => ({ identifier: s.identifier, secret: BigInt(s.secret) })),
      },
      nodeAddresses: init.keys.nodePrivateKeys.map(addressOf),
      hdRootPubkeys: init.keys.hdRootPubkeys,
    };
    this.pkpKeys = init.pkpKeys;
    this.vault = new KeyVault({
      onGenerated: (batch) => {
        for (const { publicKey, privateKey } of batch) this.pkpKeys[publicKey] = `0x${Buffer.from(privateKey).toString('hex')}`;
        writePrivateJsonSync(this.file(PKP_KEYS_FILE), { version: STATE_FORMAT_VERSION, keys: this.pkpKeys } satisfies PkpKeysFile);
      },
    });
    try {
      this.vault.load(Object.entries(init.pkpKeys).map(([publicKey, privateKey]) => ({ publicKey, privateKey: ethers.utils.arrayify(privateKey) })));
    } catch {
      throw new DevnetStateError(
        'DEVNET_STATE_CORRUPT',
        this.file(PKP_KEYS_FILE),
        `${this.file(PKP_KEYS_FILE)} holds a PKP private key that does not match its public key. Restore the file, or start with an empty directory.`,
      );
    }
    this.usage = UsageLedger.fromSnapshot(init.usage, () => this.scheduleUsageSave());
  }

  /**
   * Take `dir` for one devnet: lock it, then read and check its state (a restart) or create new
   * keys for a first start (written at once; the manifest comes last, at `commit`).
   * Refuses, with a DevnetStateError naming the file, a directory that is locked, partial,
   * corrupt, of another format version, or made for another shape than `requested`.
   */
  static open(dir: string, requested: RequestedShape): DevnetStateDir {
    const root = path.resolve(dir);
    if (fs.existsSync(root) && !fs.statSync(root).isDirectory()) {
      throw new DevnetStateError('DEVNET_STATE_NOT_A_STATE_DIR', root, `${root} is not a directory.`);
    }
    const ownEntries = (): string[] => (fs.existsSync(root) ? fs.readdirSync(root).filter((name) => name !== LOCK_FILE && !name.startsWith('.')) : []);
    refuseForeign(root, ownEntries()); // before touching anything: someone else's directory stays as it was
    ensurePrivateDir(root);
    const release = takeLock(root);
    try {
      const entries = ownEntries();
      const state = entries.length === 0 ? DevnetStateDir.fresh(root, requested) : DevnetStateDir.existing(root, entries, requested);
      state.releaseLock = release;
      return state;
    } catch (e) {
      release();
      throw e;
    }
  }

  /** The absolute path of a file in the directory. */
  file(name: string): string {
    return path.join(this.dir, name);
  }

  get chainDbPath(): string {
    return this.file(CHAIN_DIR);
  }

  /** First start, once the devnet is up: write the manifest, which makes the directory complete. */
  commit(manifest: Omit<DevnetManifest, 'version' | 'createdAt' | 'contractsFingerprint'>): void {
    const full: DevnetManifest = {
      version: STATE_FORMAT_VERSION,
      createdAt: new Date().toISOString(),
      contractsFingerprint: contractsFingerprint(),
      ...manifest,
    };
    writePrivateJsonSync(this.file(MANIFEST_FILE), full);
    this.manifest = full;
  }

  /** A first start that failed: remove what it wrote, so that the next start is a first start again. */
  discardFirstStart(): void {
    if (this.restored) return;
    this.cancelUsageSave();
    for (const name of [MANIFEST_FILE, KEYS_FILE, PKP_KEYS_FILE, USAGE_FILE, CHAIN_DIR]) fs.rmSync(this.file(name), { recursive: true, force: true });
  }

  /** Save pending usage counts and release the lock. Idempotent. Call after the chain is closed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelUsageSave();
    try {
      if (this.usageDirty) this.saveUsage();
    } finally {
      this.releaseLock();
    }
  }

  private releaseLock: () => void = () => undefined;

  private scheduleUsageSave(): void {
    this.usageDirty = true;
    if (this.usageTimer || this.closed) return;
    this.usageTimer = setTimeout(() => {
      this.usageTimer = undefined;
      try {
        this.saveUsage();
      } catch (e) {
        // A full disk must not take the network down; the next change (or close) tries again.
        console.warn(`[devnet state] could not save ${this.file(USAGE_FILE)}: ${(e as Error).message}`);
      }
    }, USAGE_SAVE_DELAY_MS);
    this.usageTimer.unref();
  }

  private cancelUsageSave(): void {
    if (this.usageTimer) clearTimeout(this.usageTimer);
    this.usageTimer = undefined;
  }

  private saveUsage(): void {
    writePrivateJsonSync(this.file(USAGE_FILE), { version: STATE_FORMAT_VERSION, counts: this.usage.snapshot() } satisfies UsageFile);
    this.usageDirty = false;
  }

  private static fresh(root: string, requested: RequestedShape): DevnetStateDir {
    const nodeCount = requested.nodeCount ?? DEFAULTS.nodeCount;
    const threshold = requested.threshold ?? Math.min(2, nodeCount);
    const blsKey: BlsNetworkKey = createBlsNetworkKey(nodeCount, threshold);
    const keys: DevnetKeysFile = {
      version: STATE_FORMAT_VERSION,
      adminPrivateKey: randomKey(),
      ownerPrivateKey: randomKey(),
      nodePrivateKeys: Array.from({ length: nodeCount }, randomKey),
      blsShares: blsKey.shares.map((s) => ({ identifier: s.identifier, secret: `0x${s.secret.toString(16)}` })),
      hdRootPubkeys: Array.from({ length: 10 }, () => ethers.utils.computePublicKey(randomBytes(32), true).slice(2)),
    };
    writePrivateJsonSync(path.join(root, KEYS_FILE), keys);
    writePrivateJsonSync(path.join(root, PKP_KEYS_FILE), { version: STATE_FORMAT_VERSION, keys: {} } satisfies PkpKeysFile);
    writePrivateJsonSync(path.join(root, USAGE_FILE), { version: STATE_FORMAT_VERSION, counts: {} } satisfies UsageFile);
    ensurePrivateDir(path.join(root, CHAIN_DIR)); // the chain writes state.json there; owner-only like the rest
    return new DevnetStateDir(root, {
      restored: false,
      nodeCount,
      threshold,
      chainId: requested.chainId ?? DEFAULTS.chainId,
      keys,
      pkpKeys: {},
      usage: {},
      networkPublicKey: blsKey.publicKeyHex,
    });
  }

  private static existing(root: string, entries: string[], requested: RequestedShape): DevnetStateDir {
    refuseForeign(root, entries);
    const manifestFile = path.join(root, MANIFEST_FILE);
    checkManifestVersion(manifestFile);
    const manifest = readStateJson<DevnetManifest>(manifestFile, checkManifest);
    for (const [key, asked] of Object.entries(requested) as [keyof RequestedShape, number | undefined][]) {
      if (asked !== undefined && asked !== manifest[key]) {
        throw new DevnetStateError(
          'DEVNET_STATE_MISMATCH',
          manifestFile,
          `${root} holds a devnet with nodeCount ${manifest.nodeCount}, threshold ${manifest.threshold}, chainId ${manifest.chainId}; asked for ${key} ${asked}. Start it with the same shape (or leave ${key} unset), or use another directory.`,
        );
      }
    }
    if (manifest.contractsFingerprint !== contractsFingerprint()) {
      throw new DevnetStateError(
        'DEVNET_STATE_MISMATCH',
        manifestFile,
        `the devnet contracts (devnet/contracts/artifacts.json) changed since ${root} was made: its chain runs the old ones. Start with an empty directory.`,
      );
    }

    const keysFile = path.join(root, KEYS_FILE);
    const keys = readStateJson<DevnetKeysFile>(keysFile, (v) => checkKeys(v, manifest));
    const corruptKeys = (what: string): DevnetStateError =>
      new DevnetStateError(
        'DEVNET_STATE_CORRUPT',
        keysFile,
        `${keysFile} does not match ${manifestFile}: ${what}. Restore the pair, or start with an empty directory.`,
      );
    if (addressOf(keys.adminPrivateKey) !== manifest.adminAddress) throw corruptKeys('the admin key is not the admin address');
    if (addressOf(keys.ownerPrivateKey) !== manifest.ownerAddress) throw corruptKeys('the owner key is not the owner address');
    keys.nodePrivateKeys.forEach((k, i) => {
      if (addressOf(k) !== manifest.nodeAddresses[i]) throw corruptKeys(`node ${i}'s key is not its address`);
    });
    // Every share, with threshold-1 others, must give the same secret (field arithmetic, cheap),
    // and that secret the network key (one curve multiplication).
    const shares = keys.blsShares.map((s) => ({ identifier: s.identifier, secret: BigInt(s.secret) }));
    const secretWith = (i: number): bigint => secretOfShares([shares[i], ...shares.filter((_, j) => j !== i).slice(0, manifest.threshold - 1)]);
    const secret = secretWith(0);
    for (let i = 1; i < shares.length; i++) if (secretWith(i) !== secret) throw corruptKeys('the BLS shares do not agree with each other (one was changed)');
    let networkKey: string | undefined;
    try {
      networkKey = networkPublicKeyOfShares(shares.slice(0, manifest.threshold));
    } catch {
      // zero secret: reported below
    }
    if (networkKey !== manifest.networkPublicKey) throw corruptKeys('the BLS shares do not make the network public key');

    const pkpKeys = readStateJson<PkpKeysFile>(path.join(root, PKP_KEYS_FILE), checkPkpKeys).keys;
    const usage = readStateJson<UsageFile>(path.join(root, USAGE_FILE), checkUsage).counts;
    const chainDb = path.join(root, CHAIN_DIR);
    if (isGanacheDatabase(chainDb)) {
      throw new DevnetStateError(
        'DEVNET_STATE_VERSION',
        chainDb,
        `${chainDb} is a ganache chain database, from a devnet before the chain ran on anvil; this devnet cannot read it. Use the devnet version that made it, or start with an empty directory (its state is lost).`,
      );
    }
    // Only there-or-not here: its contents are checked when the chain loads it (checkChainStateFile).
    const chainState = chainStateFile(chainDb);
    if (!fs.existsSync(chainState)) {
      throw new DevnetStateError('DEVNET_STATE_PARTIAL', chainState, `the chain state ${chainState} is missing. Restore it, or start with an empty directory.`);
    }
    return new DevnetStateDir(root, {
      restored: true,
      manifest,
      nodeCount: manifest.nodeCount,
      threshold: manifest.threshold,
      chainId: manifest.chainId,
      keys,
      pkpKeys,
      usage,
      networkPublicKey: manifest.networkPublicKey,
    });
  }
}

function refuseForeign(root: string, entries: string[]): void {
  const foreign = entries.filter((name) => !OWN_NAMES.has(name));
  if (foreign.length > 0) {
    throw new DevnetStateError(
      'DEVNET_STATE_NOT_A_STATE_DIR',
      path.join(root, foreign[0]),
      `${root} holds files that are not a devnet's (${foreign.slice(0, 3).join(', ')}): give an empty or new directory, or one a devnet made.`,
    );
  }
}

/** Take `<dir>/devnet.lock` for this process; a lock left by a process that is gone is taken over. Returns the release. */
function takeLock(dir: string): () => void {
  const lock = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(lock, 'wx', 0o600);
      fs.writeFileSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        fs.rmSync(lock, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(fs.readFileSync(lock, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new DevnetStateError(
          'DEVNET_STATE_IN_USE',
          lock,
          `${dir} is in use by a devnet in process ${pid}${pid === process.pid ? ' (this process)' : ''}. Stop it first; if no devnet is running, delete ${lock}.`,
        );
      }
      fs.rmSync(lock, { force: true }); // stale: its process is gone
    }
  }
  throw new DevnetStateError('DEVNET_STATE_IN_USE', lock, `cannot take ${lock}: another devnet is starting on ${dir}.`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function checkVersion(v: unknown): string | undefined {
  if (!isObject(v)) return 'not a JSON object';
  if (v.version !== STATE_FORMAT_VERSION) return `format version ${JSON.stringify(v.version)}, this devnet reads version ${STATE_FORMAT_VERSION}`;
  return undefined;
}

function checkManifest(v: unknown): string | undefined {
  const base = checkVersion(v);
  if (base) return base;
  const m = v as Record<string, unknown>;
  if (!Number.isInteger(m.nodeCount) || (m.nodeCount as number) < 1) return 'nodeCount';
  if (!Number.isInteger(m.threshold) || (m.threshold as number) < 1 || (m.threshold as number) > (m.nodeCount as number)) return 'threshold';
  if (!Number.isInteger(m.chainId)) return 'chainId';
  if (typeof m.contractsFingerprint !== 'string') return 'contractsFingerprint';
  if (!isObject(m.contracts) || !LIT_CONTRACT_NAMES.every((n) => ethers.utils.isAddress(String((m.contracts as Record<string, unknown>)[n]))))
    return 'contracts';
  for (const k of ['adminAddress', 'ownerAddress'] as const) if (!ethers.utils.isAddress(String(m[k]))) return k;
  if (typeof m.networkPublicKey !== 'string' || !/^[0-9a-f]{96}$/.test(m.networkPublicKey)) return 'networkPublicKey';
  if (!Array.isArray(m.nodeAddresses) || m.nodeAddresses.length !== m.nodeCount || !m.nodeAddresses.every((a) => ethers.utils.isAddress(String(a))))
    return 'nodeAddresses';
  return undefined;
}

function checkKeys(v: unknown, manifest: DevnetManifest): string | undefined {
  const base = checkVersion(v);
  if (base) return base;
  const k = v as Record<string, unknown>;
  if (!isHex(k.adminPrivateKey, 32) || !isHex(k.ownerPrivateKey, 32)) return 'wallet keys';
  if (!Array.isArray(k.nodePrivateKeys) || k.nodePrivateKeys.length !== manifest.nodeCount || !k.nodePrivateKeys.every((x) => isHex(x, 32)))
    return 'nodePrivateKeys';
  if (
    !Array.isArray(k.blsShares) ||
    k.blsShares.length !== manifest.nodeCount ||
    !k.blsShares.every((s, i) => isObject(s) && s.identifier === i + 1 && typeof s.secret === 'string' && /^0x[0-9a-f]+$/.test(s.secret))
  ) {
    return 'blsShares';
  }
  if (!Array.isArray(k.hdRootPubkeys) || !k.hdRootPubkeys.every((x) => typeof x === 'string' && /^0[23][0-9a-f]{64}$/.test(x))) return 'hdRootPubkeys';
  return undefined;
}

function checkPkpKeys(v: unknown): string | undefined {
  const base = checkVersion(v);
  if (base) return base;
  const keys = (v as Record<string, unknown>).keys;
  if (!isObject(keys)) return 'keys';
  for (const [pub, priv] of Object.entries(keys)) if (!/^0x04[0-9a-f]{128}$/.test(pub) || !isHex(priv, 32)) return 'a key entry';
  return undefined;
}

function checkUsage(v: unknown): string | undefined {
  const base = checkVersion(v);
  if (base) return base;
  const counts = (v as Record<string, unknown>).counts;
  if (!isObject(counts)) return 'counts';
  for (const perNode of Object.values(counts)) {
    if (!isObject(perNode) || !Object.entries(perNode).every(([node, n]) => /^\d+$/.test(node) && Number.isInteger(n) && (n as number) >= 0)) return 'a count';
  }
  return undefined;
}

/**
 * DEVNET_STATE_VERSION for a manifest of another format version, checked before anything else is
 * read: another version is not corruption, and says which devnet code to use.
 */
export function checkManifestVersion(manifestFile: string): void {
  let version: unknown;
  try {
    version = (JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { version?: unknown }).version;
  } catch {
    return; // missing or unreadable: readStateJson says so
  }
  if (typeof version === 'number' && version !== STATE_FORMAT_VERSION) {
    throw new DevnetStateError(
      'DEVNET_STATE_VERSION',
      manifestFile,
      `${manifestFile} is format version ${version}; this devnet reads version ${STATE_FORMAT_VERSION}. Use the devnet version that made it, or start with an empty directory.`,
    );
  }
}
