/**
 * An in-memory chain for testing the devnet's nodes alone: what the nodes read through ChainView,
 * settable by the test (blocks with times, PKP owners and permitted auth methods with scopes,
 * capacity tokens, PKP keys).
 */
import { ethers } from 'ethers';
import type { CapacityTokenInfo, ChainView, PermittedAuthMethod } from '../../../devnet/chain/chain-view';

export const tokenIdOf = (pkpPublicKey: string): string => ethers.BigNumber.from(ethers.utils.keccak256(pkpPublicKey)).toString();

export class FakeChainView implements ChainView {
  readonly blocks = new Map<string, number>();
  latest = '';
  readonly owners = new Map<string, string>();
  readonly methods = new Map<string, PermittedAuthMethod[]>();
  readonly pubkeys = new Map<string, string>();
  readonly tokens = new Map<string, CapacityTokenInfo>();
  readonly keys = new Map<string, Uint8Array>();

  constructor() {
    this.mine();
  }

  /** A new latest block at `timestamp` (unix seconds; default now). Returns its hash. */
  mine(timestamp = Math.floor(Date.now() / 1000)): string {
    const hash = ethers.utils.hexlify(ethers.utils.randomBytes(32));
    this.blocks.set(hash, timestamp);
    this.latest = hash;
    return hash;
  }

  /** A PKP owned by `owner`, its key held by the devnet. */
  addPkp(wallet: ethers.Wallet, owner: string): string {
    const tokenId = tokenIdOf(wallet.publicKey);
    this.owners.set(tokenId, ethers.utils.getAddress(owner));
    this.methods.set(tokenId, []);
    this.pubkeys.set(tokenId, wallet.publicKey.toLowerCase());
    this.keys.set(wallet.publicKey.toLowerCase(), ethers.utils.arrayify(wallet.privateKey));
    return tokenId;
  }

  /** Permit an EthWallet address on the PKP, as `mintWithAuth` registers it (keccak256("<address>:lit")). */
  permitWallet(tokenId: string, address: string, scopes: number[]): void {
    const id = ethers.utils.keccak256(ethers.utils.toUtf8Bytes(`${address}:lit`)).toLowerCase();
    this.methods.get(tokenId)!.push({ authMethodType: 1, id, scopes });
  }

  /** Permit a Lit Action on the PKP, as PKPPermissions.addPermittedAction registers it (type 2, id = the CID's base58 bytes). */
  permitAction(tokenId: string, cid: string, scopes: number[]): void {
    const id = ethers.utils.hexlify(ethers.utils.base58.decode(cid)).toLowerCase();
    this.methods.get(tokenId)!.push({ authMethodType: 2, id, scopes });
  }

  latestBlockhash(): string {
    return this.latest;
  }
  async blockByHash(hash: string): Promise<{ hash: string; timestamp: number } | null> {
    const t = this.blocks.get(hash.toLowerCase());
    return t === undefined ? null : { hash: hash.toLowerCase(), timestamp: t };
  }
  async pkpOwner(tokenId: string): Promise<string | null> {
    return this.owners.get(tokenId) ?? null;
  }
  async permittedAuthMethods(tokenId: string): Promise<PermittedAuthMethod[]> {
    return this.methods.get(tokenId) ?? [];
  }
  async tokenIdsForAuthMethod(authMethodType: number, idHex: string): Promise<string[]> {
    return [...this.methods].filter(([, ms]) => ms.some((m) => m.authMethodType === authMethodType && m.id === idHex.toLowerCase())).map(([t]) => t);
  }
  async pkpPublicKeyOf(tokenId: string): Promise<string | null> {
    return this.pubkeys.get(tokenId) ?? null;
  }
  async capacityToken(tokenId: string): Promise<CapacityTokenInfo | null> {
    return this.tokens.get(tokenId) ?? null;
  }
  async capacityTokensOwnedBy(address: string): Promise<CapacityTokenInfo[]> {
    return [...this.tokens.values()].filter((t) => t.owner.toLowerCase() === address.toLowerCase());
  }
  pkpPrivateKey(pkpPublicKey: string): Uint8Array | undefined {
    const key = this.keys.get(pkpPublicKey.toLowerCase());
    return key ? Uint8Array.from(key) : undefined;
  }
}
