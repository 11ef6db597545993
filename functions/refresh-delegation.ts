/**
 * POST /delegation/refresh (admin): refresh the capacity delegation now. Body (optional):
 * `{ "force": false }` to refresh only when inside the margin; the default is to force.
 */
import { callerArn, apiHandler, parseJsonBody } from './commons/http';
import { ownerKey, runtimeConfig, tableAdapters } from './commons/composition';
import { litAdapters } from './commons/lit-composition';
import { refreshDelegation } from './commons/domain/delegation-refresher';
import { describeDelegation } from './commons/domain/delegation-view';
import { requireAdmin } from './commons/domain/policy';
import { invalid, isObj, refuseUnknownFields } from './commons/domain/request-fields';
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

export const handler = apiHandler(async (event, ctx) => {
  const config = runtimeConfig();
  requireAdmin(config.policy, callerArn(event));
  const force = readForce(parseJsonBody(event, config.maxBodyBytes));
  const lit = await litAdapters();
  const result = await refreshDelegation(
    { config, delegations: tableAdapters().delegations, signer: lit.delegationSigner, capacity: lit.chain, ownerKey, metrics: metricsSink, logger },
    { force, deadlineMs: ctx.deadlineMs },
  );
  return { body: { outcome: result.outcome, delegation: result.record ? describeDelegation(result.record, Date.now()) : undefined } };
});
