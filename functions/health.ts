/**
 * GET /health: readiness. Reports the delegation's validity and the capacity NFT's expiry (both
 * from the stored record), and the Lit connection only when this environment has loaded the SDK
 * already or an admin caller asks `?deep=true` (then it connects: slow, and loads the SDK).
 * 200 when ready, 503 when not, with the same body.
 */
import { apiHandler, callerArn, queryFlag } from './commons/http';
import { runtimeConfig, tableAdapters } from './commons/composition';
import { requireAdmin } from './commons/domain/policy';
import { litAdapters } from './commons/lit-composition';
import { describeDelegation } from './commons/domain/delegation-view';
import { DELEGATION_MIN_REMAINING_SECONDS } from './commons/domain/delegation-limits';
import { isServiceError } from './commons/errors';
import { isLitSdkLoaded } from './commons/adapters/lit/sdk';

type Check = { ok: boolean; [k: string]: unknown };

export const handler = apiHandler(async (event, ctx) => {
  const deep = queryFlag(event, 'deep');
  // A deep check opens a Lit connection (slow, and load on the nodes): admins only, so that any
  // principal with invoke rights cannot make every environment connect.
  if (deep) requireAdmin(runtimeConfig().policy, callerArn(event));
  const now = Date.now();
  const checks: Record<string, Check> = {};

  try {
    const record = await tableAdapters().delegations.getCurrent();
    if (!record) checks.delegation = { ok: false, reason: 'none stored yet' };
    else {
      const view = describeDelegation(record, now);
      checks.delegation = { ok: view.secondsLeft > DELEGATION_MIN_REMAINING_SECONDS, expiresAt: view.expiresAt, secondsLeft: view.secondsLeft, version: view.version };
      if (record.capacityExpiresAt !== undefined) {
        const left = Math.max(0, record.capacityExpiresAt - Math.floor(now / 1000));
        checks.capacity = { ok: left > 0, expiresAt: view.capacityExpiresAt, secondsLeft: left };
      }
    }
  } catch (e) {
    checks.delegation = { ok: false, reason: isServiceError(e) ? e.code : 'INTERNAL' };
  }

  if (deep || isLitSdkLoaded()) {
    const lit = await litAdapters();
    if (deep) {
      try {
        await lit.connection.get(ctx.deadlineMs);
      } catch (e) {
        checks.lit = { ok: false, state: lit.connection.state(), reason: isServiceError(e) ? e.code : 'INTERNAL' };
      }
    }
    checks.lit ??= { ok: lit.connection.state() === 'ready', state: lit.connection.state() };
  }

  const ok = Object.values(checks).every((c) => c.ok);
  return { status: ok ? 200 : 503, body: { status: ok ? 'ok' : 'not-ready', checks } };
});
