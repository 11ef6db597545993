import { ethers } from 'ethers';
import type { CapacityTokenInfo, ChainView } from './chain-view';
import type { BlockTracker } from './block-tracker';
import type { KeyVault } from './key-vault';

/** EthWallet, Lit's auth method type 1. */
const AUTH_METHOD_ETH_WALLET = 1;

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

  isRecentBlockhash(hash: string): boolean {
    return this.blocks.isRecent(hash);
  }

  /**
   * True when one of the PKP's permitted auth methods of type 1 (EthWallet) names `address`, in any
   * of the id forms Lit uses for it: the 20 address bytes (what `addPermittedAddress` stores, and
   * what `isPermittedAddress` checks), or keccak256(`<address>:lit`) (what the SDK's
   * `mintWithAuth` registers for an EthWallet auth method), checksummed or lower-case.
   * Being the NFT's owner is not enough on its own: permission is explicit, as on Lit.
   */
  async isPermittedEthWallet(pkpPublicKey: string, address: string): Promise<boolean> {
    const tokenId = pkpTokenIdFromPublicKey(pkpPublicKey);
    if (tokenId === undefined || !ethers.utils.isAddress(address)) return false;
    const checksummed = ethers.utils.getAddress(address);
    const accepted = new Set([
      checksummed.toLowerCase(),
      ethers.utils.keccak256(ethers.utils.toUtf8Bytes(`${checksummed}:lit`)),
      ethers.utils.keccak256(ethers.utils.toUtf8Bytes(`${checksummed.toLowerCase()}:lit`)),
    ]);
    const methods = (await this.pkpPermissions.getPermittedAuthMethods(tokenId)) as { authMethodType: ethers.BigNumber; id: string }[];
    return methods.some((m) => m.authMethodType.eq(AUTH_METHOD_ETH_WALLET) && accepted.has(m.id.toLowerCase()));
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
