/**
 * What the domain needs from Lit and from the owner key, free of SDK types. The adapter in
 * `commons/adapters/lit/` implements these over the real SDK; unit tests pass doubles.
 */
import type { AuthSigLike, LitNodeSet } from '../ports';
import type { CallerAuthMethod, RequestedResource } from './issue-request';
import type { LitActionRequest } from './lit-action';

/**
 * The owner wallet as the domain sees it: an address and a way to sign. An ethers `Wallet`
 * satisfies it; the private key itself never leaves the secrets adapter's object.
 */
export interface OwnerSigner {
  readonly address: string;
  getAddress(): Promise<string>;
  signMessage(message: string | Uint8Array): Promise<string>;
}

export interface SessionSigsParams {
  pkpPublicKey: string;
  resources: readonly RequestedResource[];
  /** The session sigs' expiry. */
  expiration: Date;
  /**
   * When the nodes must sign a new wallet sig, make it last until this instant (≥ expiration),
   * so that later requests for this scope can reuse it and sign locally. Session sigs themselves
   * still get `expiration`. Without it, every request asking a later expiry than the last would
   * need a node round (a wallet sig never outlives the session sigs it was made with).
   */
  walletSigValidUntil?: Date;
  /** Caller-supplied auth methods; absent means "authenticate as the owner wallet" (unless litAction). */
  authMethods?: readonly CallerAuthMethod[];
  /**
   * Authenticate with this Lit Action alone: the nodes run it, and sign only if it answers true
   * and its CID is a permitted action of the PKP. No auth method goes with it (not the owner's).
   */
  litAction?: LitActionRequest;
  /** The current capacity delegation, put into every session sig's capabilities. */
  capabilityAuthSig: AuthSigLike;
  owner: OwnerSigner;
  /** Unix ms by which a (re)connection attempt must give up. */
  deadlineMs: number;
}

export interface IssuedSessionSigs {
  /** Node URL → session sig, as the SDK returns them (the caller passes them to Lit as they are). */
  sessionSigs: Record<string, unknown>;
  /** ISO time the session sigs expire. */
  expiresAt: string;
}

/** Gets PKP session sigs. Must run inside `runInSessionScope` (the SDK caches through localStorage). */
export interface SessionSigIssuer {
  getPkpSessionSigs(params: SessionSigsParams): Promise<IssuedSessionSigs>;
}

export interface CapacityDelegationParams {
  owner: OwnerSigner;
  capacityTokenId: string;
  /** ETH addresses; undefined means unrestricted. */
  delegateeAddresses?: string[];
  uses?: string;
  expiration: Date;
  deadlineMs: number;
}

/** Signs capacity delegations (the owner's EIP-191 SIWE with the capacity ReCap). */
export interface DelegationSigner {
  createCapacityDelegation(params: CapacityDelegationParams): Promise<AuthSigLike>;
  /** The nodes the signer's client is connected to now, if it knows (recorded for /health?deep=true). */
  connectedNodes?(): LitNodeSet | undefined;
}

/** Reads the capacity NFT's own expiry from the chain. */
export interface CapacityReader {
  /** Unix seconds. */
  capacityExpiresAt(capacityTokenId: string): Promise<number>;
}

export interface OwnedPkp {
  tokenId: string;
  publicKey: string;
  ethAddress: string;
}

/** PKP admin operations (list / mint) against the chain. */
export interface PkpRegistry {
  listOwnedBy(ownerAddress: string): Promise<OwnedPkp[]>;
  /** Mints a PKP with `owner`'s address permitted as an EthWallet auth method (sign-anything scope). */
  mintForOwner(owner: OwnerSigner, deadlineMs: number): Promise<OwnedPkp & { transactionHash: string }>;
}

/** Gives the owner wallet; OWNER_KEY_UNAVAILABLE on failure. Cached by the adapter. */
export type OwnerKeySource = () => Promise<OwnerSigner>;
