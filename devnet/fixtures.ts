/**
 * What a fresh devnet needs before the service can issue anything, done through the real Lit SDK
 * (LitContracts) as a user would: PKPs minted with the owner permitted as an EthWallet auth
 * method, and a capacity-credits token. Used by the local stack's bootstrap and by the tests.
 */
import { LitContracts } from '@lit-protocol/contracts-sdk';
import { ethers } from 'ethers';
import type { Devnet } from './index';

export interface MintedPkp {
  tokenId: string;
  /** 0x04… */
  publicKey: string;
  ethAddress: string;
}

/** EthWallet: the auth method type whose id is the wallet address's bytes. */
const AUTH_METHOD_ETH_WALLET = 1;
/** Scope 1 = SignAnything: the permitted wallet may get session sigs that sign with the PKP. */
const SCOPE_SIGN_ANYTHING = 1;

/** A LitContracts bound to the devnet's chain and contract addresses, acting as `privateKey`. */
export function litContractsFor(devnet: Devnet, privateKey: string): LitContracts {
  return new LitContracts({
    network: 'custom',
    rpc: devnet.contractsContext.rpc,
    customContext: devnet.contractsContext.customContext as never,
    privateKey,
    debug: false,
  });
}

/** Mint a PKP as `contracts`' wallet; permit `permitted` (addresses) as EthWallet auth methods. */
export async function mintPkp(contracts: LitContracts, permitted: string[]): Promise<MintedPkp> {
  const { pkp } = await contracts.pkpNftContractUtils.write.mint();
  for (const address of permitted) {
    await contracts.addPermittedAuthMethod({
      pkpTokenId: pkp.tokenId,
      authMethodType: AUTH_METHOD_ETH_WALLET,
      authMethodId: ethers.utils.arrayify(address),
      authMethodScopes: [SCOPE_SIGN_ANYTHING],
    });
  }
  const publicKey = pkp.publicKey.startsWith('0x') ? pkp.publicKey : `0x${pkp.publicKey}`;
  return { tokenId: pkp.tokenId, publicKey, ethAddress: pkp.ethAddress };
}

/** Give the PKP's NFT to `to`: `contracts`' wallet then no longer passes Lit's owner rule for it. */
export async function transferPkp(contracts: LitContracts, tokenId: string, to: string): Promise<void> {
  const from = await contracts.signer.getAddress();
  const tx = await contracts.pkpNftContract.write['safeTransferFrom(address,address,uint256)'](from, to, tokenId);
  await tx.wait();
}

/** Mint a capacity-credits NFT for `contracts`' wallet; returns its token id (decimal string). */
export async function mintCapacityToken(contracts: LitContracts): Promise<string> {
  const { capacityTokenIdStr } = await contracts.mintCapacityCreditsNFT({ requestsPerKilosecond: 1000, daysUntilUTCMidnightExpiration: 2 });
  return capacityTokenIdStr;
}
