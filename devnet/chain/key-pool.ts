import type { ethers } from 'ethers';
import type { KeyVault } from './key-vault';

export interface KeyPoolOptions {
  /** Keys in the pool after a refill. */
  size: number;
  /** Refill when fewer than this many are left. */
  lowWater: number;
  onError: (error: Error) => void;
}

/**
 * Keeps the PKPNFT contract's pool of public keys topped up. Each new key pair goes into the
 * vault first, then its public key into the pool (admin-only `addKeysToPool`), so every key a
 * mint can pop already has its private key in the vault. Refills are single-flight: a check that
 * finds one running waits for it.
 */
export class KeyPoolKeeper {
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly pkpNft: ethers.Contract,
    private readonly vault: KeyVault,
    /** Sends the admin-only `addKeysToPool` transaction (through the chain's admin queue) and waits for it. */
    private readonly addKeysToPool: (publicKeys: string[]) => Promise<unknown>,
    private readonly options: KeyPoolOptions,
  ) {
    if (options.lowWater < 1 || options.size < options.lowWater) throw new RangeError('key pool needs 1 <= lowWater <= size');
  }

  /** Called on each new block: refill in the background when the pool runs low. */
  onNewBlock(): void {
    if (this.stopped || this.running) return;
    this.running = this.check()
      .catch((e: Error) => {
        if (!this.stopped) this.options.onError(e);
      })
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Top the pool up to `size` now. */
  async refill(): Promise<void> {
    while (this.running) await this.running;
    this.running = this.topUp().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running?.catch(() => undefined);
  }

  private async check(): Promise<void> {
    const remaining = ((await this.pkpNft.keyPoolRemaining()) as ethers.BigNumber).toNumber();
    if (remaining < this.options.lowWater && !this.stopped) await this.add(this.options.size - remaining);
  }

  private async topUp(): Promise<void> {
    const remaining = ((await this.pkpNft.keyPoolRemaining()) as ethers.BigNumber).toNumber();
    if (remaining < this.options.size) await this.add(this.options.size - remaining);
  }

  private async add(count: number): Promise<void> {
    await this.addKeysToPool(this.vault.generate(count));
  }
}
