/**
 * The service keeps all of its state in one DynamoDB table (single-table design): session
 * storage scopes, the capacity delegation, rate-limit counters and audit records. The CDK stack
 * and every adapter take the key names from here.
 */
export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds. DynamoDB deletes expired items eventually; readers treat past values as absent. */
  ttlAttribute: 'expiresAt',
} as const;

/**
 * Partition key value of the capacity delegation items (current and history). The read-only
 * functions may read this partition and no other: session scopes hold secret key material.
 */
export const DELEGATION_PARTITION = 'DELEGATION';

/**
 * Partition key prefix of Idempotency-Key records (Powertools idempotency), one partition per
 * function: `IDEMPOTENCY#MintPkp`. A function that keeps such records may be granted its own
 * partition and nothing else of the table.
 */
export const IDEMPOTENCY_PARTITION_PREFIX = 'IDEMPOTENCY#';
export const idempotencyPartition = (functionId: string): string => `${IDEMPOTENCY_PARTITION_PREFIX}${functionId}`;

/** Environment variable that names the table in every function. */
export const TABLE_NAME_ENV = 'TABLE_NAME';
/** Environment variable that names the owner-key secret (only in functions that may read it). */
export const OWNER_KEY_SECRET_ENV = 'OWNER_KEY_SECRET';
