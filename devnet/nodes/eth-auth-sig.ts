/**
 * EIP-191 wallet auth sigs (`derivedVia: web3.eth.personal.sign`): what an EthWallet auth method
 * carries, and what a capacity delegation is.
 */
import { ethers } from 'ethers';
import type { SiweMessage } from 'siwe';
import { NodeRefusal, type NodeErrorCode } from './node-error';
import { parseSiwe, timeOf } from './siwe-recap';

export interface WalletAuthSig {
  sig: string;
  signedMessage: string;
  address: string;
  derivedVia?: string;
  algo?: string;
}

export interface VerifiedWalletSig {
  /** Checksummed signer. */
  address: string;
  siwe: SiweMessage;
}

export function isWalletAuthSig(value: unknown): value is WalletAuthSig {
  const v = value as Partial<WalletAuthSig> | null;
  return !!v && typeof v === 'object' && typeof v.sig === 'string' && typeof v.signedMessage === 'string' && typeof v.address === 'string';
}

/**
 * Checks that `authSig.sig` is the EIP-191 signature of `signedMessage` by `address`, that the
 * message is a SIWE message from that address, and that it has an expiration time that has not
 * passed (and no notBefore still ahead).
 */
export function verifyWalletAuthSig(
  authSig: WalletAuthSig,
  now: number,
  codes: { invalid: NodeErrorCode; expired: NodeErrorCode },
  what: string,
): VerifiedWalletSig {
  let claimed: string;
  let recovered: string;
  try {
    claimed = ethers.utils.getAddress(authSig.address);
    recovered = ethers.utils.verifyMessage(authSig.signedMessage, authSig.sig);
  } catch {
    throw new NodeRefusal(codes.invalid, `${what}: signature or address is malformed`);
  }
  if (recovered !== claimed) throw new NodeRefusal(codes.invalid, `${what}: signature does not recover to its address`);
  const siwe = parseSiwe(authSig.signedMessage, `${what} signedMessage`);
  let siweAddress: string;
  try {
    siweAddress = ethers.utils.getAddress(siwe.address);
  } catch {
    throw new NodeRefusal('NodeInvalidSiwe', `${what}: SIWE address is malformed`);
  }
  if (siweAddress !== claimed) throw new NodeRefusal(codes.invalid, `${what}: SIWE address is not the signer`);
  // An auth sig must say when it stops being valid: without this, omitting the field would make one valid forever.
  if (siwe.expirationTime === undefined) throw new NodeRefusal(codes.invalid, `${what} has no expiration time`);
  if (!(timeOf(siwe.expirationTime) > now)) throw new NodeRefusal(codes.expired, `${what} has expired`);
  if (siwe.notBefore !== undefined && timeOf(siwe.notBefore) > now) throw new NodeRefusal(codes.invalid, `${what} is not valid yet (notBefore)`);
  return { address: claimed, siwe };
}
