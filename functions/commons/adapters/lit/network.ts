/**
 * Lit network settings from the service config: the LitNodeClient config and the LitContracts
 * context. Pure data (no SDK import), so it is cheap to load and easy to test.
 */
import { LIT_CONTRACT_NAMES, type LitConfig } from '../../config';

/**
 * The Staking functions and event the SDK uses on connect (wire-protocol doc). The ABI bundled
 * in contracts-sdk lacks `getActiveUnkickedValidatorStructsAndCounts`, so a custom network must
 * pass its own; this fragment is that function and the `StateChanged` event the SDK listens to.
 */
export const STAKING_ABI_FRAGMENT = [
  'function getActiveUnkickedValidatorStructsAndCounts() view returns (tuple(uint256 epochLength, uint256 number, uint256 endTime, uint256 retries, uint256 timeout) epoch, uint256 minNodeCount, tuple(uint32 ip, uint128 ipv6, uint32 port, address nodeAddress, uint256 reward, uint256 senderPubKey, uint256 receiverPubKey)[] validators)',
  'function state() view returns (uint8)',
  'event StateChanged(uint8 newState)',
] as const;

/** The subset of LitNodeClientConfig the service sets (typed locally: the SDK's type lacks nodeProtocol). */
export interface LitClientSettings {
  litNetwork: string;
  rpcUrl?: string;
  contractContext?: { Staking: { address: string; abi: readonly string[] } };
  checkNodeAttestation?: boolean;
  connectTimeout: number;
  nodeProtocol?: 'http://' | 'https://';
  /** Never true in product code: the SDK's debug log prints wallet sigs. */
  debug: false;
  alertWhenUnauthorized: false;
}

export function litClientSettings(lit: LitConfig): LitClientSettings {
  const base = { connectTimeout: lit.connectTimeoutMs, debug: false as const, alertWhenUnauthorized: false as const };
  if (lit.network !== 'custom') {
    return { ...base, litNetwork: lit.network, ...(lit.rpcUrl ? { rpcUrl: lit.rpcUrl } : {}) };
  }
  const custom = requireCustom(lit);
  return {
    ...base,
    litNetwork: 'custom',
    rpcUrl: custom.rpcUrl,
    contractContext: { Staking: { address: custom.contracts.Staking, abi: STAKING_ABI_FRAGMENT } },
    checkNodeAttestation: false,
    ...(custom.nodeProtocol ? { nodeProtocol: `${custom.nodeProtocol}://` as const } : {}),
  };
}

/** The chain RPC URL for LitContracts: the custom one, the override, or undefined (the SDK's default). */
export function chainRpcUrl(lit: LitConfig): string | undefined {
  return lit.network === 'custom' ? requireCustom(lit).rpcUrl : lit.rpcUrl;
}

/**
 * `customContext` for LitContracts on a custom network: every contract by address, ABIs from the
 * SDK's bundle (it needs all 11 names or it throws). Built fresh each time: the SDK mutates it.
 */
export function litContractsContext(lit: LitConfig): Record<string, { address: string }> | undefined {
  if (lit.network !== 'custom') return undefined;
  const custom = requireCustom(lit);
  const ctx: Record<string, { address: string }> = {};
  for (const name of LIT_CONTRACT_NAMES) ctx[name] = { address: custom.contracts[name] };
  return ctx;
}

function requireCustom(lit: LitConfig): NonNullable<LitConfig['custom']> {
  if (!lit.custom) throw new Error("lit.custom is required when lit.network is 'custom'");
  return lit.custom;
}
