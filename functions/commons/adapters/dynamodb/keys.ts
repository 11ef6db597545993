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
export const rateKey = (caller: string, window: number): Item => ({
  [PK]: s(`RATE#${sha256Hex(caller)}`),
  [SK]: s(`W#${window}`),
});

/** Audit records partition by UTC day; the sort key orders them by time within the day. */
export function auditKey(atMs: number, requestId: string): Item {
  const iso = new Date(atMs).toISOString();
  return { [PK]: s(`AUDIT#${iso.slice(0, 10)}`), [SK]: s(`${iso}#${requestId}`) };
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
