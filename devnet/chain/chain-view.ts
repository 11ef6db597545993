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
  /** The capacity token as the chain sees it, or null when no such token exists. */
  capacityToken(tokenId: string): Promise<CapacityTokenInfo | null>;
  /**
   * The PKP's secp256k1 private key (32 bytes), held by the devnet's key vault, or undefined when
   * the public key was not minted on this devnet. `pkpPublicKey` is 0x04… uncompressed.
   */
  pkpPrivateKey(pkpPublicKey: string): Uint8Array | undefined;

  /** The block with this hash (`0x` + 64 hex, any case), or null when the chain has none. What the node's siwe_db looks a SIWE nonce up with. */
  blockByHash(hash: string): Promise<{ hash: string; timestamp: number } | null>;
  /** PKPNFT.ownerOf(tokenId) (decimal token id); null where the call reverts (no such PKP). */
  pkpOwner(tokenId: string): Promise<string | null>;
  /** PKPPermissions.getPermittedAuthMethods(tokenId), each with its scopes (getPermittedAuthMethodScopes up to 32). Ids are lower-case 0x hex. */
  permittedAuthMethods(tokenId: string): Promise<PermittedAuthMethod[]>;
  /** PKPPermissions.getTokenIdsForAuthMethod(type, id) as decimal strings. */
  tokenIdsForAuthMethod(authMethodType: number, idHex: string): Promise<string[]>;
  /** The PKP's public key (0x04…) by token id, or null. */
  pkpPublicKeyOf(tokenId: string): Promise<string | null>;
  /** Capacity tokens (RateLimitNFT) owned by `address`, expired ones included. */
  capacityTokensOwnedBy(address: string): Promise<CapacityTokenInfo[]>;
}

export interface PermittedAuthMethod {
  authMethodType: number;
  /** Lower-case 0x hex of the id bytes. */
  id: string;
  /** Scope ids set to true (1 = SignAnything, 2 = PersonalSign). */
  scopes: number[];
}
