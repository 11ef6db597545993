/**
 * POST /delegation/refresh (admin): refresh the capacity delegation now. Body (optional):
 * `{ "force": false }` to refresh only when inside the margin; the default is to force. Rate
 * limited per caller and audited like an issuance.
 */
import { callerArn, apiHandler, parseJsonBody } from './commons/http';
import { ownerKey, runtimeConfig, tableAdapters } from './commons/composition';
import { litAdapters } from './commons/lit-composition';
import { refreshDelegation } from './commons/domain/delegation-refresher';
import { describeDelegation } from './commons/domain/delegation-view';
import { runAdminAction } from './commons/domain/admin-action';
import { ServiceError } from './commons/errors';
import { logger, metricsSink } from './commons/powertools';

function readForce(body: unknown): boolean {
  if (body === undefined) return true;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('body', 'must be a JSON object');
  for (const k of Object.keys(body)) if (k !== 'force') throw invalid(k, 'unknown field (known: force)');
  const force = (body as { force?: unknown }).force;
  if (force === undefined) return true;
  if (typeof force !== 'boolean') throw invalid('force', 'must be true or false');
  return force;
}

const invalid = (field: string, message: string) => new ServiceError('INVALID_REQUEST', `${field}: ${message}`, { details: { field } });

export const handler = apiHandler(async (event, ctx) => {
  const config = runtimeConfig();
  const table = tableAdapters();
  return runAdminAction(
    { config, rateLimiter: table.rateLimiter, auditLog: table.auditLog, logger },
    { requestId: ctx.requestId, caller: callerArn(event), action: 'refresh-delegation' },
    async () => {
      const force = readForce(parseJsonBody(event, config.maxBodyBytes));
      const lit = await litAdapters();
      const result = await refreshDelegation(
        { config, delegations: table.delegations, signer: lit.delegationSigner, capacity: lit.chain, ownerKey, metrics: metricsSink, logger },
        { force, deadlineMs: ctx.deadlineMs },
      );
      return { body: { outcome: result.outcome, delegation: result.record ? describeDelegation(result.record, Date.now()) : undefined } };
    },
  );
});
