/**
 * The owner's EthWallet auth method: a SIWE for the owner's address, nonce = the network's latest
 * blockhash, signed with the owner key (EIP-191). The nodes accept it as proof that the owner
 * (a permitted auth method of the PKP) asks for the session key to be signed.
 */
import type { OwnerSigner } from '../../ports';
import type { LitSdk } from './sdk';

/** Lit's auth method type for an Ethereum wallet. */
export const ETH_WALLET_AUTH_METHOD_TYPE = 1;

export interface BlockhashSource {
  getLatestBlockhash(): Promise<string>;
}

export async function ownerAuthMethod(sdk: LitSdk, client: BlockhashSource, owner: OwnerSigner, expiration: string) {
  const address = await owner.getAddress();
  const siwe = await sdk.authHelpers.createSiweMessage({
    walletAddress: address,
    nonce: await client.getLatestBlockhash(),
    expiration,
    statement: 'lit-session-service: owner authentication for PKP session signing',
  });
  const authSig = await sdk.authHelpers.generateAuthSig({ signer: owner, toSign: siwe, address });
  return { authMethodType: ETH_WALLET_AUTH_METHOD_TYPE, accessToken: JSON.stringify(authSig) };
}
