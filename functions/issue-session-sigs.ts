/**
 * POST /session-sigs: PKP session signatures for one PKP and a set of resource abilities.
 *
 * Cold start: the Lit connection and the owner key fetch start at module load, in parallel, so
 * the first request finds them under way (or done). Their errors are swallowed here (no
 * unhandled rejection) and surface, mapped, when the request itself needs them.
 */
import { callerArn, apiHandler, parseJsonBody } from './commons/http';
import { lazy, ownerKey, runtimeConfig, tableAdapters } from './commons/composition';
import { withRepeatCaches } from './commons/environment-caches';
import { litAdapters } from './commons/lit-composition';
import { issueSessionSigs } from './commons/domain/issue-session-sigs';
import { logger, metricsSink } from './commons/powertools';
import { runInSessionScope } from './commons/session-storage';

/** Time budget for the cold-start connection (Lambda init is capped at 10 s; the first request continues it). */
const WARM_UP_BUDGET_MS = 25_000;

function warmUp(): Promise<unknown> {
  return Promise.allSettled([
    ownerKey(),
    litAdapters().then((lit) => lit.connection.get(Date.now() + WARM_UP_BUDGET_MS)),
  ]);
}
/** Started at module load; never rejects. */
export const warmedUp: Promise<unknown> = process.env.SERVICE_CONFIG ? warmUp().catch(() => undefined) : Promise.resolve();

/** The scope and delegation reads of a repeat answered from this environment's memory (environment-caches.ts). */
const issueTables = lazy(() => withRepeatCaches(tableAdapters()));

export const handler = apiHandler(async (event, ctx) => {
  const caller = callerArn(event);
  const config = runtimeConfig();
  const lit = await litAdapters();
  const result = await issueSessionSigs(
    {
      config,
      ...issueTables(),
      issuer: lit.issuer,
      ownerKey,
      runInScope: runInSessionScope,
      metrics: metricsSink,
      logger,
    },
    { requestId: ctx.requestId, caller, readBody: () => parseJsonBody(event, config.maxBodyBytes), deadlineMs: ctx.deadlineMs },
  );
  return { body: result };
});
