/**
 * The caller policy, default deny. A caller gets nothing unless a policy entry names it, and
 * then only the PKPs, abilities, wildcards, auth methods and lifetimes that entry grants.
 *
 * Which entry applies to a caller ARN:
 * 1. an entry whose `principal` equals the ARN exactly;
 * 2. otherwise, among the `*` patterns that match the whole ARN, the most specific one: the one
 *    with the most literal (non-`*`) characters; on a tie, the one listed first.
 * Entries never combine: the chosen entry alone decides, so a narrow entry can restrict a caller
 * that a broad pattern would otherwise allow.
 */
import type { CallerPolicy, PolicyConfig } from '../config';
import { ServiceError } from '../errors';
// Types only: this module is loaded by functions that must not load ethers (test/unit/lazy-loading).
import type { IssueRequest, RequestedResource } from './issue-request';
import type { LitActionIdentity } from './lit-action';

/** Pattern `*` → any run of characters (possibly empty); everything else literal; whole-string match. */
export function principalMatches(pattern: string, arn: string): boolean {
  if (!pattern.includes('*')) return pattern === arn;
  const parts = pattern.split('*');
  const first = parts[0];
  const last = parts[parts.length - 1];
  if (!arn.startsWith(first)) return false;
  let pos = first.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const at = arn.indexOf(parts[i], pos);
    if (at < 0) return false;
    pos = at + parts[i].length;
  }
  return arn.length - pos >= last.length && arn.endsWith(last);
}

/** The entry that applies to `arn` (see the module comment), or undefined. */
export function findCallerPolicy(policy: PolicyConfig, arn: string): CallerPolicy | undefined {
  const exact = policy.callers.find((c) => c.principal === arn);
  if (exact) return exact;
  let best: CallerPolicy | undefined;
  let bestScore = -1;
  for (const c of policy.callers) {
    if (!c.principal.includes('*') || !principalMatches(c.principal, arn)) continue;
    const score = c.principal.replace(/\*/g, '').length;
    if (score > bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}

/** The applying entry, or CALLER_NOT_ALLOWED. */
export function requireCallerPolicy(policy: PolicyConfig, arn: string): CallerPolicy {
  const found = findCallerPolicy(policy, arn);
  if (!found) throw new ServiceError('CALLER_NOT_ALLOWED', 'No policy entry allows this caller');
  return found;
}

/** Does any caller entry name this PKP (or `*`)? What GET /pkps reports as `inPolicy`. */
export function pkpInPolicy(policy: PolicyConfig, pkpPublicKey: string): boolean {
  return policy.callers.some((c) => c.pkps.includes('*') || c.pkps.includes(pkpPublicKey));
}

/** For admin routes: the caller's entry must exist and have `admin: true`. */
export function requireAdmin(policy: PolicyConfig, arn: string): CallerPolicy {
  const found = requireCallerPolicy(policy, arn);
  if (!found.admin) throw new ServiceError('ADMIN_REQUIRED', 'This route needs a caller with admin rights in the policy');
  return found;
}

/**
 * Whom a rate limit counts: the caller ARN, except that an assumed-role session
 * (`arn:aws:sts::<account>:assumed-role/<role>/<session>`) counts as its role. Whoever may assume
 * the role picks the session name freely, so counting per session would let one role multiply
 * its limit by starting new sessions.
 */
export function rateLimitSubject(arn: string): string {
  const m = /^(arn:[^:]+:sts::\d{12}:assumed-role\/[^/]+)\/[^/]+$/.exec(arn);
  return m ? m[1] : arn;
}

export interface IssueAuthorization {
  policy: CallerPolicy;
  /**
   * The resources to ask Lit for: the request's, except that `pkp:*` becomes this PKP's own token
   * id unless the caller may use every PKP. On Lit a session is not bound to one PKP: sigs granting
   * `lit-pkp://*` sign with any PKP whose permissions the owner's auth passes, which is every PKP
   * the owner holds, so `*` would reach PKPs outside the caller's policy.
   */
  resources: RequestedResource[];
  /** The expiry the session sigs get. */
  expiration: Date;
  /** True when the requested expiry was above the caller's maximum and was shortened. */
  clamped: boolean;
}

/**
 * A Lit Action needs the entry's `litActions`; inline code also `allowInlineCode`; and its CID
 * (the one asked, or the one computed from the code) in `allowedCids` or `'*'`. Default deny.
 */
export function authorizeLitAction(entry: CallerPolicy, action: LitActionIdentity): void {
  const details = { cid: action.cid, inline: action.inline };
  const allowed = entry.litActions;
  if (!allowed) throw new ServiceError('LIT_ACTION_NOT_ALLOWED', 'The policy does not allow this caller to authenticate with a Lit Action', { details });
  if (action.inline && !allowed.allowInlineCode) {
    throw new ServiceError(
      'LIT_ACTION_NOT_ALLOWED',
      'The policy does not allow this caller to send Lit Action code (name an allowed action by litActionIpfsId)',
      { details },
    );
  }
  if (!allowed.allowedCids.includes('*') && !allowed.allowedCids.includes(action.cid)) {
    throw new ServiceError('LIT_ACTION_NOT_ALLOWED', "The policy does not allow this Lit Action for this caller (its CID is not in the caller's allowedCids)", {
      details,
    });
  }
}

/**
 * Checks a valid issue request against the caller's policy entry and decides the expiry:
 * the requested one, or now + `defaultExpirationSeconds` (capped at the caller's maximum).
 * `litAction` is the identity of `request.litAction` (identifyLitAction), required with one.
 */
export function authorizeIssue(
  policy: PolicyConfig,
  caller: string,
  request: IssueRequest,
  options: { defaultExpirationSeconds: number; nowMs: number; litAction?: LitActionIdentity },
): IssueAuthorization {
  const entry = requireCallerPolicy(policy, caller);

  if (!entry.pkps.includes('*') && !entry.pkps.includes(request.pkpPublicKey)) {
    throw new ServiceError('PKP_NOT_ALLOWED', 'The policy does not allow this caller to use this PKP');
  }
  for (const r of request.resources) {
    if (!entry.abilities.some((g) => g.resource === r.kind && g.ability === r.ability)) {
      throw new ServiceError('ABILITY_NOT_ALLOWED', `The policy does not grant '${r.ability}' on '${r.kind}' resources to this caller`, {
        details: { resource: r.kind, ability: r.ability },
      });
    }
    if (r.id === '*' && !entry.allowWildcardResources) {
      throw new ServiceError('WILDCARD_NOT_ALLOWED', `The policy does not allow '*' resources for this caller (resource kind '${r.kind}')`, {
        details: { resource: r.kind },
      });
    }
  }
  if (request.authMethods !== undefined && !entry.allowCallerAuthMethods) {
    throw new ServiceError('AUTH_METHODS_NOT_ALLOWED', 'The policy does not allow this caller to supply its own authMethods');
  }
  if (request.litAction !== undefined) {
    if (options.litAction === undefined) throw new Error('authorizeIssue: a request with a Lit Action needs its identity');
    authorizeLitAction(entry, options.litAction);
  }

  const resources = entry.pkps.includes('*')
    ? request.resources
    : request.resources.map((r) => (r.kind === 'pkp' && r.id === '*' ? { ...r, id: request.pkpTokenIdHex } : r));
  const maxMs = options.nowMs + entry.maxExpirationSeconds * 1000;
  if (request.expiration === undefined) {
    const byDefault = options.nowMs + options.defaultExpirationSeconds * 1000;
    return { policy: entry, resources, expiration: new Date(Math.min(byDefault, maxMs)), clamped: false };
  }
  if (request.expiration.getTime() > maxMs) {
    if (entry.overMaxExpiration === 'clamp') return { policy: entry, resources, expiration: new Date(maxMs), clamped: true };
    throw new ServiceError('EXPIRATION_TOO_LONG', `The expiration is more than ${entry.maxExpirationSeconds} s away, this caller's maximum`, {
      details: { maxExpirationSeconds: entry.maxExpirationSeconds },
    });
  }
  return { policy: entry, resources, expiration: request.expiration, clamped: false };
}
