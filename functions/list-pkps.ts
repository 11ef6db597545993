/**
 * GET /pkps (admin): PKPs owned by the owner wallet. The owner address is public and read from
 * the stored delegation, so this function never needs the owner key.
 */
import { apiHandler } from './commons/http';
import { runtimeConfig, tableAdapters } from './commons/composition';
import { litAdapters } from './commons/lit-composition';
import { pkpInPolicy } from './commons/domain/policy';
import { ServiceError } from './commons/errors';

// Admin only: the route table says so, apiHandler enforces it.
export const handler = apiHandler('ListPkps', async () => {
  const config = runtimeConfig();
  const record = await tableAdapters().delegations.getCurrent();
  if (!record) {
    throw new ServiceError('NO_VALID_DELEGATION', 'The owner address is not known yet: run the delegation refresher first', {
      details: { retryAfterSeconds: 60 },
    });
  }
  const pkps = await (await litAdapters()).chain.listOwnedBy(record.ownerAddress);
  return {
    body: {
      ownerAddress: record.ownerAddress,
      pkps: pkps.map((p) => ({ ...p, inPolicy: pkpInPolicy(config.policy, p.publicKey) })),
    },
  };
});
