/**
 * ECDSA signature shares for `pkpSign`, in the form the SDK's `combineEcdsaShares` accepts:
 * additive secp256k1 shares of `s` that sum to the signature's `s`, all with the same `bigR`.
 *
 * Lit's nodes run a threshold ECDSA protocol; the devnet holds each PKP key whole (the chain's key
 * vault) and splits a real RFC 6979 signature instead. The split is deterministic in (key, digest,
 * signer count), so every node computes the same signature and returns its own share without the
 * nodes talking to each other. The SDK waits for every connected node on `pkpSign` and sums what
 * it gets, so the shares are split across all signers.
 */
import { createHmac } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1';

const N = secp256k1.CURVE.n;

export interface EcdsaShare {
  sigType: 'K256';
  /** 32-byte hex of this node's additive share of s. */
  signatureShare: string;
  /** Compressed R (33 bytes hex). */
  bigR: string;
  /** The PKP public key, uncompressed, hex without 0x. */
  publicKey: string;
  /** The 32-byte digest signed, hex without 0x. */
  dataSigned: string;
  shareIndex: number;
  sigName: string;
}

function toHex32(value: bigint): string {
  return value.toString(16).padStart(64, '0');
}

/**
 * Share number `signerIndex` (0-based) of `signerCount` of the signature of `digest` by
 * `privateKey`. The shares for 0..signerCount-1 sum to s mod n.
 */
export function ecdsaSignatureShare(privateKey: Uint8Array, digest: Uint8Array, signerCount: number, signerIndex: number): EcdsaShare {
  if (digest.length !== 32) throw new RangeError('digest must be 32 bytes');
  if (!Number.isInteger(signerCount) || signerCount < 1) throw new RangeError('signerCount must be >= 1');
  if (!Number.isInteger(signerIndex) || signerIndex < 0 || signerIndex >= signerCount) throw new RangeError('signerIndex out of range');
  const signature = secp256k1.sign(digest, privateKey, { lowS: true });
  const r = secp256k1.ProjectivePoint.fromHex(`${signature.recovery & 1 ? '03' : '02'}${toHex32(signature.r)}`);
  // Every share but the last is a keyed hash of the request; the last makes the sum come out to s.
  const part = (i: number): bigint =>
    BigInt(`0x${createHmac('sha256', privateKey).update(digest).update(`devnet-ecdsa-share:${signerCount}:${i}`).digest('hex')}`) % N;
  let share: bigint;
  if (signerIndex < signerCount - 1) {
    share = part(signerIndex);
  } else {
    let others = 0n;
    for (let i = 0; i < signerCount - 1; i++) others = (others + part(i)) % N;
    share = (((signature.s - others) % N) + N) % N;
  }
  return {
    sigType: 'K256',
    signatureShare: toHex32(share),
    bigR: Buffer.from(r.toRawBytes(true)).toString('hex'),
    publicKey: Buffer.from(secp256k1.getPublicKey(privateKey, false)).toString('hex'),
    dataSigned: Buffer.from(digest).toString('hex'),
    shareIndex: signerIndex,
    sigName: 'sig',
  };
}
