/**
 * One SDK call against one session scope: load once, run with the scope bound, write back at
 * most once. This is what turns the SDK's synchronous `localStorage` habit into one GetItem and
 * at most one PutItem per request.
 */
import { ServiceError, toServiceError } from '../errors';
import type { SessionScope, SessionScopeStore } from '../ports';
import { bindScopeStorage } from './request-bound-storage';
import { ScopeStorage } from './scope-storage';
import { SDK_STORAGE_KEYS } from './sdk-keys';
import { walletSigExpiryMs } from './wallet-sig';

/** TTL of a scope that holds no wallet sig with a readable expiry (e.g. a session key only). */
export const DEFAULT_SCOPE_TTL_SECONDS = 15 * 60;

export interface SessionScopeOptions {
  /** Unix ms "now" for expiry decisions. @default Date.now() */
  nowMs?: number;
  /**
   * A cached wallet sig that expires before this instant (unix ms) is treated as absent, so
   * session sigs asked to live until then are never built on a shorter-lived wallet sig.
   */
  requiredValidUntilMs?: number;
  /** @default DEFAULT_SCOPE_TTL_SECONDS */
  defaultTtlSeconds?: number;
}

export interface SessionScopeRun<T> {
  result: T;
  /** The wallet sig after `fn` is the valid one loaded before it: no node round trip was needed for it. */
  walletSigReused: boolean;
  /** The entries changed and were written back. False when nothing changed, a concurrent request won the race, or the write failed. */
  saved: boolean;
  /**
   * Set when the write-back failed for a reason other than a lost race. The result is still
   * valid (the session sigs were issued), so this is reported rather than thrown: log and count it.
   */
  saveError?: ServiceError;
}

/**
 * Loads `scope`, runs `fn` with its entries bound to `requestBoundStorage`, and writes the
 * entries back if they changed, with TTL = the wallet sig's expiry. If `fn` throws, nothing is
 * written and the error propagates unchanged.
 */
export async function runInSessionScope<T>(
  store: SessionScopeStore,
  scope: SessionScope,
  fn: () => Promise<T>,
  options: SessionScopeOptions = {},
): Promise<SessionScopeRun<T>> {
  const now = options.nowMs ?? Date.now();
  const validFrom = Math.max(now, options.requiredValidUntilMs ?? 0);
  const loaded = await store.load(scope, { requiredValidUntilMs: validFrom });

  const entries = new Map(loaded.entries);
  const loadedWalletSig = entries.get(SDK_STORAGE_KEYS.WALLET_SIGNATURE);
  let reusableWalletSig: string | undefined;
  if (loadedWalletSig !== undefined) {
    const expiry = walletSigExpiryMs(loadedWalletSig);
    // Unreadable, expired or too short-lived: the SDK must not see it (it would reuse it blindly).
    if (expiry === undefined || expiry <= validFrom) entries.delete(SDK_STORAGE_KEYS.WALLET_SIGNATURE);
    else reusableWalletSig = loadedWalletSig;
  }

  const storage = new ScopeStorage(entries);
  let result: T;
  try {
    result = await bindScopeStorage(storage, fn);
  } finally {
    storage.seal();
  }

  const walletSigAfter = storage.getItem(SDK_STORAGE_KEYS.WALLET_SIGNATURE);
  const walletSigReused = reusableWalletSig !== undefined && walletSigAfter === reusableWalletSig;
  if (!storage.changed) return { result, walletSigReused, saved: false };

  const expiryMs = walletSigExpiryMs(walletSigAfter) ?? now + (options.defaultTtlSeconds ?? DEFAULT_SCOPE_TTL_SECONDS) * 1000;
  try {
    const saved = await store.save(loaded, storage.snapshot(), Math.floor(expiryMs / 1000));
    return { result, walletSigReused, saved };
  } catch (e) {
    return { result, walletSigReused, saved: false, saveError: toServiceError(e) };
  }
}
