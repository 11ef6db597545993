/**
 * Counts the uses of each capacity delegation across the network. Every pkpSign reaches every
 * node, so each node keeps its own count per delegation and refuses once it has served `uses`
 * requests under it; the network's count is the largest of the nodes' counts.
 */
import { createHash } from 'node:crypto';
import { ethers } from 'ethers';

/** The ledger as plain JSON: delegation key -> node index -> uses counted there. */
export type UsageSnapshot = Record<string, Record<string, number>>;

export class UsageLedger {
  private readonly counts = new Map<string, Map<number, number>>();

  /**
   * `onChange` runs after every counted use and after `clear` (a persistent devnet saves the
   * ledger from it, so that a delegation's `uses` limit holds across restarts, as on Lit).
   */
  constructor(private readonly onChange?: () => void) {}

  /** A ledger holding the counts of `snapshot` (from `snapshot()` of an earlier run). */
  static fromSnapshot(snapshot: UsageSnapshot, onChange?: () => void): UsageLedger {
    const ledger = new UsageLedger(onChange);
    for (const [key, perNode] of Object.entries(snapshot)) {
      ledger.counts.set(key, new Map(Object.entries(perNode).map(([node, used]) => [Number(node), used])));
    }
    return ledger;
  }

  snapshot(): UsageSnapshot {
    return Object.fromEntries([...this.counts].map(([key, perNode]) => [key, Object.fromEntries(perNode)]));
  }

  /** The ledger key of a delegation: its signer and signature (a re-signed delegation is a new one). */
  static keyOf(delegator: string, sig: string): string {
    return createHash('sha256').update(ethers.utils.getAddress(delegator)).update(sig).digest('hex');
  }

  /** Uses of the delegation `sig` by `delegator`, as the network counts them. */
  usedBy(delegator: string, sig: string): number {
    return this.used(UsageLedger.keyOf(delegator, sig));
  }

  /** Count one use on `nodeIndex` if fewer than `limit` were made there; false when exhausted. */
  tryConsume(delegationKey: string, nodeIndex: number, limit: number | undefined): boolean {
    let perNode = this.counts.get(delegationKey);
    if (!perNode) {
      perNode = new Map();
      this.counts.set(delegationKey, perNode);
    }
    const used = perNode.get(nodeIndex) ?? 0;
    if (limit !== undefined && used >= limit) return false;
    perNode.set(nodeIndex, used + 1);
    this.onChange?.();
    return true;
  }

  /** Uses of a delegation as the network counts them. */
  used(delegationKey: string): number {
    const perNode = this.counts.get(delegationKey);
    return perNode ? Math.max(0, ...perNode.values()) : 0;
  }

  clear(): void {
    this.counts.clear();
    this.onChange?.();
  }
}
