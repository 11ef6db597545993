/**
 * What the devnet's Lit nodes need to know from the chain and from the devnet's key vault.
 * The chain side (`devnet/chain/`) implements it over anvil and the deployed contracts; the node
 * side (`devnet/nodes/`) only ever reads through it, so each can be built and tested alone.
 */

export interface CapacityTokenInfo {
  tokenId: string;
  /** Current owner of the RateLimitNFT token (checksummed address). */
  owner: string;
  /** Unix seconds after which the token gives no capacity. */
  expiresAt: number;
  requestsPerKilosecond: bigint;
}

export interface ChainView {
  /** Hash of the latest block, `0x` + 64 hex. Nodes hand it out as the SIWE nonce. */
  latestBlockhash(): string;
  /** True if `hash` is one of the recent block hashes (nodes accept a small window of them). */
  isRecentBlockhash(hash: string): boolean;
  /**
   * True if an EthWallet holder with `address` may act for the PKP: the address is a permitted
   * auth method of type 1 (EthWallet) or a permitted address of the PKP on chain.
   */
  isPermittedEthWallet(pkpPublicKey: string, address: string): Promise<boolean>;
  /** The capacity token as the chain sees it, or null when no such token exists. */
  capacityToken(tokenId: string): Promise<CapacityTokenInfo | null>;
  /**
   * The PKP's secp256k1 private key (32 bytes), held by the devnet's key vault, or undefined when
   * the public key was not minted on this devnet. `pkpPublicKey` is 0x04… uncompressed.
   */
  pkpPrivateKey(pkpPublicKey: string): Uint8Array | undefined;
}
