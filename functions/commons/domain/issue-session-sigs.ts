/**
 * The issue use case: validate → policy → rate limit → current delegation → session scope →
 * Lit → audit → metrics. Every attempt that names a caller leaves exactly one audit record,
 * whatever its outcome; the record names what was asked, never what was issued.
 */
import { createHash } from 'node:crypto';
import { ethers } from 'ethers';
import type { RuntimeConfig } from '../config';
import { ServiceError, toServiceError } from '../errors';
import { METRIC } from '../metric-names';
import type {
  AuditEntry,
  AuditLog,
  DelegationRecord,
  DelegationStore,
  DomainLogger,
  MetricsSink,
  OwnerKeySource,
  RateLimiter,
  SessionScope,
  SessionSigIssuer,
} from '../ports';
import { describeResources, parseIssueRequest, type CallerAuthMethod, type IssueRequest } from './issue-request';
import { identifyLitAction, litActionAuthIdentity } from './lit-action';
import { authorizeIssue, rateLimitSubject } from './policy';
import { DELEGATION_MIN_REMAINING_SECONDS, isDelegationUsable } from './delegation-limits';
import { uncachedDelegation, type CurrentDelegation } from './delegation-cache';
import { setBounded } from '../bounded-map';

export { DELEGATION_MIN_REMAINING_SECONDS };
/** Retry-After hint for NO_VALID_DELEGATION: about one refresher retry. */
const NO_DELEGATION_RETRY_AFTER_SECONDS = 60;

export interface IssueDeps {
  config: Pick<RuntimeConfig, 'policy' | 'session'>;
  delegations: DelegationStore;
  /** The environment's delegation cache (delegation-cache.ts). @default a table read per request */
  delegationCache?: CurrentDelegation;
  rateLimiter: RateLimiter;
  auditLog: AuditLog;
  /** Bound to the session scope store (session-storage/scoped-issuer.ts). */
  issuer: SessionSigIssuer;
  ownerKey: OwnerKeySource;
  metrics: MetricsSink;
  logger: DomainLogger;
  /** Unix ms. @default Date.now */
  now?: () => number;
}

export interface IssueInput {
  requestId: string;
  /** IAM principal ARN. */
  caller: string;
  /** Gives the parsed JSON body; may throw INVALID_JSON / BODY_TOO_LARGE (audited like any refusal). */
  readBody: () => unknown;
  /** Unix ms by which Lit (re)connection attempts must give up. */
  deadlineMs: number;
}

export interface IssueResult {
  sessionSigs: Record<string, unknown>;
  /** ISO time the session sigs expire. */
  expiresAt: string;
  /** ISO time the capacity delegation inside them expires; the sigs never outlive it. */
  delegationExpiresAt: string;
  /**
   * True when the expiration was shortened: above the caller's maximum (policy 'clamp'), or past
   * the capacity delegation's expiry (session sigs carrying it are useless after it).
   */
  expirationClamped: boolean;
  /** 'cache': signed locally with a stored wallet sig; 'nodes': a sign_session_key round was made. */
  walletSigSource: 'cache' | 'nodes';
}

/** `owner:<address>` for the owner's EthWallet auth, or a digest of the caller's auth methods (never the tokens themselves). */
export function authIdentityFor(ownerAddress: string, authMethods: readonly CallerAuthMethod[] | undefined): string {
  if (authMethods === undefined) return `owner:${ownerAddress.toLowerCase()}`;
  const canonical = JSON.stringify(authMethods.map((m) => [m.authMethodType, m.accessToken]));
  return `methods:${createHash('sha256').update(canonical).digest('hex')}`;
}

/** The stored delegation if it is usable for at least DELEGATION_MIN_REMAINING_SECONDS more; NO_VALID_DELEGATION otherwise. */
export function requireUsableDelegation(record: DelegationRecord | undefined, nowMs: number): DelegationRecord {
  if (record === undefined) {
    throw new ServiceError('NO_VALID_DELEGATION', 'No capacity delegation has been created yet; run the delegation refresher', {
      details: { retryAfterSeconds: NO_DELEGATION_RETRY_AFTER_SECONDS },
    });
  }
  if (!isDelegationUsable(record, nowMs)) {
    throw new ServiceError('NO_VALID_DELEGATION', 'The capacity delegation has expired or is about to; the refresher has not replaced it', {
      details: { retryAfterSeconds: NO_DELEGATION_RETRY_AFTER_SECONDS },
    });
  }
  return record;
}

/** Bound on remembered PKP addresses (the keys come from callers). */
const PKP_ADDRESS_MEMO_MAX = 1_000;
const pkpAddresses = new Map<string, string>();

/**
 * The PKP's address, lowercased. Remembered: a point decode and keccak (about 50 µs) twice per
 * request (cache check, then the check below) is a visible share of a repeat's CPU.
 */
function pkpAddress(pkpPublicKey: string): string {
  let address = pkpAddresses.get(pkpPublicKey);
  if (address === undefined) {
    address = ethers.utils.computeAddress(pkpPublicKey).toLowerCase();
    setBounded(pkpAddresses, PKP_ADDRESS_MEMO_MAX, pkpPublicKey, address);
  }
  return address;
}

/** Does the delegation let this PKP use the capacity: unrestricted, or naming its address? */
export function delegationCovers(record: DelegationRecord, pkpPublicKey: string): boolean {
  if (record.delegatees === 'unrestricted') return true;
  const address = pkpAddress(pkpPublicKey);
  return record.delegatees.some((a) => a.toLowerCase() === address);
}

/**
 * A restricted delegation that does not name this PKP (the policy gained it after the last
 * refresh) is stale for it: the nodes would refuse it, so say so clearly instead of a 502.
 */
export function requireDelegationCovers(record: DelegationRecord, pkpPublicKey: string): void {
  if (!delegationCovers(record, pkpPublicKey)) {
    throw new ServiceError('NO_VALID_DELEGATION', 'The capacity delegation does not name this PKP yet; the next delegation refresh will include it', {
      details: { retryAfterSeconds: NO_DELEGATION_RETRY_AFTER_SECONDS },
    });
  }
}

export async function issueSessionSigs(deps: IssueDeps, input: IssueInput): Promise<IssueResult> {
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const audit: AuditEntry = { requestId: input.requestId, caller: input.caller, resources: [], outcome: 'failed', at: startedAt };

  let result: IssueResult;
  try {
    result = await issue(deps, input, audit, now);
  } catch (e) {
    const error = toServiceError(e);
    audit.outcome = error.status < 500 ? 'refused' : 'failed';
    audit.errorCode = error.code;
    deps.metrics.count(METRIC.issueFailed);
    await recordAudit(deps, audit, false);
    throw error;
  }
  audit.outcome = 'issued';
  audit.walletSigSource = result.walletSigSource;
  // Fail closed: sigs whose issuance cannot be audited are not handed out.
  await recordAudit(deps, audit, true);
  deps.metrics.count(METRIC.sessionSigsIssued);
  deps.metrics.count(result.walletSigSource === 'cache' ? METRIC.walletSigCacheHit : METRIC.walletSigNodeRound);
  return result;
}

async function recordAudit(deps: IssueDeps, entry: AuditEntry, mustSucceed: boolean): Promise<void> {
  try {
    await deps.auditLog.record(entry);
  } catch (e) {
    const code = toServiceError(e).code;
    deps.logger.error('audit record not written', { auditOutcome: entry.outcome, errorCode: code });
    if (mustSucceed) throw new ServiceError('STORAGE_UNAVAILABLE', 'The audit record could not be written; no session sigs were handed out', { cause: e });
  }
}

async function issue(deps: IssueDeps, input: IssueInput, audit: AuditEntry, now: () => number): Promise<IssueResult> {
  const request: IssueRequest = parseIssueRequest(input.readBody(), now());
  audit.pkpPublicKey = request.pkpPublicKey;
  audit.resources = describeResources(request.resources);
  if (request.expiration) audit.expiration = request.expiration.toISOString();

  // Inline code is allowed or refused by its CID, so it is computed before the policy decides.
  const litAction = request.litAction && (await identifyLitAction(request.litAction));
  if (litAction) {
    audit.litActionCid = litAction.cid;
    audit.litActionInline = litAction.inline;
  }

  const auth = authorizeIssue(deps.config.policy, input.caller, request, {
    defaultExpirationSeconds: deps.config.session.defaultExpirationSeconds,
    nowMs: now(),
    litAction,
  });
  audit.expiration = auth.expiration.toISOString();
  audit.resources = describeResources(auth.resources);

  // The IAM role of an assumed-role session (the ARN as sent otherwise): the rate limit counts per
  // role, and the storage scope is per role too, so every session of a role (every new Lambda
  // environment of a caller) shares one wallet sig instead of making a node round each.
  const subject = rateLimitSubject(input.caller);
  const decision = await deps.rateLimiter.consume(subject, auth.policy.rateLimitPerMinute, now());
  if (!decision.allowed) {
    throw new ServiceError('RATE_LIMITED', `More than ${auth.policy.rateLimitPerMinute} requests this minute`, {
      details: { retryAfterSeconds: decision.retryAfterSeconds, limitPerMinute: auth.policy.rateLimitPerMinute },
    });
  }

  // The owner key is needed even with caller auth methods: the scope of the default identity names it.
  // A copy is taken only if it is usable, outlives the sigs asked for and names this PKP; else the
  // table decides (delegation-cache.ts), and the checks below refuse what it holds.
  const accept = (r: DelegationRecord) =>
    isDelegationUsable(r, now()) && r.expiresAt * 1000 >= auth.expiration.getTime() && delegationCovers(r, request.pkpPublicKey);
  const [delegationRecord, owner] = await Promise.all([(deps.delegationCache ?? uncachedDelegation(deps.delegations)).current(accept), deps.ownerKey()]);
  const delegation = requireUsableDelegation(delegationRecord, now());
  requireDelegationCovers(delegation, request.pkpPublicKey);

  // The sigs carry the delegation: past its expiry they would be refused, so they end with it.
  const delegationEndsMs = delegation.expiresAt * 1000;
  const expiration = auth.expiration.getTime() > delegationEndsMs ? new Date(delegationEndsMs) : auth.expiration;
  const clamped = auth.clamped || expiration !== auth.expiration;
  audit.expiration = expiration.toISOString();

  const scope: SessionScope = {
    pkpPublicKey: request.pkpPublicKey,
    // Per role, not per session. Still isolated: another role, PKP or auth identity is another
    // scope; the policy was checked for this very session ARN above, and the session sigs carry
    // only this request's resources and expiry, whatever the shared wallet sig allows.
    caller: subject,
    // A wallet sig the nodes signed on one action's answer serves only that action with those jsParams.
    authIdentity: litAction ? litActionAuthIdentity(litAction) : authIdentityFor(owner.address, request.authMethods),
  };
  const run = await deps.issuer.getPkpSessionSigs(
    scope,
    {
      pkpPublicKey: request.pkpPublicKey,
      resources: auth.resources,
      expiration,
      // The caller's maximum: the longest any of its session sigs may live, so the longest a shared wallet sig needs to.
      walletSigValidUntil: new Date(Math.max(expiration.getTime(), now() + auth.policy.maxExpirationSeconds * 1000)),
      authMethods: request.authMethods,
      litAction: request.litAction,
      capabilityAuthSig: delegation.authSig,
      owner,
      deadlineMs: input.deadlineMs,
    },
    { nowMs: now(), requiredValidUntilMs: expiration.getTime() },
  );
  if (run.saveError) deps.logger.warn('session scope not saved; the next request will sign with the nodes again', { errorCode: run.saveError.code });

  return {
    sessionSigs: run.result.sessionSigs,
    expiresAt: run.result.expiresAt,
    delegationExpiresAt: new Date(delegation.expiresAt * 1000).toISOString(),
    expirationClamped: clamped,
    walletSigSource: run.walletSigReused ? 'cache' : 'nodes',
  };
}
