/**
 * What "a usable delegation" means, once, for every place that answers the question: issuing
 * (POST /session-sigs refuses an unusable one), GET /delegation (`valid`) and GET /health (the
 * delegation check). Kept in this small module so the light functions load nothing else.
 */
import type { DelegationRecord } from '../ports';

/** A delegation with less than this left is not used: session sigs built on it would die with it. */
export const DELEGATION_MIN_REMAINING_SECONDS = 60;

/** Is `record` usable at `nowMs`: at least DELEGATION_MIN_REMAINING_SECONDS before its expiry? */
export function isDelegationUsable(record: Pick<DelegationRecord, 'expiresAt'>, nowMs: number): boolean {
  return record.expiresAt * 1000 - nowMs >= DELEGATION_MIN_REMAINING_SECONDS * 1000;
}
