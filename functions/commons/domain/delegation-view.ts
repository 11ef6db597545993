/**
 * The public view of a delegation, for GET /delegation and /health: everything but the
 * signature. Kept apart from the refresher so those light functions load no ethers/SDK code.
 */
import type { DelegationRecord } from '../ports';

export function describeDelegation(record: DelegationRecord, nowMs: number): DelegationView {
  return {
    version: record.version,
    capacityTokenId: record.capacityTokenId,
    delegatees: record.delegatees,
    uses: record.uses ?? 'unlimited',
    ownerAddress: record.ownerAddress,
    issuedAt: new Date(record.issuedAt * 1000).toISOString(),
    expiresAt: new Date(record.expiresAt * 1000).toISOString(),
    secondsLeft: Math.max(0, record.expiresAt - Math.floor(nowMs / 1000)),
    capacityExpiresAt: record.capacityExpiresAt === undefined ? undefined : new Date(record.capacityExpiresAt * 1000).toISOString(),
  };
}

export interface DelegationView {
  version: number;
  capacityTokenId: string;
  delegatees: string[] | 'unrestricted';
  uses: string;
  ownerAddress: string;
  issuedAt: string;
  expiresAt: string;
  secondsLeft: number;
  capacityExpiresAt?: string;
}
