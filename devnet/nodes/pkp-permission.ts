/**
 * `check_pkp_auth` (rust/lit-node/src/pkp/auth/mod.rs:294-677): may these authenticated identities
 * act for this PKP with these scopes? Read live from the chain on every call, as the node does, so
 * a revoked permission takes effect at once.
 *
 * Passes when, in this order: an auth method in the auth context is a permitted auth method of the
 * PKP with the scopes; an EthWallet method's address is the PKP NFT's owner (no scope check) or a
 * permitted address; a Lit Action CID in the context is permitted; the session's own address
 * (pkp/sign) is the owner or a permitted address. Scope 2 (sign personal message) is also met by
 * scope 1 (sign anything), not the other way round.
 */
import { ethers } from 'ethers';
import type { PermittedAuthMethod } from '../chain/chain-view';
import type { NodeContext } from './node-context';
import { PublicErrorRefusal, refuse } from './node-error';

/** Lit's auth method types the permission check names (pkp/auth/constants.rs). */
export const AUTH_METHOD_TYPE = { EthWallet: 1, LitAction: 2 } as const;

/** One verified auth method, as the node keeps it in an auth context (models/mod.rs:139-152). */
export interface AuthMethodContext {
  userId: string;
  appId: string;
  authMethodType: number;
  usedForSignSessionKeyRequest: boolean;
}

/** The node's AuthContext (models/mod.rs:125-137), serialised camelCase into the session's ReCap. */
export interface AuthContext {
  actionIpfsIds: string[];
  actionIpfsIdStack: string[];
  authSigAddress: string | null;
  authMethodContexts: AuthMethodContext[];
  resources: unknown[];
  customAuthResource: string;
}

export interface PkpAuthCheck {
  /** PKP token id, decimal. */
  tokenId: string;
  authContext: Pick<AuthContext, 'authMethodContexts' | 'actionIpfsIdStack'>;
  /** pkp/sign: the session's wallet/BLS capability address (`extract_wallet_sig`). */
  authSigAddress?: string;
  /** 1 for pkp/sign and execute (SignAnything), 2 for sign_session_key (SignPersonalMessage). */
  requiredScope: 1 | 2;
}

const keccakUtf8 = (text: string): string => ethers.utils.keccak256(ethers.utils.toUtf8Bytes(text)).toLowerCase();

function scopesMet(method: PermittedAuthMethod, required: 1 | 2): boolean {
  return method.scopes.includes(required) || (required === 2 && method.scopes.includes(1));
}

/** `is_any_user_address_format_permitted` (mod.rs:556-629). */
function addressPermitted(address: string, owner: string, permitted: PermittedAuthMethod[], required: 1 | 2): boolean {
  let parsed: string;
  try {
    parsed = ethers.utils.getAddress(address.toLowerCase());
  } catch {
    return false;
  }
  if (parsed === owner) return true; // the NFT owner, with no scope check (mod.rs:573-575)
  const ids = new Set([parsed.toLowerCase(), keccakUtf8(`${parsed.toLowerCase()}:lit`), keccakUtf8(`${parsed}:lit`)]);
  return permitted.some((m) => m.authMethodType === AUTH_METHOD_TYPE.EthWallet && ids.has(m.id) && scopesMet(m, required));
}

/** The ids an IPFS CID is permitted under: its base58 bytes (mod.rs:427-465). */
function cidBytesHex(cid: string): string | undefined {
  try {
    return ethers.utils.hexlify(ethers.utils.base58.decode(cid)).toLowerCase();
  } catch {
    return undefined;
  }
}

/** Resolves when the check passes; throws the node's refusal otherwise. */
export async function checkPkpAuth(ctx: Pick<NodeContext, 'chainView'>, check: PkpAuthCheck): Promise<void> {
  let permitted: PermittedAuthMethod[];
  try {
    permitted = await ctx.chainView.permittedAuthMethods(check.tokenId);
  } catch {
    throw refuse('NodeUnknownError', 'unexpected error: Error getting permitted auth methods', { kind: 'Unexpected', twice: false });
  }
  const owner = await ctx.chainView.pkpOwner(check.tokenId);
  if (owner === null) {
    throw new PublicErrorRefusal(
      'NodeContractResolverConversionFailed',
      ['unexpected error: Error getting owner of PKP: Contract call reverted with data: 0x'],
      { kind: 'Unexpected' },
    );
  }
  const required = check.requiredScope;
  for (const m of check.authContext.authMethodContexts) {
    const id = keccakUtf8(`${m.userId}:${m.appId}`);
    const entry = permitted.find((p) => p.authMethodType === m.authMethodType && p.id === id);
    if (entry && scopesMet(entry, required)) return;
    if (m.authMethodType === AUTH_METHOD_TYPE.EthWallet && addressPermitted(m.userId, owner, permitted, required)) return;
  }
  for (const cid of check.authContext.actionIpfsIdStack) {
    const id = cidBytesHex(cid);
    if (id && permitted.some((p) => p.authMethodType === AUTH_METHOD_TYPE.LitAction && p.id === id && scopesMet(p, required))) return;
  }
  if (check.authSigAddress !== undefined && addressPermitted(check.authSigAddress, owner, permitted, required)) return;
  throw new PublicErrorRefusal('NodeAuthSigScopeTooLimited', [`None of the AuthMethods, AuthSig or Lit Actions meet the requires scope [${required}].`], {
    kind: 'Validation',
  });
}
