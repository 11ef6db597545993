/**
 * Payment for pkpSign on Lit's paid networks: a capacity delegation auth sig among the session
 * sig's capabilities, signed (EIP-191) by the current owner of an unexpired capacity credits NFT
 * (RateLimitNFT), naming that token, unexpired, delegating to this PKP (when it names anyone),
 * and not used up.
 */
import { isWalletAuthSig, verifyWalletAuthSig, type WalletAuthSig } from './eth-auth-sig';
import type { NodeContext } from './node-context';
import { NodeRefusal, refuseUnless } from './node-error';
import { parseSiwe, recapAttenuations } from './siwe-recap';
import { UsageLedger } from './usage-ledger';

const RLI_PREFIX = 'lit-ratelimitincrease://';
const DELEGATION_ABILITY = 'Auth/Auth';

interface DelegationRestriction {
  delegate_to?: unknown;
  nft_id?: unknown;
  uses?: unknown;
}

/** True when a capability looks like a capacity delegation (a ReCap over lit-ratelimitincrease). */
function isDelegationCandidate(capability: unknown): capability is WalletAuthSig {
  if (!isWalletAuthSig(capability) || (capability as { algo?: string }).algo === 'LIT_BLS') return false;
  return capability.signedMessage.includes('urn:recap:') && capability.signedMessage.includes('lit:capability:delegation');
}

/**
 * Finds a valid capacity delegation for `pkpAddress` among `capabilities` and counts one use of
 * it on this node. Refuses with the first candidate's reason when none is valid.
 */
export async function consumeCapacityDelegation(ctx: NodeContext, capabilities: unknown[], pkpAddress: string): Promise<void> {
  const candidates = capabilities.filter(isDelegationCandidate);
  refuseUnless(candidates.length > 0, 'NodeCapacityDelegationRequired', 'this network requires a capacity delegation among the session sig capabilities');
  let firstRefusal: NodeRefusal | undefined;
  for (const candidate of candidates) {
    try {
      const { key, uses } = await checkDelegation(ctx, candidate, pkpAddress);
      refuseUnless(ctx.usage.tryConsume(key, ctx.index, uses), 'NodeCapacityDelegationExhausted', 'the capacity delegation has no uses left');
      return;
    } catch (e) {
      if (!(e instanceof NodeRefusal)) throw e;
      firstRefusal ??= e;
    }
  }
  throw firstRefusal as NodeRefusal;
}

async function checkDelegation(ctx: NodeContext, authSig: WalletAuthSig, pkpAddress: string): Promise<{ key: string; uses: number | undefined }> {
  const now = ctx.now();
  const { address: delegator } = verifyWalletAuthSig(
    authSig,
    now,
    { invalid: 'NodeInvalidCapacityDelegation', expired: 'NodeCapacityDelegationExpired' },
    'capacity delegation',
  );
  const siwe = parseSiwe(authSig.signedMessage, 'capacity delegation');
  refuseUnless(siwe.expirationTime !== undefined, 'NodeInvalidCapacityDelegation', 'capacity delegation has no expiration time');
  refuseUnless(siwe.uri === 'lit:capability:delegation', 'NodeInvalidCapacityDelegation', 'capacity delegation uri must be lit:capability:delegation');
  const att = recapAttenuations(siwe);
  const entries = Object.entries(att).filter(([key, abilities]) => key.startsWith(RLI_PREFIX) && abilities[DELEGATION_ABILITY] !== undefined);
  refuseUnless(entries.length > 0, 'NodeInvalidCapacityDelegation', `capacity delegation grants no ${DELEGATION_ABILITY} on a ${RLI_PREFIX} resource`);
  const [resourceKey, abilities] = entries[0];
  const restriction = (abilities[DELEGATION_ABILITY][0] ?? {}) as DelegationRestriction;

  const tokenIds = Array.isArray(restriction.nft_id) ? restriction.nft_id.map(String) : [];
  const fromKey = resourceKey.slice(RLI_PREFIX.length);
  if (tokenIds.length === 0 && fromKey !== '*') tokenIds.push(fromKey);
  refuseUnless(tokenIds.length > 0, 'NodeInvalidCapacityDelegation', 'capacity delegation names no capacity token');
  refuseUnless(fromKey === '*' || tokenIds.includes(fromKey), 'NodeInvalidCapacityDelegation', 'capacity delegation resource and nft_id disagree');
  for (const tokenId of tokenIds) {
    const token = await ctx.chainView.capacityToken(tokenId);
    refuseUnless(token, 'NodeCapacityTokenInvalid', `capacity token ${tokenId} does not exist`);
    refuseUnless(token.owner === delegator, 'NodeCapacityTokenInvalid', `capacity delegation is not signed by the owner of capacity token ${tokenId}`);
    refuseUnless(token.expiresAt * 1000 > now, 'NodeCapacityTokenInvalid', `capacity token ${tokenId} has expired`);
  }

  // A delegate_to that is not a list is malformed, not unrestricted: reading it as "anyone" would
  // let any PKP spend a delegation its owner meant for one.
  refuseUnless(restriction.delegate_to === undefined || Array.isArray(restriction.delegate_to), 'NodeInvalidCapacityDelegation', 'capacity delegation delegate_to must be a list of addresses');
  if (Array.isArray(restriction.delegate_to) && restriction.delegate_to.length > 0) {
    const pkp = pkpAddress.toLowerCase().replace(/^0x/, '');
    const delegatees = restriction.delegate_to.map((a) => String(a).toLowerCase().replace(/^0x/, ''));
    refuseUnless(delegatees.includes(pkp), 'NodeCapacityDelegationNotForPkp', 'capacity delegation does not delegate to this PKP');
  }
  let uses: number | undefined;
  if (restriction.uses !== undefined) {
    uses = Number(restriction.uses);
    refuseUnless(Number.isInteger(uses) && uses >= 0, 'NodeInvalidCapacityDelegation', 'capacity delegation uses is not a whole number');
  }
  const key = UsageLedger.keyOf(delegator, authSig.sig);
  return { key, uses };
}

