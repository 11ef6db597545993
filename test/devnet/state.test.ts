/**
 * The parts of devnet persistence that need no chain: private file writes, the key vault's
 * save-before-use hook, the capacity-use ledger's snapshot, and the state directory's own files
 * (first start, usage saving, lock release). The whole restart with the real SDK is in
 * persistence.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { secp256k1 } from '@noble/curves/secp256k1';
import { KeyVault } from '../../devnet/chain/key-vault';
import { UsageLedger } from '../../devnet/nodes/usage-ledger';
import { networkPublicKeyOfShares } from '../../devnet/nodes/bls-network-key';
import { writePrivateFileSync } from '../../devnet/state/files';
import { DevnetStateDir, KEYS_FILE, LOCK_FILE, MANIFEST_FILE, PKP_KEYS_FILE, USAGE_FILE } from '../../devnet/state/state-dir';

const made: string[] = [];
const tmpDir = (): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devnet-state-unit-'));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});
const mode = (p: string): number => fs.statSync(p).mode & 0o777;

describe('writePrivateFileSync', () => {
  it('writes mode 0600 whatever the umask, replaces the file whole and leaves no temp file', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'secret.json');
    const umask = process.umask(0);
    try {
      writePrivateFileSync(file, 'one');
      fs.chmodSync(file, 0o644);
      writePrivateFileSync(file, 'two');
    } finally {
      process.umask(umask);
    }
    expect(fs.readFileSync(file, 'utf8')).toBe('two');
    expect(mode(file)).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual(['secret.json']);
  });
});

describe('KeyVault persistence hooks', () => {
  it('hands each new batch to onGenerated before the keys can be used', () => {
    const seen: string[] = [];
    const vault = new KeyVault({
      onGenerated: (batch) => {
        for (const k of batch) {
          expect(vault.privateKeyFor(k.publicKey)).toBeUndefined(); // not usable yet
          seen.push(k.publicKey);
        }
      },
    });
    const keys = vault.generate(3);
    expect(seen).toEqual(keys);
    for (const k of keys) expect(vault.privateKeyFor(k)).toBeDefined();
  });

  it('keeps no key from a batch whose save failed', () => {
    const vault = new KeyVault({
      onGenerated: () => {
        throw new Error('disk full');
      },
    });
    expect(() => vault.generate(2)).toThrow('disk full');
    expect(vault.size).toBe(0);
  });

  it('loads saved keys, and refuses a private key that is not its public key', () => {
    const privateKey = secp256k1.utils.randomPrivateKey();
    const publicKey = `0x${Buffer.from(secp256k1.getPublicKey(privateKey, false)).toString('hex')}`;
    const vault = new KeyVault();
    vault.load([{ publicKey: publicKey.toUpperCase().replace('0X', '0x'), privateKey }]);
    expect(vault.privateKeyFor(publicKey)).toEqual(privateKey);
    expect(() => vault.load([{ publicKey, privateKey: secp256k1.utils.randomPrivateKey() }])).toThrow(/does not match/);
  });
});

describe('UsageLedger snapshot', () => {
  it('round-trips the counts per node and reports every change, but not a refused use', () => {
    let changes = 0;
    const ledger = new UsageLedger(() => changes++);
    const key = UsageLedger.keyOf('sig');
    expect(ledger.tryConsume(key, 0, 2)).toBe(true);
    expect(ledger.tryConsume(key, 0, 2)).toBe(true);
    expect(ledger.tryConsume(key, 1, 2)).toBe(true);
    expect(ledger.tryConsume(key, 0, 2)).toBe(false);
    expect(changes).toBe(3);
    const restored = UsageLedger.fromSnapshot(JSON.parse(JSON.stringify(ledger.snapshot())));
    expect(restored.used(key)).toBe(2);
    expect(restored.tryConsume(key, 0, 2)).toBe(false);
    expect(restored.tryConsume(key, 1, 2)).toBe(true);
    ledger.clear();
    expect(changes).toBe(4);
  });
});

describe('DevnetStateDir', () => {
  it('first start: writes the key files 0600 in a 0700 dir, with a BLS key of the asked shape, and no manifest until commit', () => {
    const dir = path.join(tmpDir(), 'state');
    const state = DevnetStateDir.open(dir, { nodeCount: 4, threshold: 3 });
    try {
      expect(state.restored).toBe(false);
      expect(mode(dir)).toBe(0o700);
      for (const f of [KEYS_FILE, PKP_KEYS_FILE, USAGE_FILE, LOCK_FILE]) expect([f, mode(path.join(dir, f))]).toEqual([f, 0o600]);
      expect(fs.existsSync(path.join(dir, MANIFEST_FILE))).toBe(false);
      expect(state.identity.blsKey.shares).toHaveLength(4);
      expect(state.identity.nodeAddresses).toHaveLength(4);
      expect(networkPublicKeyOfShares(state.identity.blsKey.shares.slice(1, 4))).toBe(state.identity.blsKey.publicKeyHex);
      // New PKP keys reach the file before generate returns.
      const [publicKey] = state.vault.generate(1);
      expect(Object.keys((JSON.parse(fs.readFileSync(path.join(dir, PKP_KEYS_FILE), 'utf8')) as { keys: object }).keys)).toEqual([publicKey]);
    } finally {
      state.discardFirstStart();
      state.close();
    }
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('saves capacity uses shortly after a change, and at close', async () => {
    const dir = path.join(tmpDir(), 'state');
    const state = DevnetStateDir.open(dir, { nodeCount: 1 });
    const saved = (): Record<string, unknown> =>
      (JSON.parse(fs.readFileSync(path.join(dir, USAGE_FILE), 'utf8')) as { counts: Record<string, unknown> }).counts;
    try {
      state.usage.tryConsume('a', 0, undefined);
      expect(saved()).toEqual({});
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(saved()).toEqual({ a: { 0: 1 } });
      state.usage.tryConsume('a', 0, undefined);
    } finally {
      state.close();
    }
    expect(saved()).toEqual({ a: { 0: 2 } });
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });
});
