/**
 * POST /delegation/refresh (admin): refresh the capacity delegation now. Body (optional):
 * `{ "force": false }` to refresh only when inside the margin; the default is to force. Rate
 * limited per caller and audited like an issuance; takes an `Idempotency-Key` header like
 * POST /pkps (commons/idempotency.ts).
 */
import { callerArn, apiHandler, parseJsonBody } from './commons/http';
import { ownerKey, runtimeConfig, tableAdapters } from './commons/composition';
import { litAdapters } from './commons/lit-composition';
import { refreshDelegation } from './commons/domain/delegation-refresher';
import { describeDelegation } from './commons/domain/delegation-view';
import { runAdminAction } from './commons/domain/admin-action';
import { rateLimitSubject } from './commons/domain/policy';
import { invalid, isObj, refuseUnknownFields } from './commons/domain/request-fields';
import { IDEMPOTENCY_REPLAYED_HEADER, idempotentRoute, readIdempotencyKey } from './commons/idempotency';
import { logger, metricsSink } from './commons/powertools';

function readForce(body: unknown): boolean {
  if (body === undefined) return true;
  if (!isObj(body)) throw invalid('body', 'must be a JSON object');
  refuseUnknownFields(body, ['force'], '');
  const force = body.force;
  if (force === undefined) return true;
  if (typeof force !== 'boolean') throw invalid('force', 'must be true or false');
  return force;
}

const idempotent = idempotentRoute<{ outcome: string; delegation?: unknown }>('RefreshDelegation');

export const handler = apiHandler(async (event, ctx) => {
  const caller = callerArn(event);
  const config = runtimeConfig();
  const table = tableAdapters();
  return runAdminAction({ config, rateLimiter: table.rateLimiter, auditLog: table.auditLog, logger }, { requestId: ctx.requestId, caller, action: 'refresh-delegation' }, async () => {
    const force = readForce(parseJsonBody(event, config.maxBodyBytes));
    // A repeat signs one more delegation (no chain transaction): harmless, but the Idempotency-Key
    // is honoured as on POST /pkps, so a client has one rule for the admin routes that change things.
    const key = readIdempotencyKey(event.headers);
    const { result, replayed } = await idempotent({ subject: rateLimitSubject(caller), key, request: { force }, deadlineMs: ctx.deadlineMs }, async () => {
      const lit = await litAdapters();
      const refreshed = await refreshDelegation(
        { config, delegations: table.delegations, signer: lit.delegationSigner, capacity: lit.chain, ownerKey, metrics: metricsSink, logger },
        { force, deadlineMs: ctx.deadlineMs },
      );
      return { outcome: refreshed.outcome, delegation: refreshed.record ? describeDelegation(refreshed.record, Date.now()) : undefined };
    });
    return { body: result, headers: key === undefined ? undefined : { [IDEMPOTENCY_REPLAYED_HEADER]: String(replayed) } };
  });
});
