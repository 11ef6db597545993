/**
 * Keeps each scope's entries (session key, wallet sig) in the execution environment's memory
 * between requests, in front of the table's SessionScopeStore, so a warm repeat issuance reads
 * nothing: the Lit issuer still sees one `Storage` per request and cannot tell the difference.
 *
 * Why a copy is safe to use across concurrent environments:
 * - A scope is (PKP, caller role, auth identity): every environment that holds a copy of it holds
 *   what the table held for exactly that scope at some version, and any valid wallet sig of that
 *   scope authorises exactly what the table's current one would (the SDK verifies the sig again
 *   before it signs with it). So an older copy is not wrong, only possibly older.
 * - A copy is served only while its wallet sig lasts past what the request needs
 *   (`requiredValidUntilMs`), and for at most MAX_AGE_MS: otherwise the table is read, where a
 *   newer wallet sig another environment made is found instead of making one more node round.
 * - Writes stay conditional on the version the copy was loaded at: a stale copy can never
 *   overwrite a newer item. A lost race or a failed write drops the copy (the next request reads).
 * What is given up: a scope item deleted from the table (to force new wallet sigs) stays in use
 * by warm environments for up to MAX_AGE_MS.
 */
import type { LoadedScope, SessionScope, SessionScopeStore } from '../ports';
import { SDK_STORAGE_KEYS } from './sdk-keys';
import { walletSigExpiryMs } from './wallet-sig';
import { setBounded } from '../bounded-map';

/** A copy older than this is read again from the table (bounds how long a deleted scope lives on). */
export const SCOPE_MEMORY_MAX_AGE_MS = 5 * 60_000;
/** Scopes one environment keeps (least recently used dropped first); each is a few KB. */
export const SCOPE_MEMORY_MAX_SCOPES = 1_000;

interface Copy {
  loaded: LoadedScope;
  walletSigExpiresMs: number;
  storedAtMs: number;
}

export interface ScopeMemoryOptions {
  maxAgeMs?: number;
  maxScopes?: number;
  /** Unix ms. @default Date.now */
  now?: () => number;
}

export class MemoryCachedScopeStore implements SessionScopeStore {
  readonly #copies = new Map<string, Copy>();
  #hits = 0;
  #reads = 0;

  constructor(
    private readonly table: SessionScopeStore,
    private readonly options: ScopeMemoryOptions = {},
  ) {}

  /** Loads served from memory / from the table, since the environment started. */
  stats(): { hits: number; reads: number; scopes: number } {
    return { hits: this.#hits, reads: this.#reads, scopes: this.#copies.size };
  }

  async load(scope: SessionScope, options: { requiredValidUntilMs?: number } = {}): Promise<LoadedScope> {
    const key = memoryKey(scope);
    const now = this.#now();
    const copy = this.#copies.get(key);
    if (
      copy &&
      now - copy.storedAtMs < (this.options.maxAgeMs ?? SCOPE_MEMORY_MAX_AGE_MS) &&
      copy.walletSigExpiresMs > Math.max(now, options.requiredValidUntilMs ?? 0)
    ) {
      this.#hits++;
      // Most recently used last, so eviction drops the least recently used first.
      this.#copies.delete(key);
      this.#copies.set(key, copy);
      return { scope, entries: new Map(copy.loaded.entries), version: copy.loaded.version };
    }
    this.#reads++;
    const loaded = await this.table.load(scope, options);
    this.#remember(key, loaded, now);
    return loaded;
  }

  async save(loaded: LoadedScope, entries: Map<string, string>, expiresAt: number): Promise<boolean> {
    const key = memoryKey(loaded.scope);
    let saved = false;
    try {
      saved = await this.table.save(loaded, entries, expiresAt);
    } finally {
      if (saved) this.#remember(key, { scope: loaded.scope, entries: new Map(entries), version: loaded.version + 1 }, this.#now());
      else this.#copies.delete(key);
    }
    return saved;
  }

  #remember(key: string, loaded: LoadedScope, now: number): void {
    const expiry = walletSigExpiryMs(loaded.entries.get(SDK_STORAGE_KEYS.WALLET_SIGNATURE));
    this.#copies.delete(key);
    // Only a scope with a wallet sig and its session key is worth keeping: anything else needs a node round anyway.
    if (expiry === undefined || expiry <= now || !loaded.entries.has(SDK_STORAGE_KEYS.SESSION_KEY)) return;
    setBounded(this.#copies, this.options.maxScopes ?? SCOPE_MEMORY_MAX_SCOPES, key, {
      loaded: { scope: loaded.scope, entries: new Map(loaded.entries), version: loaded.version },
      walletSigExpiresMs: expiry,
      storedAtMs: now,
    });
  }

  #now(): number {
    return (this.options.now ?? Date.now)();
  }
}

/** The scope's identity as one string (NUL-separated: no field can contain it). */
function memoryKey(scope: SessionScope): string {
  return [scope.pkpPublicKey.toLowerCase(), scope.caller, scope.authIdentity].join('\u0000');
}
