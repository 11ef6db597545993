/**
 * POST /pkps (admin): mint a PKP owned by the owner wallet, with the owner's address permitted as
 * an EthWallet auth method, so the service can authenticate to it. The new PKP is usable once the
 * policy names it and the delegation is refreshed (the policy lives in the deployed config). Rate
 * limited per caller and audited (the record names the minted PKP).
 *
 * The body carries nothing: absent, empty, or `{}` (what many clients send with a POST). Anything
 * else is refused like a bad body on any route, before anything reaches the chain. Minting is an
 * on-chain transaction, so a client that retries after a timeout would mint twice: it sends an
 * `Idempotency-Key` header and gets the first PKP back instead (commons/idempotency.ts).
 */
import { callerArn, apiHandler, parseJsonBody } from './commons/http';
import { ownerKey, runtimeConfig, tableAdapters } from './commons/composition';
import { litAdapters } from './commons/lit-composition';
import { runAdminAction } from './commons/domain/admin-action';
import { parseMintRequest } from './commons/domain/admin-requests';
import { rateLimitSubject } from './commons/domain/policy';
import { IDEMPOTENCY_REPLAYED_HEADER, idempotentRoute, readIdempotencyKey } from './commons/idempotency';
import { logger } from './commons/powertools';

/** The route-table id of this function: its idempotency records' partition. */
const FUNCTION_ID = 'MintPkp';

const idempotent = idempotentRoute<{ pkp: { publicKey: string; tokenId: string; ethAddress: string }; note: string }>(FUNCTION_ID);

export const handler = apiHandler(FUNCTION_ID, async (event, ctx) => {
  const caller = callerArn(event);
  const config = runtimeConfig();
  const table = tableAdapters();
  return runAdminAction(
    { config, rateLimiter: table.rateLimiter, auditLog: table.auditLog, logger },
    { requestId: ctx.requestId, caller, action: 'mint-pkp' },
    async (audit) => {
      const request = parseMintRequest(parseJsonBody(event, config.maxBodyBytes));
      const key = readIdempotencyKey(event.headers);
      const { result, replayed } = await idempotent({ subject: rateLimitSubject(caller), key, request, deadlineMs: ctx.deadlineMs }, async () => {
        const owner = await ownerKey();
        const pkp = await (await litAdapters()).chain.mintForOwner(owner, ctx.deadlineMs);
        logger.info('PKP minted', { tokenId: pkp.tokenId, ethAddress: pkp.ethAddress });
        return { pkp, note: 'Add publicKey to the caller policy and redeploy; the next delegation refresh includes it' };
      });
      audit.pkpPublicKey = result.pkp.publicKey;
      if (replayed) logger.info('PKP mint replayed for its Idempotency-Key');
      return { status: 201, body: result, headers: key === undefined ? undefined : { [IDEMPOTENCY_REPLAYED_HEADER]: String(replayed) } };
    },
  );
});
