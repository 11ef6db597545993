/**
 * GET /delegation: the current capacity delegation (token, expiry, uses, delegatees, version),
 * never its signature. Any caller the policy names may read it.
 */
import { callerArn, apiHandler } from './commons/http';
import { runtimeConfig, tableAdapters } from './commons/composition';
import { describeDelegation } from './commons/domain/delegation-view';
import { isDelegationUsable } from './commons/domain/delegation-limits';
import { requireCallerPolicy } from './commons/domain/policy';
import { ServiceError } from './commons/errors';

export const handler = apiHandler('GetDelegation', async (event) => {
  requireCallerPolicy(runtimeConfig().policy, callerArn(event));
  const record = await tableAdapters().delegations.getCurrent();
  if (!record) throw new ServiceError('NOT_FOUND', 'No capacity delegation has been created yet');
  const now = Date.now();
  return { body: { ...describeDelegation(record, now), valid: isDelegationUsable(record, now) } };
});
