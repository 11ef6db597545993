/**
 * POST /pkps (admin): mint a PKP owned by the owner wallet, with the owner's address permitted as
 * an EthWallet auth method, so the service can authenticate to it. The new PKP is usable once the
 * policy names it and the delegation is refreshed (the policy lives in the deployed config).
 */
import { callerArn, apiHandler } from './commons/http';
import { ownerKey, runtimeConfig } from './commons/composition';
import { litAdapters } from './commons/lit-composition';
import { requireAdmin } from './commons/domain/policy';
import { logger } from './commons/powertools';

export const handler = apiHandler(async (event, ctx) => {
  requireAdmin(runtimeConfig().policy, callerArn(event));
  const owner = await ownerKey();
  const pkp = await (await litAdapters()).chain.mintForOwner(owner, ctx.deadlineMs);
  logger.info('PKP minted', { tokenId: pkp.tokenId, ethAddress: pkp.ethAddress });
  return { status: 201, body: { pkp, note: 'Add publicKey to the caller policy and redeploy; the next delegation refresh includes it' } };
});
