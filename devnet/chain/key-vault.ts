import { secp256k1 } from '@noble/curves/secp256k1';

/**
 * The devnet's PKP key vault: real secp256k1 key pairs, private keys in memory only.
 *
 * Lit's nodes hold PKP keys as threshold shares produced by a DKG; the devnet keeps each whole key
 * here instead, so its nodes can produce real signatures that recover to the PKP's address. Keys
 * are generated before their public keys are put in the PKPNFT contract's pool, so a key is known
 * to the vault before anyone can mint it. Nothing here is ever logged.
 */
export interface KeyVaultOptions {
  /**
   * Called synchronously with each batch of new keys, before `generate` returns (and so before
   * their public keys can reach the pool): a persistent devnet writes them to disk here, and a
   * throw stops the batch from being used.
   */
  onGenerated?: (keys: ReadonlyArray<{ publicKey: string; privateKey: Uint8Array }>) => void;
}

export class KeyVault {
  private readonly keys = new Map<string, Uint8Array>();

  constructor(private readonly options: KeyVaultOptions = {}) {}

  /** Generate `count` key pairs; returns the uncompressed public keys (`0x04…`, 65 bytes). */
  generate(count: number): string[] {
    const batch: { publicKey: string; privateKey: Uint8Array }[] = [];
    for (let i = 0; i < count; i++) {
      const privateKey = secp256k1.utils.randomPrivateKey();
      batch.push({ publicKey: `0x${Buffer.from(secp256k1.getPublicKey(privateKey, false)).toString('hex')}`, privateKey });
    }
    this.options.onGenerated?.(batch);
    for (const { publicKey, privateKey } of batch) this.keys.set(publicKey, privateKey);
    return batch.map((k) => k.publicKey);
  }

  /**
   * Put back keys kept from an earlier run (a restored devnet). Throws when a private key does
   * not give its public key, naming neither.
   */
  load(keys: Iterable<{ publicKey: string; privateKey: Uint8Array }>): void {
    for (const { publicKey, privateKey } of keys) {
      const derived = `0x${Buffer.from(secp256k1.getPublicKey(privateKey, false)).toString('hex')}`;
      if (derived !== normalizePublicKey(publicKey)) throw new Error('a PKP private key does not match its public key');
      this.keys.set(derived, Uint8Array.from(privateKey));
    }
  }

  /** A copy of the private key for `publicKey` (`0x04…`, any hex case), or undefined. */
  privateKeyFor(publicKey: string): Uint8Array | undefined {
    const key = this.keys.get(normalizePublicKey(publicKey));
    return key ? Uint8Array.from(key) : undefined;
  }

  get size(): number {
    return this.keys.size;
  }

  /** Overwrite and forget every key (on stop). */
  wipe(): void {
    for (const key of this.keys.values()) key.fill(0);
    this.keys.clear();
  }
}

/** `0x04…` lower-case; accepts the key with or without `0x`. */
export function normalizePublicKey(publicKey: string): string {
  const hex = publicKey.toLowerCase();
  return hex.startsWith('0x') ? hex : `0x${hex}`;
}
