/**
 * What the SDK tests set up on a devnet through the real SDK: PKPs minted with LitContracts and
 * the owner permitted as an EthWallet auth method, capacity credits (those three live in
 * devnet/fixtures.ts, product code for the local stack, and are re-exported here), EthWallet auth
 * methods.
 */
import { LIT_ABILITY } from '@lit-protocol/constants';
import { createSiweMessage, generateAuthSig, LitPKPResource } from '@lit-protocol/auth-helpers';
import type { LitNodeClient } from '@lit-protocol/lit-node-client';
import { ethers } from 'ethers';

export { litContractsFor, mintCapacityToken, mintPkp, transferPkp, type MintedPkp } from '../../../devnet/fixtures';

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

/** Session sigs as the SDK returns them (one per node URL). */
export type SessionSigs = Record<string, { sig: string; signedMessage: string; address: string; algo: string; derivedVia: string }>;
/** A wallet sig (auth sig) as the SDK stores and sends it. */
export type AuthSig = { sig: string; signedMessage: string; address: string; derivedVia: string };

/** An ISO expiry one hour from now. */
export const inAnHour = (): string => new Date(Date.now() + 3600_000).toISOString();
/** keccak256 of a UTF-8 text: what pkpSign is given to sign. */
export const digestOf = (text: string): Uint8Array => ethers.utils.arrayify(ethers.utils.keccak256(ethers.utils.toUtf8Bytes(text)));

/**
 * `getPkpSessionSigs` for pkp-signing on any PKP, authenticated as `wallet` (EthWallet), with the
 * capacity delegation (none when null), expiring in an hour unless told.
 */
export async function pkpSessionSigs(
  client: LitNodeClient,
  wallet: ethers.Wallet,
  pkpPublicKey: string,
  delegation: AuthSig | null,
  expiration: string = inAnHour(),
): Promise<SessionSigs> {
  return (await client.getPkpSessionSigs({
    pkpPublicKey,
    authMethods: [await ethWalletAuthMethod(client, wallet)],
    resourceAbilityRequests: pkpSigningRequests(),
    capabilityAuthSigs: delegation === null ? [] : [delegation],
    expiration,
  })) as SessionSigs;
}

/** A capacity delegation from `owner` to the given PKP addresses, expiring in an hour. */
export async function capacityDelegation(
  client: LitNodeClient,
  owner: ethers.Wallet,
  capacityTokenId: string,
  delegateeAddresses: string[],
  uses = '1000',
): Promise<AuthSig> {
  const { capacityDelegationAuthSig } = await client.createCapacityDelegationAuthSig({
    dAppOwnerWallet: owner,
    capacityTokenId,
    delegateeAddresses,
    uses,
    expiration: inAnHour(),
  });
  return capacityDelegationAuthSig as AuthSig;
}
