/**
 * The Lit SDK's `localStorage`, backed by DynamoDB one session scope at a time.
 *
 * Usage (once per process): `new LitNodeClient({ ..., storageProvider: { provider: requestBoundStorage } })`.
 * Per request: `await runInSessionScope(store, scope, () => client.getPkpSessionSigs(...))`, or
 * through `scopedIssuer`, which takes the scope as a parameter.
 */
export { ScopeStorage } from './scope-storage';
export {
  requestBoundStorage,
  bindScopeStorage,
  currentScopeStorage,
  unboundStorageAccessCount,
  resetUnboundStorageAccessCount,
  onUnboundStorageAccess,
  type UnboundOperation,
} from './request-bound-storage';
export { runInSessionScope, DEFAULT_SCOPE_TTL_SECONDS, type SessionScopeOptions, type SessionScopeRun } from './run-in-session-scope';
export { scopedIssuer } from './scoped-issuer';
export { SDK_STORAGE_KEYS } from './sdk-keys';
export { walletSigExpiryMs } from './wallet-sig';
export { MemoryCachedScopeStore, SCOPE_MEMORY_MAX_AGE_MS, SCOPE_MEMORY_MAX_SCOPES, type ScopeMemoryOptions } from './scope-memory';
