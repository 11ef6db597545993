/**
 * ECDSA signature shares for `pkpSign`, in the real node's wire form: lit-node's
 * `SignedMessageShare` (rust/lit-node/src/p2p_comms/web/models.rs:16-25, snake_case, no rename),
 * filled as rust/lit-node/src/tss/ecdsa_cait_sith/mod.rs:204-216 fills it, every hex value being
 * `serde_json::to_string` of a k256 value: a JSON-quoted UPPER-case hex string.
 *
 * Deliberate difference: Lit's nodes run cait-sith threshold ECDSA over key shares; the devnet
 * holds each PKP key whole (the chain's key vault) and splits a real RFC 6979 signature into
 * additive shares of `s` instead, one per member of the signing subset, all with the same R. The
 * split is deterministic in (key, digest, subset size), so every node of the subset computes the
 * same signature and returns its own share without the nodes talking to each other; the shares of
 * the subset's members sum to `s` (what the SDK's combineEcdsaShares adds up).
 */
import { createHmac } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1';

const N = secp256k1.CURVE.n;

/** lit-node's SignedMessageShare, as serialised on the wire. */
export interface SignedMessageShare {
  digest: string;
  result: string;
  share_index: number;
  signature_share: string;
  big_r: string;
  public_key: string;
  sig_type: string;
}

/** What a node outside the signing subset returns, with HTTP 200 (tss/common/tss_state.rs:220-230). */
export function failedMessageShare(): SignedMessageShare {
  return { digest: 'fail', result: 'fail', share_index: 0, signature_share: '', big_r: '', public_key: '', sig_type: '' };
}

/** serde_json of a k256 value: its upper-case hex, JSON-quoted (serdect `serialize_hex_upper_or_bin`). */
const quotedUpperHex = (bytes: Uint8Array): string => JSON.stringify(Buffer.from(bytes).toString('hex').toUpperCase());

const toBytes32 = (value: bigint): Uint8Array => Buffer.from(value.toString(16).padStart(64, '0'), 'hex');

/**
 * Share number `position` (0-based, in the subset sorted by node index) of `subsetSize` of the
 * signature of `digest` (32 bytes, below the curve order) by `privateKey`. The shares for
 * positions 0..subsetSize-1 sum to s mod n.
 */
export function ecdsaSignatureShare(privateKey: Uint8Array, digest: Uint8Array, subsetSize: number, position: number): SignedMessageShare {
  if (digest.length !== 32) throw new RangeError('digest must be 32 bytes');
  if (!Number.isInteger(subsetSize) || subsetSize < 1) throw new RangeError('subsetSize must be >= 1');
  if (!Number.isInteger(position) || position < 0 || position >= subsetSize) throw new RangeError('position out of range');
  const signature = secp256k1.sign(digest, privateKey, { lowS: true, prehash: false });
  const bigR = secp256k1.ProjectivePoint.fromHex(`${signature.recovery & 1 ? '03' : '02'}${signature.r.toString(16).padStart(64, '0')}`);
  // Every share but the last is a keyed hash of the request; the last makes the sum come out to s.
  const part = (i: number): bigint =>
    BigInt(`0x${createHmac('sha256', privateKey).update(digest).update(`devnet-ecdsa-share:${subsetSize}:${i}`).digest('hex')}`) % N;
  let share: bigint;
  if (position < subsetSize - 1) {
    share = part(position);
  } else {
    let others = 0n;
    for (let i = 0; i < subsetSize - 1; i++) others = (others + part(i)) % N;
    share = (((signature.s - others) % N) + N) % N;
  }
  return {
    digest: quotedUpperHex(digest),
    result: 'success',
    share_index: 0,
    signature_share: quotedUpperHex(toBytes32(share)),
    big_r: quotedUpperHex(bigR.toRawBytes(true)),
    public_key: quotedUpperHex(secp256k1.getPublicKey(privateKey, false)),
    sig_type: 'K256',
  };
}
