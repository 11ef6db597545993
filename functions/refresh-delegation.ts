/**
 * POST /delegation/refresh (admin): refresh the capacity delegation now. Body (optional):
 * `{ "force": false }` to refresh only when inside the margin; the default is to force. Rate
 * limited per caller and audited like an issuance; takes an `Idempotency-Key` header like
 * POST /pkps (commons/idempotency.ts).
 */
import { callerArn, apiHandler, parseJsonBody } from './commons/http';
import { runtimeConfig, tableAdapters } from './commons/composition';
import { refresherDeps } from './commons/lit-composition';
import { refreshDelegation } from './commons/domain/delegation-refresher';
import { describeDelegation } from './commons/domain/delegation-view';
import { runAdminAction } from './commons/domain/admin-action';
import { parseRefreshRequest } from './commons/domain/admin-requests';
import { rateLimitSubject } from './commons/domain/policy';
import { IDEMPOTENCY_REPLAYED_HEADER, idempotentRoute, readIdempotencyKey } from './commons/idempotency';
import { logger } from './commons/powertools';

const FUNCTION_ID = 'RefreshDelegation';
const idempotent = idempotentRoute<{ outcome: string; delegation?: unknown }>(FUNCTION_ID);

export const handler = apiHandler(FUNCTION_ID, async (event, ctx) => {
  const caller = callerArn(event);
  const config = runtimeConfig();
  const table = tableAdapters();
  return runAdminAction(
    { config, rateLimiter: table.rateLimiter, auditLog: table.auditLog, logger },
    { requestId: ctx.requestId, caller, action: 'refresh-delegation' },
    async () => {
      const request = parseRefreshRequest(parseJsonBody(event, config.maxBodyBytes));
      // A repeat signs one more delegation (no chain transaction): harmless, but the Idempotency-Key
      // is honoured as on POST /pkps, so a client has one rule for the admin routes that change things.
      const key = readIdempotencyKey(event.headers);
      const { result, replayed } = await idempotent({ subject: rateLimitSubject(caller), key, request, deadlineMs: ctx.deadlineMs }, async () => {
        const refreshed = await refreshDelegation(await refresherDeps(), { force: request.force, deadlineMs: ctx.deadlineMs });
        return { outcome: refreshed.outcome, delegation: refreshed.record ? describeDelegation(refreshed.record, Date.now()) : undefined };
      });
      return { body: result, headers: key === undefined ? undefined : { [IDEMPOTENCY_REPLAYED_HEADER]: String(replayed) } };
    },
  );
});
