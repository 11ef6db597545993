import { ethers } from 'ethers';
import type { CapacityTokenInfo, ChainView, PermittedAuthMethod } from './chain-view';
import type { BlockTracker } from './block-tracker';
import type { KeyVault } from './key-vault';

/**
 * ChainView over the devnet's contracts (read through the in-process provider) and key vault.
 */
export class DevnetChainView implements ChainView {
  constructor(
    private readonly blocks: BlockTracker,
    private readonly vault: KeyVault,
    private readonly pkpPermissions: ethers.Contract,
    private readonly rateLimitNft: ethers.Contract,
  ) {}

  latestBlockhash(): string {
    return this.blocks.latest();
  }

  async capacityToken(tokenId: string): Promise<CapacityTokenInfo | null> {
    let id: ethers.BigNumber;
    try {
      id = ethers.BigNumber.from(tokenId);
    } catch {
      return null;
    }
    if (id.isNegative()) return null;
    const exists = (await this.rateLimitNft.exists(id)) as boolean;
    if (!exists) return null;
    const [owner, capacity] = (await Promise.all([this.rateLimitNft.ownerOf(id), this.rateLimitNft.capacity(id)])) as [
      string,
      { requestsPerKilosecond: ethers.BigNumber; expiresAt: ethers.BigNumber },
    ];
    return {
      tokenId: id.toString(),
      owner: ethers.utils.getAddress(owner),
      expiresAt: capacity.expiresAt.toNumber(),
      requestsPerKilosecond: capacity.requestsPerKilosecond.toBigInt(),
    };
  }

  pkpPrivateKey(pkpPublicKey: string): Uint8Array | undefined {
    return this.vault.privateKeyFor(pkpPublicKey);
  }

  async blockByHash(hash: string): Promise<{ hash: string; timestamp: number } | null> {
    const block = await this.pkpPermissions.provider.getBlock(hash.toLowerCase()).catch(() => null);
    return block ? { hash: block.hash.toLowerCase(), timestamp: block.timestamp } : null;
  }

  async pkpOwner(tokenId: string): Promise<string | null> {
    try {
      return ethers.utils.getAddress((await (await this.pkpNft()).ownerOf(tokenId)) as string);
    } catch {
      return null; // ownerOf reverts for a token that was never minted, as on Lit's PKPNFT
    }
  }

  async permittedAuthMethods(tokenId: string): Promise<PermittedAuthMethod[]> {
    const methods = (await this.pkpPermissions.getPermittedAuthMethods(tokenId)) as { authMethodType: ethers.BigNumber; id: string }[];
    return Promise.all(
      methods.map(async (m) => {
        const flags = (await this.pkpPermissions.getPermittedAuthMethodScopes(tokenId, m.authMethodType, m.id, 32)) as boolean[];
        return { authMethodType: m.authMethodType.toNumber(), id: m.id.toLowerCase(), scopes: flags.flatMap((on, i) => (on ? [i] : [])) };
      }),
    );
  }

  async tokenIdsForAuthMethod(authMethodType: number, idHex: string): Promise<string[]> {
    const ids = (await this.pkpPermissions.getTokenIdsForAuthMethod(authMethodType, idHex)) as ethers.BigNumber[];
    return ids.map((id) => id.toString());
  }

  async pkpPublicKeyOf(tokenId: string): Promise<string | null> {
    const key = (await this.pkpPermissions.getPubkey(tokenId).catch(() => '0x')) as string;
    return key && key !== '0x' ? key.toLowerCase() : null;
  }

  async capacityTokensOwnedBy(address: string): Promise<CapacityTokenInfo[]> {
    const count = ((await this.rateLimitNft.balanceOf(address)) as ethers.BigNumber).toNumber();
    const ids = await Promise.all(Array.from({ length: count }, (_, i) => this.rateLimitNft.tokenOfOwnerByIndex(address, i) as Promise<ethers.BigNumber>));
    const tokens = await Promise.all(ids.map((id) => this.capacityToken(id.toString())));
    return tokens.filter((t): t is CapacityTokenInfo => t !== null);
  }

  private pkpNftContract?: Promise<ethers.Contract>;
  /** PKPNFT, found through PKPPermissions (as Lit's contracts resolve each other), with the one call the nodes make. */
  private pkpNft(): Promise<ethers.Contract> {
    this.pkpNftContract ??= (this.pkpPermissions.getPkpNftAddress() as Promise<string>).then(
      (address) => new ethers.Contract(address, ['function ownerOf(uint256) view returns (address)'], this.pkpPermissions.provider),
    );
    return this.pkpNftContract;
  }
}

/**
 * The PKP token id of an uncompressed secp256k1 public key: uint256(keccak256(pubkey)), as in
 * Lit's PKPNFT. Returns undefined for anything that is not `0x04` + 64 bytes of hex.
 */
export function pkpTokenIdFromPublicKey(pkpPublicKey: string): string | undefined {
  const hex = pkpPublicKey.startsWith('0x') ? pkpPublicKey : `0x${pkpPublicKey}`;
  if (!/^0x04[0-9a-fA-F]{128}$/.test(hex)) return undefined;
  return ethers.BigNumber.from(ethers.utils.keccak256(hex)).toString();
}
