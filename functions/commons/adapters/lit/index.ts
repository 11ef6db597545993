/**
 * The Lit adapter: one connection per environment (lazy SDK load), and the domain's Lit ports
 * over it. Importing this module does NOT load the SDK; the first connect or chain call does.
 */
import type { LitConfig } from '../../config';
import { createLitConnection, type LitNodeClientInstance } from './client';
import type { LitConnection, LitConnectionOptions } from './connection';
import { LitChain } from './contracts';
import { LitDelegationSigner } from './delegation';
import { LitSessionSigIssuer } from './session-sigs';

export { LitConnection, type ConnectableClient, type ConnectionState, type LitConnectionOptions } from './connection';
export { createLitNodeClient, createLitConnection, type LitNodeClientInstance } from './client';
export { mapLitError, litFailureDetails, isNodeError } from './errors';
export { litClientSettings, litContractsContext, chainRpcUrl, STAKING_ABI_FRAGMENT } from './network';
export { isLitSdkLoaded, loadLitSdk } from './sdk';
export { LitSessionSigIssuer } from './session-sigs';
export { LitDelegationSigner } from './delegation';
export { LitChain, ethWalletAuthMethodId } from './contracts';
export { ownerAuthMethod, ETH_WALLET_AUTH_METHOD_TYPE } from './owner-auth';
export { toLitResourceAbilityRequests } from './resources';

export interface LitAdapters {
  connection: LitConnection<LitNodeClientInstance>;
  issuer: LitSessionSigIssuer;
  delegationSigner: LitDelegationSigner;
  chain: LitChain;
}

export function createLitAdapters(lit: LitConfig, options: Omit<LitConnectionOptions<LitNodeClientInstance>, 'create' | 'attempts'> = {}): LitAdapters {
  const connection = createLitConnection(lit, options);
  return {
    connection,
    issuer: new LitSessionSigIssuer(connection),
    delegationSigner: new LitDelegationSigner(connection),
    chain: new LitChain(lit),
  };
}
