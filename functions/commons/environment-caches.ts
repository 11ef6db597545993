/**
 * Per-environment memory in front of the two DynamoDB reads a repeat issuance would otherwise
 * make: the session scope and the current delegation. With the Lit part signed locally in well
 * under a millisecond, those reads were most of a repeat's cost (each DynamoDB request also costs
 * ~1 ms of AWS SDK CPU in the function). What a repeat still sends: the rate-limit UpdateItem
 * (one atomic counter shared by every environment) and the audit PutItem (no sigs without a
 * record); neither can be answered from one environment's memory.
 *
 * Why serving from memory is safe:
 * - A scope's wallet sig is valid until it expires, wherever it was read: the scope key binds it
 *   to its PKP, caller and auth identity. So a remembered scope serves while its wallet sig has
 *   not expired (`runInSessionScope` still drops one too short for the request). If another
 *   environment stored a newer one meanwhile, the worst case is a node round here whose
 *   conditional write then loses: the scope is forgotten and the next request reads it again.
 * - A delegation is valid until its expiry and cannot be revoked; the domain checks its expiry and
 *   its delegatees against the clock on every use. A remembered one is at most `maxAgeMs` older
 *   than the table, so a refresh (e.g. one naming a PKP just added to the policy) reaches this
 *   environment within that time.
 * Use these only where that staleness is acceptable: IssueSessionSigs, not GET /delegation.
 */
import { scopeDigest } from './adapters/dynamodb/keys';
import { DELEGATION_MIN_REMAINING_SECONDS } from './domain/delegation-limits';
import type { DelegationRecord, DelegationStore, LoadedScope, SessionScope, SessionScopeStore } from './ports';
import { SDK_STORAGE_KEYS, walletSigExpiryMs } from './session-storage';

/** How long a remembered delegation serves before it is read again. */
export const DELEGATION_MAX_AGE_MS = 10_000;
/** The domain refuses a delegation with less than DELEGATION_MIN_REMAINING_SECONDS left; keep clear of that. */
const USABLE_MARGIN_MS = (DELEGATION_MIN_REMAINING_SECONDS + 10) * 1000;
/** Scopes kept per environment; the least recently used goes first beyond this. */
const MAX_REMEMBERED_SCOPES = 1000;

interface RememberedScope {
  entries: Map<string, string>;
  version: number;
  walletSigExpiresMs: number;
}

export class RememberedScopes implements SessionScopeStore {
  readonly #scopes = new Map<string, RememberedScope>();

  constructor(
    private readonly inner: SessionScopeStore,
    private readonly now: () => number = Date.now,
  ) {}

  async load(scope: SessionScope): Promise<LoadedScope> {
    const key = scopeDigest(scope);
    const kept = this.#scopes.get(key);
    if (kept && kept.walletSigExpiresMs > this.now()) {
      this.#scopes.delete(key); // re-insert: most recently used last
      this.#scopes.set(key, kept);
      return { scope, entries: new Map(kept.entries), version: kept.version };
    }
    const loaded = await this.inner.load(scope);
    this.#remember(key, loaded.entries, loaded.version);
    return loaded;
  }

  async save(loaded: LoadedScope, entries: Map<string, string>, expiresAt: number): Promise<boolean> {
    const key = scopeDigest(loaded.scope);
    this.#scopes.delete(key);
    const saved = await this.inner.save(loaded, entries, expiresAt);
    // The DynamoDB store writes version + 1 (session-scope-store.ts). Were it otherwise, the next
    // save from memory would lose its condition and the scope would be read again: no harm.
    if (saved) this.#remember(key, entries, loaded.version + 1);
    return saved;
  }

  #remember(key: string, entries: Map<string, string>, version: number): void {
    const walletSigExpiresMs = walletSigExpiryMs(entries.get(SDK_STORAGE_KEYS.WALLET_SIGNATURE));
    if (walletSigExpiresMs === undefined || walletSigExpiresMs <= this.now()) return;
    if (this.#scopes.size >= MAX_REMEMBERED_SCOPES) this.#scopes.delete(this.#scopes.keys().next().value as string);
    this.#scopes.set(key, { entries: new Map(entries), version, walletSigExpiresMs });
  }
}

export class RecentDelegation implements DelegationStore {
  #kept?: { record: DelegationRecord; readAtMs: number };

  constructor(
    private readonly inner: DelegationStore,
    private readonly maxAgeMs = DELEGATION_MAX_AGE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  async getCurrent(): Promise<DelegationRecord | undefined> {
    const kept = this.#kept;
    const now = this.now();
    // Only a record the domain would use: one near or past its expiry is read again at once, in
    // case the refresher has replaced it (serving it would answer NO_VALID_DELEGATION for maxAge).
    if (kept && now - kept.readAtMs < this.maxAgeMs && kept.record.expiresAt * 1000 - now > USABLE_MARGIN_MS) return kept.record;
    const record = await this.inner.getCurrent();
    this.#kept = record ? { record, readAtMs: now } : undefined;
    return record;
  }

  putIfVersion(next: DelegationRecord, expectedVersion: number | undefined): Promise<boolean> {
    this.#kept = undefined;
    return this.inner.putIfVersion(next, expectedVersion);
  }
}

/** The table adapters with both reads of a repeat served from this environment's memory. */
export function withRepeatCaches<T extends { sessionScopes: SessionScopeStore; delegations: DelegationStore }>(tables: T, now: () => number = Date.now): T {
  return { ...tables, sessionScopes: new RememberedScopes(tables.sessionScopes, now), delegations: new RecentDelegation(tables.delegations, DELEGATION_MAX_AGE_MS, now) };
}
