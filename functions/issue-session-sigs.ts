/**
 * POST /session-sigs: PKP session signatures for one PKP and a set of resource abilities.
 *
 * Cold start: the Lit connection and the owner key fetch start at module load (Lambda's init
 * phase), in parallel, so the first request finds them under way (or done); nothing waits for
 * them but the request that needs them, as on Lambda. Their errors are swallowed here (no
 * unhandled rejection) and surface, mapped, when the request itself needs them.
 */
import { callerArn, apiHandler, parseJsonBody } from './commons/http';
import { ownerKey, runtimeConfig, tableAdapters } from './commons/composition';
import { litAdapters } from './commons/lit-composition';
import { issueSessionSigs } from './commons/domain/issue-session-sigs';
import { logger, metricsSink } from './commons/powertools';
import { scopedIssuer } from './commons/session-storage';
import { withDependencyBudget } from './commons/dependency-budget';

/** Time budget for the cold-start connection (Lambda init is capped at 10 s; the first request continues it). */
const WARM_UP_BUDGET_MS = 25_000;

function warmUp(): Promise<unknown> {
  return Promise.allSettled([ownerKey(), litAdapters().then((lit) => lit.connection.get(Date.now() + WARM_UP_BUDGET_MS))]);
}
// Without a config (a test importing the module) there is nothing to warm.
if (process.env.SERVICE_CONFIG) warmUp().catch(() => undefined);

export const handler = apiHandler('IssueSessionSigs', async (event, ctx) => {
  const caller = callerArn(event);
  const config = runtimeConfig();
  const lit = await litAdapters();
  const tables = tableAdapters();
  const deps = { config, ...tables, issuer: scopedIssuer(lit.issuer, tables.sessionScopes), ownerKey, metrics: metricsSink, logger };
  const input = { requestId: ctx.requestId, caller, readBody: () => parseJsonBody(event, config.maxBodyBytes), deadlineMs: ctx.deadlineMs };
  // Every table and Secrets Manager call of this request waits at most its budget, within the request's deadline.
  const result = await withDependencyBudget(ctx.deadlineMs, () => issueSessionSigs(deps, input));
  return { body: result };
});
