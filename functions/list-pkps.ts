/**
 * GET /pkps (admin): PKPs owned by the owner wallet. The owner address is public and read from
 * the stored delegation, so this function never needs the owner key.
 */
import { callerArn, apiHandler } from './commons/http';
import { runtimeConfig, tableAdapters } from './commons/composition';
import { litAdapters } from './commons/lit-composition';
import { requireAdmin } from './commons/domain/policy';
import { ServiceError } from './commons/errors';

export const handler = apiHandler(async (event) => {
  const config = runtimeConfig();
  requireAdmin(config.policy, callerArn(event));
  const record = await tableAdapters().delegations.getCurrent();
  if (!record) {
    throw new ServiceError('NO_VALID_DELEGATION', 'The owner address is not known yet: run the delegation refresher first', {
      details: { retryAfterSeconds: 60 },
    });
  }
  const pkps = await (await litAdapters()).chain.listOwnedBy(record.ownerAddress);
  const allowed = new Set(config.policy.callers.flatMap((c) => c.pkps));
  return {
    body: {
      ownerAddress: record.ownerAddress,
      pkps: pkps.map((p) => ({ ...p, inPolicy: allowed.has('*') || allowed.has(p.publicKey) })),
    },
  };
});
