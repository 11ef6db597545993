/**
 * The devnet's threshold BLS12-381 network key, as Lit's nodes hold theirs: a secret shared with
 * Shamir's scheme (random polynomial of degree t-1, shares at x = 1..n), public key in G1
 * (48 bytes compressed), signatures in G2 (96 bytes) under the proof-of-possession DST that the
 * SDK's wasm (`blsCombine` / `blsVerify`, blsful) uses.
 */
import { randomBytes } from 'node:crypto';
import { bls12_381 } from '@noble/curves/bls12-381';
import { ethers } from 'ethers';

/** blsful's Bls12381G2Impl proof-of-possession signing domain. */
export const BLS_SIGNATURE_DST = 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_';

const Fr = bls12_381.fields.Fr;
const sigs = bls12_381.longSignatures;

export interface BlsKeyShare {
  /** x coordinate of the share, 1..n; the first byte of every signature share. */
  identifier: number;
  secret: bigint;
}

export interface BlsNetworkKey {
  /** 48-byte compressed G1 point, hex without 0x (what the handshake calls networkPublicKey). */
  publicKeyHex: string;
  shares: BlsKeyShare[];
}

function randomScalar(): bigint {
  // 48 random bytes reduced mod r: negligible bias, never zero in practice; retry if it is.
  for (;;) {
    const s = Fr.create(BigInt(`0x${randomBytes(48).toString('hex')}`));
    if (s !== 0n) return s;
  }
}

/** A fresh network key with `count` shares, any `threshold` of which sign. */
export function createBlsNetworkKey(count: number, threshold: number): BlsNetworkKey {
  if (!Number.isInteger(count) || count < 1 || count > 255) throw new RangeError('share count must be 1..255');
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > count) throw new RangeError('threshold must be 1..count');
  const coefficients = Array.from({ length: threshold }, randomScalar);
  const evaluate = (x: bigint): bigint => coefficients.reduceRight((acc, c) => Fr.add(Fr.mul(acc, x), c), 0n);
  const publicKey = bls12_381.G1.Point.BASE.multiply(coefficients[0]);
  const shares = Array.from({ length: count }, (_, i) => ({ identifier: i + 1, secret: evaluate(BigInt(i + 1)) }));
  coefficients.fill(0n); // only the shares are needed from here on
  return { publicKeyHex: Buffer.from(publicKey.toBytes(true)).toString('hex'), shares };
}

/**
 * The bytes a node BLS-signs for a session key, and that the SDK verifies:
 * sha256(utf8("lit_session:" + hex(EIP-191 hash of the SIWE message))).
 */
export function sessionSigningDigest(siweMessage: string): Uint8Array {
  const eip191 = ethers.utils.hashMessage(siweMessage).slice(2);
  return ethers.utils.arrayify(ethers.utils.sha256(ethers.utils.toUtf8Bytes(`lit_session:${eip191}`)));
}

/** One node's signature share, hex: identifier byte + 96-byte compressed G2 point (97 bytes). */
export function signShare(share: BlsKeyShare, message: Uint8Array): string {
  const point = sigs.hash(message, BLS_SIGNATURE_DST).multiply(share.secret);
  return Buffer.concat([Buffer.from([share.identifier]), Buffer.from(point.toBytes(true))]).toString('hex');
}

/** True when `signatureHex` (96-byte compressed G2) is the network's signature on `message`. */
export function verifyNetworkSignature(publicKeyHex: string, message: Uint8Array, signatureHex: string): boolean {
  try {
    if (!/^[0-9a-fA-F]{192}$/.test(signatureHex)) return false;
    return sigs.verify(signatureHex, sigs.hash(message, BLS_SIGNATURE_DST), publicKeyHex);
  } catch {
    return false;
  }
}

/**
 * The secret that `shares` (at least one, all from one sharing) interpolate to at x = 0: the
 * network secret when given `threshold` consistent shares. Used to check saved shares.
 */
export function secretOfShares(shares: BlsKeyShare[]): bigint {
  if (shares.length === 0) throw new RangeError('no shares');
  let secret = 0n;
  for (const i of shares) {
    // Lagrange basis at 0: prod over j != i of x_j / (x_j - x_i).
    let basis = 1n;
    for (const j of shares) {
      if (j === i) continue;
      basis = Fr.mul(basis, Fr.div(BigInt(j.identifier), Fr.sub(BigInt(j.identifier), BigInt(i.identifier))));
    }
    secret = Fr.add(secret, Fr.mul(basis, i.secret));
  }
  return secret;
}

/** The network public key (hex like `publicKeyHex`) that `shares` make; see `secretOfShares`. */
export function networkPublicKeyOfShares(shares: BlsKeyShare[]): string {
  const secret = secretOfShares(shares);
  if (secret === 0n) throw new RangeError('shares interpolate to zero');
  return Buffer.from(bls12_381.G1.Point.BASE.multiply(secret).toBytes(true)).toString('hex');
}
