/**
 * Ports: what the domain needs from storage, free of DynamoDB types. The DynamoDB adapters in
 * `functions/commons/adapters/dynamodb/` implement them; unit tests may use in-memory ones.
 */

/** One storage namespace for the SDK's `localStorage`: never shared across PKPs, callers or auth identities. */
export interface SessionScope {
  /** 0x04… uncompressed PKP public key, lower-case. */
  pkpPublicKey: string;
  /** IAM principal ARN of the caller. */
  caller: string;
  /**
   * Who authenticates to the PKP: `owner:<address>` by default, `methods:<digest>` of caller-supplied
   * auth methods, or `action:<CID>:<sha256 of the canonical jsParams>` for a Lit Action.
   */
  authIdentity: string;
}

/** A scope as loaded: its entries and the version that the write-back is conditional on. */
export interface LoadedScope {
  scope: SessionScope;
  /** Entries that are still valid (expired items are treated as absent). */
  entries: Map<string, string>;
  /** 0 when the scope did not exist. */
  version: number;
}

export interface SessionScopeStore {
  /**
   * At most one read. `requiredValidUntilMs`: the caller needs a wallet sig valid until then; a
   * store that keeps copies in memory (scope-memory.ts) serves its copy only if it has one, and
   * reads the table otherwise.
   */
  load(scope: SessionScope, options?: { requiredValidUntilMs?: number }): Promise<LoadedScope>;
  /**
   * At most one write: stores `entries` with TTL `expiresAt` (unix seconds) if the stored version
   * is still `loaded.version`. Returns false (and writes nothing) when another request won the race.
   */
  save(loaded: LoadedScope, entries: Map<string, string>, expiresAt: number): Promise<boolean>;
}

/** The EIP-191 / SIWE auth sig shape the SDK uses (kept local so the domain needs no SDK import). */
export interface AuthSigLike {
  sig: string;
  derivedVia: string;
  signedMessage: string;
  address: string;
  algo?: string;
}

export interface DelegationRecord {
  /** Monotonic; each refresh writes version + 1 under a condition on the previous version. */
  version: number;
  capacityTokenId: string;
  /** The capacity delegation auth sig. Secret-ish: never logged, never returned in full by GET /delegation. */
  authSig: AuthSigLike;
  /** ETH addresses allowed to use it, or 'unrestricted'. */
  delegatees: string[] | 'unrestricted';
  uses?: string;
  /** Unix seconds. */
  issuedAt: number;
  /** Unix seconds; the delegation is not used at or after this instant. */
  expiresAt: number;
  /** The owner wallet's address (public), so read-only functions never need the owner key. */
  ownerAddress: string;
  /** Unix seconds: the capacity NFT's own expiry, as read from the chain by the refresher. */
  capacityExpiresAt?: number;
  /**
   * The Lit nodes the refresher was connected to when it signed, and how many must answer: what
   * GET /health?deep=true probes without loading the Lit SDK. Public (node URLs).
   */
  litNodes?: LitNodeSet;
}

export interface LitNodeSet {
  urls: string[];
  /** The network's threshold: the SDK needs this many nodes. */
  minNodeCount: number;
}

export interface DelegationStore {
  /**
   * The stored delegation, expired or not, or undefined when none was ever stored. Strongly
   * consistent unless `consistentRead: false` (half the read units; may return the version
   * before a write of the last second or so).
   */
  getCurrent(options?: { consistentRead?: boolean }): Promise<DelegationRecord | undefined>;
  /**
   * The highest version the history remembers (0 when it has none). A removed or restored CURRENT
   * must not make the next refresh reuse a version the history already holds.
   */
  highestHistoryVersion(): Promise<number>;
  /**
   * Stores `next` (whose version must be above `expectedVersion`: previous + 1, or above the
   * history) only if the stored version is still `expectedVersion` (undefined: nothing stored).
   * False when another run won.
   */
  putIfVersion(next: DelegationRecord, expectedVersion: number | undefined): Promise<boolean>;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** Requests left in the current minute window after this one. */
  remaining: number;
  /** Seconds until the window resets (for Retry-After). */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /** Atomically counts one request for `caller` in the current minute window. */
  consume(caller: string, limitPerMinute: number, nowMs?: number): Promise<RateLimitDecision>;
}

/** 'issued': session sigs handed out; 'done': an admin action carried out. */
export type AuditOutcome = 'issued' | 'done' | 'refused' | 'failed';

/** What an audit record is about; absent means a session-sig issuance (the records before admin actions were audited). */
export type AuditAction = 'refresh-delegation' | 'mint-pkp';

export interface AuditEntry {
  requestId: string;
  action?: AuditAction;
  caller: string;
  pkpPublicKey?: string;
  /** `kind:id/ability` strings: what was asked, never what was issued. */
  resources: string[];
  /** ISO time the session sigs expire (or were asked to). */
  expiration?: string;
  outcome: AuditOutcome;
  /** The error code when not issued. */
  errorCode?: string;
  /** 'cache' when the wallet sig was reused, 'nodes' when a sign_session_key round was made. */
  walletSigSource?: 'cache' | 'nodes';
  /** The Lit Action's CID when the request authenticated with one (never its jsParams). */
  litActionCid?: string;
  /** Whether that action's code came in the request (its CID computed by the service). */
  litActionInline?: boolean;
  /** Unix ms. */
  at: number;
}

export interface AuditLog {
  /** Writes one record with a TTL of the configured retention. */
  record(entry: AuditEntry): Promise<void>;
}
