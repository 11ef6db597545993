/**
 * The current capacity delegation, kept in the execution environment for at most
 * DELEGATION_CACHE_MAX_AGE_MS, so that issuing does not read the one DELEGATION item per request
 * (at 10,000 issuances/s that item alone would need 10,000 strongly consistent reads per second,
 * over three times a partition's limit).
 *
 * Why a cached copy is safe: a delegation stays valid on Lit until it expires, whatever was
 * stored after it, so an older copy is never wrong while it is usable. A copy is served only
 * when the request's `accept` says so, and issuing accepts only a delegation that is usable
 * (isDelegationUsable), outlives the session sigs it will carry and names the PKP: anything
 * else is read again from the table, strongly consistent, before the request is refused. So an
 * expired or config-stale copy is never used, and a refreshed delegation reaches every
 * environment within the bound.
 *
 * Why the first read may be eventually consistent: it can only return the version before a
 * refresh of the last second or so, which is still valid on Lit; when it is not acceptable, the
 * strongly consistent read that follows decides. Half the read units, and a read a replica can serve.
 */
import type { DelegationRecord, DelegationStore } from '../ports';

/** How long an environment serves its copy before reading the table again. */
export const DELEGATION_CACHE_MAX_AGE_MS = 10_000;

/** Where issuing gets the current delegation: the table each time, or an environment's cache. */
export interface CurrentDelegation {
  /** A delegation `accept` takes, else the table's current one (strongly consistent), or undefined. */
  current(accept: (record: DelegationRecord) => boolean): Promise<DelegationRecord | undefined>;
}

/** No cache: one strongly consistent read per call (what the refresher and tests want). */
export function uncachedDelegation(store: Pick<DelegationStore, 'getCurrent'>): CurrentDelegation {
  return { current: () => store.getCurrent() };
}

export class DelegationCache implements CurrentDelegation {
  #copy: { record: DelegationRecord; readAtMs: number } | undefined;

  constructor(
    private readonly store: Pick<DelegationStore, 'getCurrent'>,
    private readonly options: { maxAgeMs?: number; now?: () => number } = {},
  ) {}

  async current(accept: (record: DelegationRecord) => boolean): Promise<DelegationRecord | undefined> {
    const now = (this.options.now ?? Date.now)();
    const copy = this.#copy;
    if (copy && now - copy.readAtMs < (this.options.maxAgeMs ?? DELEGATION_CACHE_MAX_AGE_MS) && accept(copy.record)) return copy.record;
    let record = await this.store.getCurrent({ consistentRead: false });
    if (record === undefined || !accept(record)) record = await this.store.getCurrent({ consistentRead: true });
    // Kept even when this request rejects it: another request (another PKP) may accept it, and
    // each request checks it again before use.
    this.#copy = record === undefined ? undefined : { record, readAtMs: now };
    return record;
  }

  /** Forget the copy (tests; the refresher path never uses the cache). */
  clear(): void {
    this.#copy = undefined;
  }
}
