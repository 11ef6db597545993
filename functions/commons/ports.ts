/**
 * Ports: everything the domain needs from outside, free of AWS, SDK and Powertools types, in one
 * place. Storage: the DynamoDB adapters in `adapters/dynamodb/`. Lit and the owner key: the
 * adapters in `adapters/lit/` and `adapters/secrets.ts`. Metrics and logging: Powertools
 * (`powertools.ts`). Unit tests pass in-memory doubles (`test/unit/fakes.ts`).
 */
import type { CallerAuthMethod, RequestedResource } from './domain/issue-request';
import type { LitActionRequest } from './domain/lit-action';
import type { SessionScopeOptions, SessionScopeRun } from './session-storage/run-in-session-scope';

// ---- Storage

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

// ---- Lit and the owner key

/**
 * The owner wallet as the domain sees it: an address and a way to sign. An ethers `Wallet`
 * satisfies it; the private key itself never leaves the secrets adapter's object.
 */
export interface OwnerSigner {
  readonly address: string;
  getAddress(): Promise<string>;
  signMessage(message: string | Uint8Array): Promise<string>;
}

export interface SessionSigsParams {
  pkpPublicKey: string;
  resources: readonly RequestedResource[];
  /** The session sigs' expiry. */
  expiration: Date;
  /**
   * When the nodes must sign a new wallet sig, make it last until this instant (≥ expiration),
   * so that later requests for this scope can reuse it and sign locally. Session sigs themselves
   * still get `expiration`. Without it, every request asking a later expiry than the last would
   * need a node round (a wallet sig never outlives the session sigs it was made with).
   */
  walletSigValidUntil?: Date;
  /** Caller-supplied auth methods; absent means "authenticate as the owner wallet" (unless litAction). */
  authMethods?: readonly CallerAuthMethod[];
  /**
   * Authenticate with this Lit Action alone: the nodes run it, and sign only if it answers true
   * and its CID is a permitted action of the PKP. No auth method goes with it (not the owner's).
   */
  litAction?: LitActionRequest;
  /** The current capacity delegation, put into every session sig's capabilities. */
  capabilityAuthSig: AuthSigLike;
  owner: OwnerSigner;
  /** Unix ms by which a (re)connection attempt must give up. */
  deadlineMs: number;
}

export interface IssuedSessionSigs {
  /** Node URL → session sig, as the SDK returns them (the caller passes them to Lit as they are). */
  sessionSigs: Record<string, unknown>;
  /** ISO time the session sigs expire. */
  expiresAt: string;
}

/**
 * Gets PKP session sigs for one session scope: loads it, runs the SDK with the scope bound as its
 * `localStorage`, writes it back (session-storage/scoped-issuer.ts). The scope is a parameter, so
 * no call can run outside one: the SDK reuses whatever wallet sig its storage holds, whichever PKP
 * it was made for.
 */
export interface SessionSigIssuer {
  getPkpSessionSigs(scope: SessionScope, params: SessionSigsParams, options?: SessionScopeOptions): Promise<SessionScopeRun<IssuedSessionSigs>>;
}

/**
 * The SDK call alone, reading and writing whatever scope is bound (`requestBoundStorage`). Only a
 * SessionSigIssuer calls it, inside the scope it loaded; the domain never sees it.
 */
export interface UnscopedSessionSigIssuer {
  getPkpSessionSigs(params: SessionSigsParams): Promise<IssuedSessionSigs>;
}

export interface CapacityDelegationParams {
  owner: OwnerSigner;
  capacityTokenId: string;
  /** ETH addresses; undefined means unrestricted. */
  delegateeAddresses?: string[];
  uses?: string;
  expiration: Date;
  deadlineMs: number;
}

/** Signs capacity delegations (the owner's EIP-191 SIWE with the capacity ReCap). */
export interface DelegationSigner {
  createCapacityDelegation(params: CapacityDelegationParams): Promise<AuthSigLike>;
  /** The nodes the signer's client is connected to now, if it knows (recorded for /health?deep=true). */
  connectedNodes?(): LitNodeSet | undefined;
}

/** Reads the capacity NFT's own expiry from the chain. */
export interface CapacityReader {
  /** Unix seconds. */
  capacityExpiresAt(capacityTokenId: string): Promise<number>;
}

export interface OwnedPkp {
  tokenId: string;
  publicKey: string;
  ethAddress: string;
}

/** PKP admin operations (list / mint) against the chain. */
export interface PkpRegistry {
  listOwnedBy(ownerAddress: string): Promise<OwnedPkp[]>;
  /** Mints a PKP with `owner`'s address permitted as an EthWallet auth method (sign-anything scope). */
  mintForOwner(owner: OwnerSigner, deadlineMs: number): Promise<OwnedPkp & { transactionHash: string }>;
}

/** Gives the owner wallet; OWNER_KEY_UNAVAILABLE on failure. Cached by the adapter. */
export type OwnerKeySource = () => Promise<OwnerSigner>;

// ---- Metrics and logging

/**
 * What the domain emits, without Powertools types: the handlers pass the Powertools-backed sink
 * (`commons/powertools.ts`), tests pass a recorder. Names come from `commons/metric-names.ts`.
 */ export interface MetricsSink {
  count(name: string, value?: number): void;
  seconds(name: string, value: number): void;
}

/** A sink that drops everything (for code paths that have no metrics to report). */
export const NO_METRICS: MetricsSink = { count: () => undefined, seconds: () => undefined };

/** Logging surface (Powertools Logger satisfies it). Only codes and counts are logged here. */
export interface DomainLogger {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}
