/**
 * `POST /web/sign_session_key/v1`: a node's BLS share of a PKP's wallet sig over a session key,
 * given only after the node has checked, as Lit's nodes do, that the request is well formed,
 * fresh, and made by an auth method the PKP permits on chain.
 */
import { ethers } from 'ethers';
import { sessionSigningDigest, signShare } from './bls-network-key';
import { isWalletAuthSig, verifyWalletAuthSig } from './eth-auth-sig';
import type { NodeContext } from './node-context';
import { NodeRefusal, refuseUnless } from './node-error';
import { parseSiwe, timeOf } from './siwe-recap';

/** Lit's auth method type for an Ethereum wallet signature. */
export const AUTH_METHOD_TYPE_ETH_WALLET = 1;
/** Tolerated clock difference for `issuedAt` in the future. */
const CLOCK_SKEW_MS = 60_000;

export interface SignSessionKeyResponse {
  result: 'success';
  curveType: 'BLS';
  shareIndex: number;
  signatureShare: { ProofOfPossession: string };
  siweMessage: string;
  dataSigned: string;
  blsRootPubkey: string;
}

export function pkpAddressOf(pkpPublicKey: unknown): string {
  refuseUnless(typeof pkpPublicKey === 'string' && /^(0x)?04[0-9a-fA-F]{128}$/.test(pkpPublicKey), 'NodeInvalidRequest', 'pkpPublicKey must be an uncompressed secp256k1 key (0x04…)');
  return ethers.utils.computeAddress(pkpPublicKey.startsWith('0x') ? pkpPublicKey : `0x${pkpPublicKey}`);
}

export async function signSessionKey(ctx: NodeContext, body: Record<string, unknown>): Promise<SignSessionKeyResponse> {
  const { sessionKey, authMethods, pkpPublicKey, siweMessage, curveType } = body;
  refuseUnless(curveType === 'BLS', 'NodeInvalidRequest', 'curveType must be BLS');
  refuseUnless(typeof sessionKey === 'string' && /^lit:session:[0-9a-f]{64}$/.test(sessionKey), 'NodeInvalidRequest', 'sessionKey must be lit:session:<ed25519 public key hex>');
  const pkpAddress = pkpAddressOf(pkpPublicKey);
  const pkpKey = (pkpPublicKey as string).startsWith('0x') ? (pkpPublicKey as string) : `0x${pkpPublicKey as string}`;
  const now = ctx.now();

  const siwe = parseSiwe(siweMessage, 'siweMessage');
  refuseUnless(siwe.address.toLowerCase() === pkpAddress.toLowerCase(), 'NodeInvalidSiwe', "siweMessage address is not the PKP's address");
  refuseUnless(siwe.uri === sessionKey, 'NodeInvalidSiwe', 'siweMessage uri is not the session key');
  refuseUnless(timeOf(siwe.expirationTime) > now, 'NodeAuthSigExpired', 'siweMessage has no expiration time or has expired');
  refuseUnless(!(timeOf(siwe.issuedAt) > now + CLOCK_SKEW_MS), 'NodeInvalidSiwe', 'siweMessage is issued in the future');
  refuseUnless(!(timeOf(siwe.notBefore) > now), 'NodeInvalidSiwe', 'siweMessage is not valid yet (notBefore)');
  refuseUnless(ctx.chainView.isRecentBlockhash(siwe.nonce), 'NodeInvalidBlockhash', 'siweMessage nonce is not a recent block hash');

  refuseUnless(Array.isArray(authMethods) && authMethods.length > 0, 'NodeInvalidRequest', 'authMethods must be a non-empty array');
  const authenticated: string[] = [];
  for (const [i, method] of (authMethods as unknown[]).entries()) {
    const m = method as { authMethodType?: unknown; accessToken?: unknown } | null;
    refuseUnless(m && typeof m === 'object', 'NodeInvalidRequest', `authMethods[${i}] is not an object`);
    if (m.authMethodType !== AUTH_METHOD_TYPE_ETH_WALLET) {
      // Echo the type only when it is a number: a caller who swapped the fields would see their token in the error.
      const type = typeof m.authMethodType === 'number' ? String(m.authMethodType) : '(not a number)';
      throw new NodeRefusal('NodeUnsupportedAuthMethod', `authMethods[${i}]: auth method type ${type} is not supported by the devnet (only 1, EthWallet)`);
    }
    let authSig: unknown;
    try {
      authSig = JSON.parse(String(m.accessToken));
    } catch {
      throw new NodeRefusal('NodeInvalidAuthSig', `authMethods[${i}]: accessToken is not a JSON auth sig`);
    }
    refuseUnless(isWalletAuthSig(authSig), 'NodeInvalidAuthSig', `authMethods[${i}]: accessToken is not an auth sig`);
    const verified = verifyWalletAuthSig(authSig, now, { invalid: 'NodeInvalidAuthSig', expired: 'NodeAuthSigExpired' }, `authMethods[${i}] auth sig`);
    authenticated.push(verified.address);
  }

  let permitted = false;
  for (const address of authenticated) {
    if (await ctx.chainView.isPermittedEthWallet(pkpKey, address)) {
      permitted = true;
      break;
    }
  }
  refuseUnless(permitted, 'NodeNotAuthorized', 'none of the auth methods is permitted for this PKP');

  const digest = sessionSigningDigest(siweMessage as string);
  return {
    result: 'success',
    curveType: 'BLS',
    shareIndex: ctx.index,
    signatureShare: { ProofOfPossession: signShare(ctx.blsShare, digest) },
    siweMessage: siweMessage as string,
    dataSigned: Buffer.from(digest).toString('hex'),
    blsRootPubkey: ctx.networkPublicKeyHex,
  };
}
