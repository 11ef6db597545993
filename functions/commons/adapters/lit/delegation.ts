/**
 * DelegationSigner over the SDK's `createCapacityDelegationAuthSig` (local signing with the
 * owner key; the connected client only supplies the blockhash nonce).
 */
import type { CapacityDelegationParams, DelegationSigner } from '../../ports';
import type { AuthSigLike, LitNodeSet } from '../../ports';
import type { LitNodeClientInstance } from './client';
import type { LitConnection } from './connection';
import { mapLitError } from './errors';

export class LitDelegationSigner implements DelegationSigner {
  private lastClient: LitNodeClientInstance | undefined;

  constructor(private readonly connection: Pick<LitConnection<LitNodeClientInstance>, 'get'>) {}

  /**
   * The network of the client that signed last (for GET /health, which has no SDK): every node of
   * the Staking list, not only those that answered its handshake, and the threshold.
   */
  connectedNodes(): LitNodeSet | undefined {
    const c = this.lastClient as unknown as { config?: { bootstrapUrls?: string[]; minNodeCount?: number } } | undefined;
    const urls = [...(c?.config?.bootstrapUrls ?? [])].sort();
    const minNodeCount = c?.config?.minNodeCount;
    return urls.length > 0 && typeof minNodeCount === 'number' ? { urls, minNodeCount } : undefined;
  }

  async createCapacityDelegation(p: CapacityDelegationParams): Promise<AuthSigLike> {
    const client = await this.connection.get(p.deadlineMs);
    this.lastClient = client;
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
