/**
 * POST /pkps (admin): mint a PKP owned by the owner wallet, with the owner's address permitted as
 * an EthWallet auth method, so the service can authenticate to it. The new PKP is usable once the
 * policy names it and the delegation is refreshed (the policy lives in the deployed config). Rate
 * limited per caller and audited (the record names the minted PKP).
 */
import { callerArn, apiHandler } from './commons/http';
import { ownerKey, runtimeConfig, tableAdapters } from './commons/composition';
import { litAdapters } from './commons/lit-composition';
import { runAdminAction } from './commons/domain/admin-action';
import { logger } from './commons/powertools';

export const handler = apiHandler(async (event, ctx) => {
  const table = tableAdapters();
  return runAdminAction(
    { config: runtimeConfig(), rateLimiter: table.rateLimiter, auditLog: table.auditLog, logger },
    { requestId: ctx.requestId, caller: callerArn(event), action: 'mint-pkp' },
    async (audit) => {
      const owner = await ownerKey();
      const pkp = await (await litAdapters()).chain.mintForOwner(owner, ctx.deadlineMs);
      audit.pkpPublicKey = pkp.publicKey;
      logger.info('PKP minted', { tokenId: pkp.tokenId, ethAddress: pkp.ethAddress });
      return { status: 201, body: { pkp, note: 'Add publicKey to the caller policy and redeploy; the next delegation refresh includes it' } };
    },
  );
});
