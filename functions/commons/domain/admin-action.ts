/**
 * The admin routes (refresh the delegation, mint a PKP) sign or mint with the owner key, so they
 * get what issuance gets: the caller's per-minute limit (the same counter as its issuances) and
 * one audit record per attempt, whatever its outcome.
 */
import type { RuntimeConfig } from '../config';
import { ServiceError, toServiceError } from '../errors';
import type { AuditAction, AuditEntry, AuditLog, RateLimiter } from '../ports';
import type { DomainLogger } from '../ports';
import { rateLimitSubject, requireAdmin } from './policy';

export interface AdminActionDeps {
  config: Pick<RuntimeConfig, 'policy'>;
  rateLimiter: RateLimiter;
  auditLog: AuditLog;
  logger: DomainLogger;
  /** Unix ms. @default Date.now */
  now?: () => number;
}

export interface AdminActionInput {
  requestId: string;
  /** IAM principal ARN. */
  caller: string;
  action: AuditAction;
}

/** What the action reports for its audit record. */
export interface AdminAudit {
  pkpPublicKey?: string;
}

/** Admin check, rate limit, `run`, then one audit record (refusals and failures included). */
export async function runAdminAction<T>(deps: AdminActionDeps, input: AdminActionInput, run: (audit: AdminAudit) => Promise<T>): Promise<T> {
  const now = deps.now ?? Date.now;
  const entry: AuditEntry = { requestId: input.requestId, caller: input.caller, action: input.action, resources: [], outcome: 'failed', at: now() };
  const audit: AdminAudit = {};
  try {
    const policy = requireAdmin(deps.config.policy, input.caller);
    const decision = await deps.rateLimiter.consume(rateLimitSubject(input.caller), policy.rateLimitPerMinute, now());
    if (!decision.allowed) {
      throw new ServiceError('RATE_LIMITED', `More than ${policy.rateLimitPerMinute} requests this minute`, {
        details: { retryAfterSeconds: decision.retryAfterSeconds, limitPerMinute: policy.rateLimitPerMinute },
      });
    }
    const result = await run(audit);
    entry.outcome = 'done';
    return result;
  } catch (e) {
    const error = toServiceError(e);
    entry.outcome = error.status < 500 ? 'refused' : 'failed';
    entry.errorCode = error.code;
    throw error;
  } finally {
    if (audit.pkpPublicKey !== undefined) entry.pkpPublicKey = audit.pkpPublicKey;
    // Best effort: the action (a refreshed delegation, a minted PKP) has happened either way, and a
    // retry because the record failed would do it again.
    await deps.auditLog.record(entry).catch((e: unknown) => {
      deps.logger.error('audit record not written', { auditOutcome: entry.outcome, action: entry.action, errorCode: toServiceError(e).code });
    });
  }
}
