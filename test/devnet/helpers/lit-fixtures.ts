/**
 * What the SDK tests set up on a devnet through the real SDK: PKPs minted with LitContracts and
 * the owner permitted as an EthWallet auth method, capacity credits, EthWallet auth methods.
 */
import { LitContracts } from '@lit-protocol/contracts-sdk';
import { LIT_ABILITY } from '@lit-protocol/constants';
import { createSiweMessage, generateAuthSig, LitPKPResource } from '@lit-protocol/auth-helpers';
import type { LitNodeClient } from '@lit-protocol/lit-node-client';
import { ethers } from 'ethers';
import type { Devnet } from '../../../devnet';

export interface MintedPkp {
  tokenId: string;
  /** 0x04… */
  publicKey: string;
  ethAddress: string;
}

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
      authMethodType: 1,
      authMethodId: ethers.utils.arrayify(address),
      authMethodScopes: [1],
    });
  }
  const publicKey = pkp.publicKey.startsWith('0x') ? pkp.publicKey : `0x${pkp.publicKey}`;
  return { tokenId: pkp.tokenId, publicKey, ethAddress: pkp.ethAddress };
}

export async function mintCapacityToken(contracts: LitContracts): Promise<string> {
  const { capacityTokenIdStr } = await contracts.mintCapacityCreditsNFT({ requestsPerKilosecond: 1000, daysUntilUTCMidnightExpiration: 2 });
  return capacityTokenIdStr;
}

/** An EthWallet auth method for `wallet`: a SIWE auth sig with the devnet's latest block hash. */
export async function ethWalletAuthMethod(
  client: LitNodeClient,
  wallet: ethers.Wallet,
  expiration = new Date(Date.now() + 3600_000).toISOString(),
): Promise<{ authMethodType: number; accessToken: string }> {
  const toSign = await createSiweMessage({ walletAddress: wallet.address, nonce: await client.getLatestBlockhash(), expiration });
  const authSig = await generateAuthSig({ signer: wallet, toSign });
  return { authMethodType: 1, accessToken: JSON.stringify(authSig) };
}

export const pkpSigningRequests = (): { resource: LitPKPResource; ability: typeof LIT_ABILITY.PKPSigning }[] => [
  { resource: new LitPKPResource('*'), ability: LIT_ABILITY.PKPSigning },
];
