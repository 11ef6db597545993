/**
 * DynamoDB adapters for the storage ports, all over ONE table (keys from `commons/table.ts`).
 *
 * Item design (pk / sk → attributes; `expiresAt` is the table's TTL attribute, unix seconds):
 *
 * | pk | sk | attributes | TTL |
 * | --- | --- | --- | --- |
 * | `SCOPE#<sha256(pkp \0 caller \0 authIdentity)>` | `STORAGE` | pkpPublicKey, caller, authIdentity (for operators), `entries` (map of the SDK's localStorage strings: session key pair, wallet sig), `version`, `updatedAt` | the wallet sig's expiry |
 * | `DELEGATION` | `CURRENT` | version, capacityTokenId, authSig (map), delegatees (list, or 'unrestricted'), uses, issuedAt, delegationExpiresAt, ownerAddress, capacityExpiresAt, updatedAt | none (see delegation-store.ts) |
 * | `DELEGATION` | `V#<version, 10 digits>` | the same metadata without the auth sig | delegation expiry + 30 days |
 * | `RATE#<sha256(caller)>`, `RATE#<sha256(caller)>#<shard>` | `W#<minutes since epoch>` | `count` (one shard's share of the limit) | window end + 5 minutes |
 * | `AUDIT#<yyyy-mm-dd>#<shard 00..31>` | `<iso time>#<requestId>` | requestId, caller, pkpPublicKey, resources, expiration, outcome, errorCode, walletSigSource, litActionCid, litActionInline, at | at + auditRetentionDays |
 *
 * Every read treats an item whose `expiresAt` lies in the past as absent: DynamoDB deletes
 * expired items only eventually (up to days later) and DynamoDB Local never does.
 *
 * Errors: conditional writes that lose a race return false; every other failure is a
 * `ServiceError('STORAGE_UNAVAILABLE')` naming the operation, never the item's contents.
 *
 * Create the client once at module scope and pass it in: the AWS SDK reads
 * `AWS_ENDPOINT_URL_DYNAMODB`, so the same code talks to DynamoDB Local when that is set.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AuditLog, DelegationStore, RateLimiter, SessionScopeStore } from '../../ports';
import { DelegationCache, type CurrentDelegation } from '../../domain/delegation-cache';
import { MemoryCachedScopeStore } from '../../session-storage/scope-memory';
import { CONFIG_DEFAULTS } from '../../config';
import { DynamoAuditLog } from './audit-log';
import { DynamoDelegationStore } from './delegation-store';
import { DynamoRateLimiter } from './rate-limiter';
import { DynamoSessionScopeStore } from './session-scope-store';

export { DynamoAuditLog, listAuditDay } from './audit-log';
export { DynamoDelegationStore } from './delegation-store';
export { DynamoRateLimiter } from './rate-limiter';
export { DynamoSessionScopeStore } from './session-scope-store';
export { scopeDigest } from './keys';

export interface DynamoAdaptersOptions {
  tableName: string;
  /** Defaults to a new `DynamoDBClient()` (region and endpoint from the environment). */
  client?: DynamoDBClient;
  /** TTL of audit records. @default CONFIG_DEFAULTS.observability.auditRetentionDays */
  auditRetentionDays?: number;
  /** Keep `V#<version>` history items of delegation refreshes. @default true */
  keepDelegationHistory?: boolean;
  /** Unix ms clock, for tests that move time instead of sleeping. @default Date.now */
  now?: () => number;
  /**
   * Keep scopes and the delegation in memory between requests (scope-memory.ts,
   * delegation-cache.ts): what a function's execution environment does. @default false
   */
  environmentCaches?: boolean;
}

export interface DynamoAdapters {
  sessionScopes: SessionScopeStore;
  delegations: DelegationStore;
  rateLimiter: RateLimiter;
  auditLog: AuditLog;
  /** With `environmentCaches`: the delegation cache issuing reads through. */
  delegationCache?: CurrentDelegation;
}

export function createDynamoAdapters(options: DynamoAdaptersOptions): DynamoAdapters {
  const deps = { client: options.client ?? new DynamoDBClient({}), tableName: options.tableName, now: options.now ?? Date.now };
  const scopes = new DynamoSessionScopeStore(deps);
  const delegations = new DynamoDelegationStore({ ...deps, keepHistory: options.keepDelegationHistory ?? true });
  const caches = options.environmentCaches === true;
  return {
    sessionScopes: caches ? new MemoryCachedScopeStore(scopes, { now: deps.now }) : scopes,
    delegations,
    rateLimiter: new DynamoRateLimiter(deps),
    auditLog: new DynamoAuditLog({ ...deps, retentionDays: options.auditRetentionDays ?? CONFIG_DEFAULTS.observability.auditRetentionDays }),
    ...(caches ? { delegationCache: new DelegationCache(delegations, { now: deps.now }) } : {}),
  };
}
