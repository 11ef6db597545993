/**
 * Keeps the latest block hash, and a window of recent ones, available synchronously.
 *
 * Lit nodes hand out the latest block hash as the SIWE nonce and accept a window of recent
 * hashes back; `ChainView.latestBlockhash()` is synchronous, so the hashes are pushed here by a
 * `newHeads` subscription on anvil's WebSocket rather than read on demand.
 */
export class BlockTracker {
  private readonly recent: string[] = [];
  private readonly recentSet = new Set<string>();

  constructor(private readonly windowSize: number) {
    if (!Number.isInteger(windowSize) || windowSize < 1) throw new RangeError('windowSize must be a positive integer');
  }

  /** Record a new head (hash `0x` + 64 hex). Re-recording a known hash is a no-op. */
  record(hash: string): void {
    const h = hash.toLowerCase();
    if (this.recentSet.has(h)) return;
    this.recent.push(h);
    this.recentSet.add(h);
    while (this.recent.length > this.windowSize) {
      this.recentSet.delete(this.recent.shift() as string);
    }
  }

  latest(): string {
    const last = this.recent[this.recent.length - 1];
    if (!last) throw new Error('no block recorded yet');
    return last;
  }

  isRecent(hash: string): boolean {
    return typeof hash === 'string' && this.recentSet.has(hash.toLowerCase());
  }
}
