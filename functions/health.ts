/**
 * GET /health: readiness. Reports the delegation's usability and the capacity NFT's expiry (both
 * from the stored record), and whether the Lit network answers: a handshake with each node of the
 * network the refresher last signed through (kept with the delegation), ready when the network's
 * threshold answers, as issuing for a new scope needs. `?deep=true` (admins) asks the nodes now;
 * the plain check reuses this environment's last answer while it is under PLAIN_LIT_MAX_AGE_MS
 * old, so it follows the network within that time and cannot be made to load the nodes.
 * This function never bundles nor loads the Lit SDK (lit-node-probe.ts), so its cold start stays
 * that of a small function. 200 when ready, 503 when not, with the same body.
 */
import { apiHandler, callerArn, queryFlag } from './commons/http';
import { runtimeConfig, tableAdapters } from './commons/composition';
import { requireAdmin } from './commons/domain/policy';
import { describeDelegation } from './commons/domain/delegation-view';
import { isDelegationUsable } from './commons/domain/delegation-limits';
import { isServiceError } from './commons/errors';
import { createLitCheck } from './commons/lit-node-probe';
import type { DelegationRecord } from './commons/ports';

type Check = { ok: boolean; [k: string]: unknown };

/** How old an answer the plain check may give: a few probes a minute at most, per environment. */
const PLAIN_LIT_MAX_AGE_MS = 10_000;
const litCheck = createLitCheck({ maxAgeMs: PLAIN_LIT_MAX_AGE_MS });

export const handler = apiHandler('Health', async (event, ctx) => {
  const deep = queryFlag(event, 'deep');
  // A deep check sends a request to every Lit node: admins only, so that any principal with invoke
  // rights cannot make the function load the nodes.
  if (deep) requireAdmin(runtimeConfig().policy, callerArn(event));
  const now = Date.now();
  const checks: Record<string, Check> = {};

  let record: DelegationRecord | undefined;
  let readFailed = false;
  try {
    record = await tableAdapters().delegations.getCurrent();
    if (!record) checks.delegation = { ok: false, reason: 'none stored yet' };
    else {
      const view = describeDelegation(record, now);
      checks.delegation = { ok: isDelegationUsable(record, now), expiresAt: view.expiresAt, secondsLeft: view.secondsLeft, version: view.version };
      if (record.capacityExpiresAt !== undefined) {
        const left = Math.max(0, record.capacityExpiresAt - Math.floor(now / 1000));
        checks.capacity = { ok: left > 0, expiresAt: view.capacityExpiresAt, secondsLeft: left };
      }
    }
  } catch (e) {
    readFailed = true;
    checks.delegation = { ok: false, reason: isServiceError(e) ? e.code : 'INTERNAL' };
  }

  checks.lit = record?.litNodes
    ? { ...(await litCheck(record.litNodes, ctx.deadlineMs, deep)) }
    : {
        ok: false,
        reason: readFailed
          ? 'the Lit node list is kept with the delegation, which could not be read'
          : 'no Lit node list stored yet (the next delegation refresh records it)',
      };

  const ok = Object.values(checks).every((c) => c.ok);
  return { status: ok ? 200 : 503, body: { status: ok ? 'ok' : 'not-ready', checks } };
});
