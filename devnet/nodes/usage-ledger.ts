/**
 * What the real node's rate limiter remembers between requests (rust/lit-node/src/rate_limiting/
 * models.rs:19-64), one set per node:
 *
 * - `delegation_uses_map`: uses of each capacity delegation, keyed by sha256 of the delegation's
 *   `sig` string (data.rs:188-192), incremented only when rate limit allocation is on
 *   (data.rs:88-98). Each node counts its own; a delegation's `uses` limit is checked against the
 *   count of the node that serves the request. The network's count is the largest of the nodes'.
 * - `nft_usage_map`: timestamps of the requests allocated to each capacity NFT in the rate limit
 *   window (data.rs:32-101).
 *
 * Deliberate difference: the devnet can persist the uses counts across restarts (`snapshot` /
 * `fromSnapshot`, saved from `onChange`), where the real node keeps them in memory only (moka
 * cache, 30-day TTL, models.rs:53-57). The NFT timestamps are in memory only, as on the node.
 */
import { createHash } from 'node:crypto';

/** The ledger as plain JSON: delegation key -> node index -> uses counted there. */
export type UsageSnapshot = Record<string, Record<string, number>>;

export class UsageLedger {
  private readonly counts = new Map<string, Map<number, number>>();
  /** node index -> NFT token id (decimal) -> request times (ms), oldest first. Not persisted. */
  private readonly nftUsage = new Map<number, Map<string, number[]>>();

  /**
   * `onChange` runs after every counted use and after `clear` (a persistent devnet saves the
   * ledger from it).
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

  /**
   * The ledger key of a capacity delegation: sha256 of its `sig` string, hex (data.rs:188-192).
   */
  static keyOf(sig: string): string {
    return createHash('sha256').update(sig, 'utf8').digest('hex');
  }

  /**
   * Uses of the delegation whose `sig` is given, as the network counts them (the largest count of
   * any node).
   */
  usedBy(sig: string): number {
    return this.used(UsageLedger.keyOf(sig));
  }

  /** Uses of a delegation counted on one node (what that node compares with the delegation's `uses`). */
  usesOn(delegationKey: string, nodeIndex: number): number {
    return this.counts.get(delegationKey)?.get(nodeIndex) ?? 0;
  }

  /** Count one use of a delegation on one node (data.rs:88-98). */
  countUse(delegationKey: string, nodeIndex: number): void {
    let perNode = this.counts.get(delegationKey);
    if (!perNode) {
      perNode = new Map();
      this.counts.set(delegationKey, perNode);
    }
    perNode.set(nodeIndex, (perNode.get(nodeIndex) ?? 0) + 1);
    this.onChange?.();
  }

  /** Count one use on `nodeIndex` if fewer than `limit` were made there; false when exhausted. */
  tryConsume(delegationKey: string, nodeIndex: number, limit: number | undefined): boolean {
    if (limit !== undefined && this.usesOn(delegationKey, nodeIndex) >= limit) return false;
    this.countUse(delegationKey, nodeIndex);
    return true;
  }

  /** Uses of a delegation as the network counts them. */
  used(delegationKey: string): number {
    const perNode = this.counts.get(delegationKey);
    return perNode ? Math.max(0, ...perNode.values()) : 0;
  }

  /**
   * The request times allocated to an NFT on a node (the node's `nft_usage_map` entry), or
   * undefined when the node has none yet. The array is live: the rate limiter edits it.
   */
  nftTimestamps(nodeIndex: number, tokenId: string): number[] | undefined {
    return this.nftUsage.get(nodeIndex)?.get(tokenId);
  }

  /** Start an NFT's request times on a node with one entry (data.rs:77-86). */
  startNftTimestamps(nodeIndex: number, tokenId: string, firstMs: number): void {
    let perNode = this.nftUsage.get(nodeIndex);
    if (!perNode) {
      perNode = new Map();
      this.nftUsage.set(nodeIndex, perNode);
    }
    perNode.set(tokenId, [firstMs]);
  }

  clear(): void {
    this.counts.clear();
    this.nftUsage.clear();
    this.onChange?.();
  }
}
