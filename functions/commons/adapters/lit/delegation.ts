/**
 * DelegationSigner over the SDK's `createCapacityDelegationAuthSig` (local signing with the
 * owner key; the connected client only supplies the blockhash nonce).
 */
import type { CapacityDelegationParams, DelegationSigner } from '../../domain/lit-ports';
import type { AuthSigLike } from '../../ports';
import type { LitNodeClientInstance } from './client';
import type { LitConnection } from './connection';
import { mapLitError } from './errors';

export class LitDelegationSigner implements DelegationSigner {
  constructor(private readonly connection: Pick<LitConnection<LitNodeClientInstance>, 'get'>) {}

  async createCapacityDelegation(p: CapacityDelegationParams): Promise<AuthSigLike> {
    const client = await this.connection.get(p.deadlineMs);
    try {
      const { capacityDelegationAuthSig } = await client.createCapacityDelegationAuthSig({
        dAppOwnerWallet: p.owner as never,
        capacityTokenId: p.capacityTokenId,
        ...(p.delegateeAddresses ? { delegateeAddresses: p.delegateeAddresses } : {}),
        ...(p.uses ? { uses: p.uses } : {}),
        expiration: p.expiration.toISOString(),
      });
      return { ...capacityDelegationAuthSig };
    } catch (e) {
      throw mapLitError(e, 'capacity delegation');
    }
  }
}
