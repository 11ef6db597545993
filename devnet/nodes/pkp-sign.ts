/**
 * `POST /web/pkp/sign/v1`: a node's ECDSA share of a PKP signature, given only for a session sig
 * made for this node that the network's BLS key vouches for, and, on a paid network, paid for
 * by a capacity delegation.
 */
import { ethers } from 'ethers';
import { consumeCapacityDelegation } from './capacity-delegation';
import { ecdsaSignatureShare, type EcdsaShare } from './ecdsa-shares';
import type { NodeContext } from './node-context';
import { refuseUnless } from './node-error';
import { verifySessionSigForPkpSign } from './session-sig';
import { pkpAddressOf } from './sign-session-key';

export interface PkpSignResponse {
  success: true;
  signedData: number[];
  signatureShare: EcdsaShare;
}

export async function pkpSign(ctx: NodeContext, body: Record<string, unknown>): Promise<PkpSignResponse> {
  const { toSign, pubkey, authSig } = body;
  const pkpAddress = pkpAddressOf(pubkey);
  const publicKey = (pubkey as string).startsWith('0x') ? (pubkey as string) : `0x${pubkey as string}`;
  refuseUnless(
    Array.isArray(toSign) && toSign.length === 32 && toSign.every((b) => Number.isInteger(b) && b >= 0 && b <= 255),
    'NodeInvalidRequest',
    'toSign must be 32 bytes (a hash) as an array of numbers',
  );
  const tokenIdHex64 = ethers.utils.keccak256(publicKey).slice(2).toLowerCase();

  const capabilities = verifySessionSigForPkpSign(ctx, authSig, { address: pkpAddress, tokenIdHex64 });
  const privateKey = ctx.chainView.pkpPrivateKey(publicKey);
  refuseUnless(privateKey, 'NodePkpNotFound', 'this PKP was not minted on this network');
  try {
    if (ctx.requirePayment) await consumeCapacityDelegation(ctx, capabilities, pkpAddress);
    const digest = Uint8Array.from(toSign as number[]);
    return {
      success: true,
      signedData: Array.from(digest),
      signatureShare: ecdsaSignatureShare(privateKey, digest, ctx.signerCount(), ctx.index),
    };
  } finally {
    privateKey.fill(0);
  }
}
