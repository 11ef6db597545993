/**
 * The ONE `Storage` object the service hands the Lit SDK (`storageProvider.provider`, which the
 * SDK installs as a non-configurable `globalThis.localStorage`). It holds no data itself: each
 * call goes to the ScopeStorage bound to the current async context, so two requests running
 * concurrently in one process can never see each other's session keys or wallet sigs.
 *
 * Outside any bound scope it fails closed: reads find nothing and writes are dropped, so the SDK
 * can never carry state from one request to another. Such calls are counted (and reported to an
 * optional listener) because they mean some SDK work ran outside `runInSessionScope`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ScopeStorage } from './scope-storage';

const boundStorage = new AsyncLocalStorage<ScopeStorage>();

export type UnboundOperation = 'getItem' | 'setItem' | 'removeItem' | 'clear' | 'key' | 'length';

let unboundAccesses = 0;
let unboundListener: ((operation: UnboundOperation) => void) | undefined;

function unbound(operation: UnboundOperation): void {
  unboundAccesses++;
  if (unboundListener) {
    try {
      unboundListener(operation);
    } catch {
      // A metrics hook must never break the SDK call that tripped it.
    }
  }
}

/** Runs `fn` with `storage` as what `requestBoundStorage` delegates to, in fn's whole async context. */
export function bindScopeStorage<T>(storage: ScopeStorage, fn: () => T): T {
  return boundStorage.run(storage, fn);
}

/** The ScopeStorage bound to the current async context, if any. */
export function currentScopeStorage(): ScopeStorage | undefined {
  return boundStorage.getStore();
}

/** How many storage calls arrived outside any bound scope since the process started (or the last reset). */
export function unboundStorageAccessCount(): number {
  return unboundAccesses;
}

export function resetUnboundStorageAccessCount(): void {
  unboundAccesses = 0;
}

/** Called on every unbound access, with the operation only (never a key or value). */
export function onUnboundStorageAccess(listener: ((operation: UnboundOperation) => void) | undefined): void {
  unboundListener = listener;
}

class RequestBoundStorage implements Storage {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the DOM Storage interface's own index signature, which `implements Storage` must repeat
  [name: string]: any;

  get length(): number {
    const s = boundStorage.getStore();
    if (!s) {
      unbound('length');
      return 0;
    }
    return s.length;
  }

  key(index: number): string | null {
    const s = boundStorage.getStore();
    if (!s) {
      unbound('key');
      return null;
    }
    return s.key(index);
  }

  getItem(key: string): string | null {
    const s = boundStorage.getStore();
    if (!s) {
      unbound('getItem');
      return null;
    }
    return s.getItem(key);
  }

  setItem(key: string, value: string): void {
    const s = boundStorage.getStore();
    if (!s) return unbound('setItem');
    s.setItem(key, value);
  }

  removeItem(key: string): void {
    const s = boundStorage.getStore();
    if (!s) return unbound('removeItem');
    s.removeItem(key);
  }

  clear(): void {
    const s = boundStorage.getStore();
    if (!s) return unbound('clear');
    s.clear();
  }
}

/** Give this, and only this, to the SDK as `storageProvider: { provider: requestBoundStorage }`. */
export const requestBoundStorage: Storage = Object.freeze(new RequestBoundStorage());
