import { secp256k1 } from '@noble/curves/secp256k1';

/**
 * The devnet's PKP key vault: real secp256k1 key pairs, private keys in memory only.
 *
 * Lit's nodes hold PKP keys as threshold shares produced by a DKG; the devnet keeps each whole key
 * here instead, so its nodes can produce real signatures that recover to the PKP's address. Keys
 * are generated before their public keys are put in the PKPNFT contract's pool, so a key is known
 * to the vault before anyone can mint it. Nothing here is ever logged.
 */
export class KeyVault {
  private readonly keys = new Map<string, Uint8Array>();

  /** Generate `count` key pairs; returns the uncompressed public keys (`0x04…`, 65 bytes). */
  generate(count: number): string[] {
    const publicKeys: string[] = [];
    for (let i = 0; i < count; i++) {
      const privateKey = secp256k1.utils.randomPrivateKey();
      const publicKey = `0x${Buffer.from(secp256k1.getPublicKey(privateKey, false)).toString('hex')}`;
      this.keys.set(publicKey, privateKey);
      publicKeys.push(publicKey);
    }
    return publicKeys;
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
