/**
 * Chain reads and writes through the SDK's LitContracts: the capacity NFT's expiry, the PKPs an
 * address owns, and minting a PKP for the owner. One read-only LitContracts per environment;
 * minting builds one with the owner wallet as signer.
 */
import { ethers } from 'ethers';
import type { LitConfig } from '../../config';
import { ServiceError, isServiceError } from '../../errors';
import type { CapacityReader, OwnedPkp, OwnerSigner, PkpRegistry } from '../../ports';
import { litFailureDetails } from './errors';
import { chainRpcUrl, litContractsContext } from './network';
import { loadLitContractsSdk } from './sdk';
import { ETH_WALLET_AUTH_METHOD_TYPE } from './owner-auth';

type LitContractsInstance = InstanceType<typeof import('@lit-protocol/contracts-sdk').LitContracts>;

/** Lit's permission scope "sign anything" for a PKP auth method. */
const SCOPE_SIGN_ANYTHING = 1;

/** Lit's EthWallet auth method id: keccak256("<checksummed address>:lit"). */
export function ethWalletAuthMethodId(address: string): string {
  return ethers.utils.keccak256(ethers.utils.toUtf8Bytes(`${ethers.utils.getAddress(address)}:lit`));
}

function chainError(e: unknown, operation: string): ServiceError {
  if (isServiceError(e)) return e;
  const { errorKind, errorCode } = litFailureDetails(e);
  return new ServiceError('CHAIN_UNAVAILABLE', `The chain call to ${operation} failed`, { cause: e, details: { errorKind, errorCode } });
}

export class LitChain implements CapacityReader, PkpRegistry {
  private reader: Promise<LitContractsInstance> | undefined;

  constructor(private readonly lit: LitConfig) {}

  private async build(signer?: ethers.Signer): Promise<LitContractsInstance> {
    const { LitContracts } = await loadLitContractsSdk();
    const rpc = chainRpcUrl(this.lit);
    const contracts = new LitContracts({
      network: this.lit.network as never,
      ...(rpc ? { rpc } : {}),
      ...(signer ? { signer: signer as never } : {}),
      ...(litContractsContext(this.lit) ? { customContext: litContractsContext(this.lit) as never } : {}),
      debug: false,
    });
    await contracts.connect();
    return contracts;
  }

  private read(): Promise<LitContractsInstance> {
    if (!this.reader) {
      this.reader = this.build().catch((e: unknown) => {
        this.reader = undefined;
        throw e;
      });
    }
    return this.reader;
  }

  async capacityExpiresAt(capacityTokenId: string): Promise<number> {
    try {
      const c = await this.read();
      const capacity = await c.rateLimitNftContractUtils.read.getCapacityByIndex(capacityTokenId as never);
      return Number(capacity.expiresAt.timestamp);
    } catch (e) {
      throw chainError(e, 'read the capacity NFT');
    }
  }

  async listOwnedBy(ownerAddress: string): Promise<OwnedPkp[]> {
    try {
      const c = await this.read();
      const infos = await c.pkpNftContractUtils.read.getTokensInfoByAddress(ownerAddress);
      return infos.map((i) => ({
        tokenId: String(i.tokenId),
        publicKey: normalizePublicKey(String(i.publicKey)),
        ethAddress: ethers.utils.getAddress(String(i.ethAddress)),
      }));
    } catch (e) {
      throw chainError(e, 'list PKPs');
    }
  }

  /**
   * Mints through PKPHelper so the NFT stays with the owner (the SDK's `mintWithAuth` sends it to
   * the PKP itself, and then the owner could neither list nor manage it), with the owner
   * permitted both as an EthWallet auth method (keccak256("<address>:lit"), the SDK's id) and
   * as a permitted address, scope "sign anything".
   */
  async mintForOwner(owner: OwnerSigner, _deadlineMs?: number): Promise<OwnedPkp & { transactionHash: string }> {
    try {
      if (!(owner instanceof ethers.Wallet)) throw new ServiceError('INTERNAL', 'Minting needs the owner wallet');
      const provider = new ethers.providers.StaticJsonRpcProvider(chainRpcUrl(this.lit));
      const c = await this.build(owner.connect(provider));
      const address = ethers.utils.getAddress(await owner.getAddress());
      const mintCost = await c.pkpNftContract.read.mintCost();
      const tx = await c.pkpHelperContract.write.mintNextAndAddAuthMethodsWithTypes(
        2, // ECDSA key type
        [],
        [],
        [address],
        [[SCOPE_SIGN_ANYTHING]],
        [ETH_WALLET_AUTH_METHOD_TYPE],
        [ethWalletAuthMethodId(address)],
        ['0x'],
        [[SCOPE_SIGN_ANYTHING]],
        true, // the PKP's own address is permitted too, as Lit's helpers do
        false, // keep the NFT with the owner
        { value: mintCost },
      );
      const receipt = await tx.wait();
      const minted = receipt.logs
        .filter((l) => l.address.toLowerCase() === c.pkpNftContract.read.address.toLowerCase())
        .map((l) => {
          try {
            return c.pkpNftContract.read.interface.parseLog(l);
          } catch {
            return undefined;
          }
        })
        .find((e) => e?.name === 'PKPMinted');
      if (!minted) throw new ServiceError('CHAIN_UNAVAILABLE', 'The mint transaction emitted no PKPMinted event');
      const tokenId = ethers.BigNumber.from(minted.args.tokenId).toString();
      const publicKey = normalizePublicKey(ethers.utils.hexlify(minted.args.pubkey));
      return { tokenId, publicKey, ethAddress: ethers.utils.computeAddress(publicKey), transactionHash: receipt.transactionHash };
    } catch (e) {
      throw chainError(e, 'mint a PKP');
    }
  }
}

function normalizePublicKey(k: string): string {
  const hex = k.startsWith('0x') ? k.slice(2) : k;
  return `0x${hex.toLowerCase()}`;
}
