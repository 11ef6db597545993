import { randomBytes } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1';
import { ethers } from 'ethers';
import { waitForReceipt } from './tx-sender';

/** Gas limit = estimate x GAS_HEADROOM_PERCENT / 100. */
const GAS_HEADROOM_PERCENT = 125n;

/**
 * An ethers v5 Signer for a private key, as the devnet's own accounts use it (the admin: every
 * deploy, key-pool refill, epoch change; and test wallets). Two differences from ethers' Wallet:
 *
 * - It signs with @noble/curves instead of elliptic + bn.js. Same transactions, same signatures
 *   (RFC 6979, low s); only faster: under jest's module sandbox bn.js's multiplication runs
 *   unoptimised, so one Wallet signature took ~150 ms and `Wallet.createRandom()` ~3 s on the
 *   2-core dev machine. Here a signature takes a few milliseconds.
 * - Its gas limit is the estimate plus 25%. An estimate is taken against the state and timestamp
 *   of a block before the one the transaction lands in; when gas depends on what changed in
 *   between (a storage slot another sender's transaction writes first, `block.timestamp` giving
 *   the value already stored, as two epoch advances in one second do), the bare estimate runs out
 *   of gas. With transactions pipelined from several wallets that is common, on anvil as it was
 *   on ganache (which needed an explicit gas limit for epoch changes).
 */
export class DevnetSigner extends ethers.Signer {
  readonly address: string;
  readonly privateKey: string;
  override readonly provider?: ethers.providers.Provider;
  private readonly key: Uint8Array;

  constructor(privateKey: string, provider?: ethers.providers.Provider) {
    super();
    this.key = ethers.utils.arrayify(privateKey);
    if (this.key.length !== 32) throw new Error('a private key is 32 bytes');
    this.privateKey = ethers.utils.hexlify(this.key);
    this.address = addressOfPrivateKey(this.key);
    this.provider = provider;
  }

  /** A new random key. */
  static createRandom(provider?: ethers.providers.Provider): DevnetSigner {
    return new DevnetSigner(`0x${randomBytes(32).toString('hex')}`, provider);
  }

  async getAddress(): Promise<string> {
    return this.address;
  }

  connect(provider: ethers.providers.Provider): DevnetSigner {
    return new DevnetSigner(this.privateKey, provider);
  }

  async signTransaction(transaction: ethers.utils.Deferrable<ethers.providers.TransactionRequest>): Promise<string> {
    const tx = await ethers.utils.resolveProperties(transaction);
    if (tx.from != null && ethers.utils.getAddress(tx.from) !== this.address)
      throw new Error(`transaction from ${tx.from} cannot be signed by ${this.address}`);
    const unsigned = { ...tx };
    delete unsigned.from;
    const digest = ethers.utils.keccak256(ethers.utils.serializeTransaction(unsigned as ethers.UnsignedTransaction));
    return ethers.utils.serializeTransaction(unsigned as ethers.UnsignedTransaction, this.sign(digest));
  }

  override async estimateGas(transaction: ethers.utils.Deferrable<ethers.providers.TransactionRequest>): Promise<ethers.BigNumber> {
    const estimate = await super.estimateGas(transaction);
    return ethers.BigNumber.from((estimate.toBigInt() * GAS_HEADROOM_PERCENT) / 100n);
  }

  /**
   * Populate, sign and send as ethers does, but hand the signed bytes to the node with
   * eth_sendRawTransaction directly: ethers' `provider.sendTransaction` parses them back first,
   * which recovers the sender with elliptic (~1 s under jest). The response is built from the
   * transaction as populated; `wait()` polls for the receipt and rejects when it reverted.
   */
  override async sendTransaction(transaction: ethers.utils.Deferrable<ethers.providers.TransactionRequest>): Promise<ethers.providers.TransactionResponse> {
    const provider = this.provider;
    if (!(provider instanceof ethers.providers.JsonRpcProvider)) return super.sendTransaction(transaction);
    const tx = await this.populateTransaction(transaction);
    const signed = await this.signTransaction(tx);
    const hash = (await provider.send('eth_sendRawTransaction', [signed])) as string;
    const response: ethers.providers.TransactionResponse = {
      hash,
      type: tx.type ?? undefined,
      to: tx.to,
      from: this.address,
      nonce: ethers.BigNumber.from(tx.nonce).toNumber(),
      gasLimit: ethers.BigNumber.from(tx.gasLimit),
      gasPrice: tx.gasPrice == null ? undefined : ethers.BigNumber.from(tx.gasPrice),
      maxFeePerGas: tx.maxFeePerGas == null ? undefined : ethers.BigNumber.from(tx.maxFeePerGas),
      maxPriorityFeePerGas: tx.maxPriorityFeePerGas == null ? undefined : ethers.BigNumber.from(tx.maxPriorityFeePerGas),
      data: ethers.utils.hexlify(tx.data ?? '0x'),
      value: ethers.BigNumber.from(tx.value ?? 0),
      chainId: ethers.BigNumber.from(tx.chainId).toNumber(),
      confirmations: 0,
      raw: signed,
      wait: async () => waitForReceipt(provider, hash),
    };
    return response;
  }

  async signMessage(message: ethers.Bytes | string): Promise<string> {
    return ethers.utils.joinSignature(this.sign(ethers.utils.hashMessage(message)));
  }

  private sign(digest: string): ethers.Signature {
    const signature = secp256k1.sign(ethers.utils.arrayify(digest), this.key);
    return ethers.utils.splitSignature({
      r: ethers.utils.hexZeroPad(ethers.utils.hexlify(signature.r), 32),
      s: ethers.utils.hexZeroPad(ethers.utils.hexlify(signature.s), 32),
      recoveryParam: signature.recovery,
    });
  }
}

/** The checksummed address of a private key (keccak256 of the uncompressed public key). */
export function addressOfPrivateKey(privateKey: string | Uint8Array): string {
  const publicKey = secp256k1.getPublicKey(ethers.utils.arrayify(privateKey), false);
  return ethers.utils.getAddress(ethers.utils.hexDataSlice(ethers.utils.keccak256(publicKey.slice(1)), 12));
}
