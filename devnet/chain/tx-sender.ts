import { ethers } from 'ethers';

export interface TxSenderOptions {
  /** Give up waiting for a receipt after this long. Default 60 s. */
  receiptTimeoutMs?: number;
}

/** Builds, signs and sends one transaction with the nonce it is given (e.g. `(o) => contract.fn(arg, o)`). */
export type BuildTx = (overrides: { nonce: number }) => Promise<ethers.providers.TransactionResponse>;

/**
 * Sends the transactions of one wallet, as many at once as callers like, without ever wedging its
 * nonce. Nonces are handed out one at a time, in call order: a send takes the next nonce and holds
 * it until the node has the signed transaction (or refused it); receipts are then awaited
 * concurrently, so sends are pipelined, not run one transaction at a time. A send that fails (a
 * revert at gas estimation, a refused or lost request) gives its nonce back by reading the
 * wallet's 'pending' transaction count from the chain again, so the next send fills the gap
 * instead of waiting forever behind it.
 *
 *   const sender = new TxSender(signer);
 *   const receipt = await sender.send((o) => pkpNft.connect(signer).mintNext(2, { ...o, value }));
 */
export class TxSender {
  private nextNonce: number | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly receiptTimeoutMs: number;

  private readonly provider: ethers.providers.Provider;

  constructor(
    /** A signer connected to the chain (a `DevnetSigner`, or an ethers Wallet). */
    readonly signer: ethers.Signer,
    options: TxSenderOptions = {},
  ) {
    if (!signer.provider) throw new Error('TxSender needs a signer connected to a provider');
    this.provider = signer.provider;
    this.receiptTimeoutMs = options.receiptTimeoutMs ?? 60_000;
  }

  /** Send what `build` makes and resolve with its receipt once mined; rejects when it reverts. */
  async send(build: BuildTx): Promise<ethers.providers.TransactionReceipt> {
    const tx = await this.submit(build);
    return waitForReceipt(this.provider, tx.hash, this.receiptTimeoutMs);
  }

  /** Only the submission: resolves once the node holds the transaction, with its nonce taken. */
  submit(build: BuildTx): Promise<ethers.providers.TransactionResponse> {
    const submitted = this.queue.then(async () => {
      if (this.nextNonce === undefined) this.nextNonce = await this.signer.getTransactionCount('pending');
      const nonce = this.nextNonce;
      try {
        const tx = await build({ nonce });
        if (tx.nonce !== nonce) throw new Error(`the transaction was built with nonce ${tx.nonce}, not the ${nonce} it was given`);
        this.nextNonce = nonce + 1;
        return tx;
      } catch (error) {
        // Resync from the chain: the node may or may not hold a transaction with this nonce.
        this.nextNonce = undefined;
        throw error;
      }
    });
    this.queue = submitted.catch(() => undefined);
    return submitted;
  }

  /** Forget the nonce: the next send reads it from the chain ('pending'). */
  resync(): void {
    this.nextNonce = undefined;
  }
}

/**
 * Poll for the receipt of `hash` (anvil mines a transaction within milliseconds of receiving it);
 * resolve with it when the transaction succeeded, reject when it reverted or no receipt came
 * within `timeoutMs`.
 */
export async function waitForReceipt(provider: ethers.providers.Provider, hash: string, timeoutMs = 60_000): Promise<ethers.providers.TransactionReceipt> {
  const deadline = Date.now() + timeoutMs;
  let pause = 5;
  for (;;) {
    const receipt = await provider.getTransactionReceipt(hash);
    if (receipt && receipt.blockNumber != null) {
      if (receipt.status === 0) {
        throw Object.assign(new Error(`transaction ${hash} reverted (mined in block ${receipt.blockNumber} with status 0)`), {
          code: 'CALL_EXCEPTION',
          receipt,
        });
      }
      return receipt;
    }
    if (Date.now() >= deadline) throw Object.assign(new Error(`transaction ${hash} was not mined within ${timeoutMs} ms`), { code: 'TIMEOUT' });
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, 100);
  }
}
