/**
 * The real node's time rules for a SIWE message it is asked to sign over or to accept as an auth
 * method (rust/lit-node/src/utils/siwe.rs:9-99 `validate_siwe`, with siwe_db/utils.rs:55-73):
 * issuedAt at most 60 s ahead; an expiration is required, not before issuedAt, at most 60 s past,
 * and at most 30 days after issuedAt. `Not Before` is not checked here.
 */
import { refuse, type PublicErrorRefusal } from './node-error';
import { parseRfc3339, type SiweFields } from './siwe';

const GRACE_SECONDS = 60;
/** siwe_db/utils.rs:8 MAX_TIMESTAMP_VALIDITY_DAYS. */
export const MAX_VALIDITY_DAYS = 30;

/** chrono `Utc::now().to_rfc3339()` (the devnet's clock has ms precision). */
export function chronoRfc3339(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00');
}

/** chrono `DateTime<Utc>` Display: `YYYY-MM-DD HH:MM:SS UTC` (whole seconds here). */
export function chronoUtcDisplay(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** The first rule `m` breaks at `nowMs`, as the node's refusal; undefined when it keeps them all. */
export function siweTimeRefusal(m: Pick<SiweFields, 'issuedAt' | 'expirationTime'>, nowMs: number): PublicErrorRefusal | undefined {
  // The parser already refused unparseable times.
  const iat = parseRfc3339(m.issuedAt) as number;
  const now = chronoRfc3339(nowMs);
  if (iat > nowMs + GRACE_SECONDS * 1000) {
    return refuse(
      'NodeSIWEMessageError',
      `Session key issued_at ${m.issuedAt} is in the future beyond the grace period of ${GRACE_SECONDS} seconds (now is ${now})`,
      { kind: 'Validation' },
    );
  }
  if (m.expirationTime === undefined) return refuse('NodeSIWEMessageError', 'Session key expiration time is not set', { kind: 'Parser' });
  const exp = parseRfc3339(m.expirationTime) as number;
  if (exp < iat) {
    return refuse('NodeExpWrongOrTooLarge', `Session key expiration ${m.expirationTime} is in behind issue_at which is ${m.issuedAt}`, { kind: 'Validation' });
  }
  if (exp < nowMs - GRACE_SECONDS * 1000) {
    return refuse(
      'NodeSIWEMessageError',
      `Session key expiration ${m.expirationTime} is in the past beyond the grace period of ${GRACE_SECONDS} seconds (now is ${now})`,
      { kind: 'Validation' },
    );
  }
  // Compared at whole seconds: convert_siwe_timestamp_to_utc_datetime drops the fraction.
  const iatS = Math.floor(iat / 1000) * 1000;
  const expS = Math.floor(exp / 1000) * 1000;
  const max = iatS + MAX_VALIDITY_DAYS * 86_400_000;
  if (expS > max) {
    return refuse(
      'NodeSIWEMessageError',
      `Session key expiration ${chronoUtcDisplay(expS)} is beyond the max expiry timestamp of ${chronoUtcDisplay(max)} (issued_at is ${chronoUtcDisplay(iatS)})`,
      { kind: 'Validation' },
    );
  }
  return undefined;
}
