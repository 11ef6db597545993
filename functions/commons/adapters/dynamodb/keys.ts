/**
 * Key builders for the single table. Keys never carry raw IAM ARNs or public keys: scope and
 * caller keys are SHA-256 digests, so keys (which show up in metrics, CloudTrail data events and
 * error messages) reveal nothing; the readable fields are kept as attributes for operators.
 */
import { createHash } from 'node:crypto';
import { TABLE_KEYS } from '../../table';
import type { SessionScope } from '../../ports';
import { n, s, type Item } from './attributes';
import { DELEGATION_PARTITION } from '../../table';

export const PK = TABLE_KEYS.partitionKey;
export const SK = TABLE_KEYS.sortKey;
export const TTL = TABLE_KEYS.ttlAttribute;

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Scope digest. Fields are joined with a NUL separator, which none of them can contain in
 * practice, so ('a|b','c') and ('a','b|c') can never collide.
 */
export function scopeDigest(scope: SessionScope): string {
  return sha256Hex([scope.pkpPublicKey.toLowerCase(), scope.caller, scope.authIdentity].join('\u0000'));
}

export const scopeKey = (scope: SessionScope): Item => ({ [PK]: s(`SCOPE#${scopeDigest(scope)}`), [SK]: s('STORAGE') });

export const delegationCurrentKey = (): Item => ({ [PK]: s(DELEGATION_PARTITION), [SK]: s('CURRENT') });
export const DELEGATION_HISTORY_PREFIX = 'V#';
export const delegationHistoryKey = (version: number): Item => ({
  [PK]: s(DELEGATION_PARTITION),
  [SK]: s(`${DELEGATION_HISTORY_PREFIX}${String(version).padStart(10, '0')}`),
});

/** The rate window is the UTC minute: `W#<minutes since epoch>`. */
export const minuteWindow = (nowMs: number): number => Math.floor(nowMs / 60_000);

/**
 * Rate counters are sharded so that one heavy caller never makes one hot item: a caller's limit
 * is split over `rateShardCount(limit)` counter items, each taking at most this many increments
 * per second at the full limit (10% of a partition's 1,000 WCU/s, leaving room for refusals).
 */
export const RATE_SHARD_WRITES_PER_SECOND = 100;
/** Upper bound on shards per caller (a limit of 384,000/minute and above uses all of them). */
export const MAX_RATE_SHARDS = 64;

/** How many counter items a caller with this per-minute limit is spread over (1 for small limits). */
export function rateShardCount(limitPerMinute: number): number {
  if (!(limitPerMinute >= 1)) return 1;
  const wanted = Math.ceil(limitPerMinute / 60 / RATE_SHARD_WRITES_PER_SECOND);
  return Math.max(1, Math.min(wanted, MAX_RATE_SHARDS, Math.floor(limitPerMinute)));
}

/**
 * The share of the limit that shard `shard` of `shards` may count: the limit split as evenly as
 * integers allow, so the shares always add up to exactly the limit (never more).
 */
export function rateShardLimit(limitPerMinute: number, shard: number, shards: number): number {
  const limit = Math.floor(limitPerMinute);
  return Math.floor(limit / shards) + (shard < limit % shards ? 1 : 0);
}

/**
 * Shard 0 keeps the unsharded key (`RATE#<sha256(caller)>`), so a caller with one shard (any
 * limit up to 6,000/minute) has the same counter as before sharding; shard i > 0 is `…#<i>`.
 */
export const rateKey = (caller: string, window: number, shard = 0): Item => ({
  [PK]: s(shard === 0 ? `RATE#${sha256Hex(caller)}` : `RATE#${sha256Hex(caller)}#${shard}`),
  [SK]: s(`W#${window}`),
});

/**
 * Audit records of one UTC day are spread over this many partitions (`AUDIT#<day>#<shard>`):
 * at 10,000 issuances/s each takes about 310 one-unit writes per second, under a third of a
 * partition's 1,000 WCU/s. Only ever raise it: listing a day queries every shard up to it.
 */
export const AUDIT_SHARDS = 32;

/** The shard of a request's audit record: from its request id, so retries of one write land together. */
export function auditShard(requestId: string): number {
  return createHash('sha256').update(requestId, 'utf8').digest().readUInt32BE(0) % AUDIT_SHARDS;
}

/** `AUDIT#<yyyy-mm-dd>#<shard, 2 digits>`. */
export const auditPartition = (day: string, shard: number): string => `AUDIT#${day}#${String(shard).padStart(2, '0')}`;

/** Every partition that holds audit records of `day` (yyyy-mm-dd): query each to list the day. */
export function auditDayPartitions(day: string): string[] {
  return Array.from({ length: AUDIT_SHARDS }, (_, shard) => auditPartition(day, shard));
}

/** Audit records partition by UTC day and shard; the sort key orders them by time within the partition. */
export function auditKey(atMs: number, requestId: string): Item {
  const iso = new Date(atMs).toISOString();
  return { [PK]: s(auditPartition(iso.slice(0, 10), auditShard(requestId))), [SK]: s(`${iso}#${requestId}`) };
}

/** Unix seconds, as the TTL attribute wants them. */
export const epochSeconds = (ms: number): number => Math.floor(ms / 1000);
export const ttlAttr = (unixSeconds: number): Item => ({ [TTL]: n(Math.floor(unixSeconds)) });

/** True when an item's TTL lies in the past: such an item is treated as absent. */
export function isExpired(item: Item, nowMs: number): boolean {
  const raw = item[TTL]?.N;
  if (raw === undefined) return false;
  return Number(raw) <= epochSeconds(nowMs);
}
