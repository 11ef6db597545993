/**
 * Builds the ONE LitNodeClient of this execution environment and its LitConnection.
 */
import type { LitConfig } from '../../config';
import { requestBoundStorage } from '../../session-storage';
import { LitConnection, type LitConnectionOptions } from './connection';
import { litClientSettings } from './network';
import { installNodeAvailability } from './node-availability';
import { loadLitSdk } from './sdk';

/**
 * One chain RPC call waits at most this long. A connect makes two or more in a row (the
 * provider's network detection, then the Staking read), so a stalled chain fails a connect
 * attempt in about 2 s. A chain RPC that is alive but slower than this fails connects too: the
 * price of failing fast (the next request tries again).
 */
export const CHAIN_RPC_TIMEOUT_MS = 1_000;

export type LitNodeClientInstance = InstanceType<typeof import('@lit-protocol/lit-node-client').LitNodeClient>;

/** Creates the SDK client (loading the SDK). Use once per process: see the storage note in connection.ts. */
export async function createLitNodeClient(lit: LitConfig): Promise<LitNodeClientInstance> {
  const { nodeClient } = await loadLitSdk();
  const settings = litClientSettings(lit);
  if (settings.contractContext && settings.rpcUrl) {
    // The SDK's own provider waits 120 s for the chain (ethers' default): a stalled RPC would
    // hold a cold environment's connect, and the request on it, that long.
    const { ethers } = await import('ethers');
    Object.assign(settings.contractContext, { provider: new ethers.providers.StaticJsonRpcProvider({ url: settings.rpcUrl, timeout: CHAIN_RPC_TIMEOUT_MS }) });
  }
  const client = new nodeClient.LitNodeClient({
    ...(settings as unknown as ConstructorParameters<typeof nodeClient.LitNodeClient>[0]),
    storageProvider: { provider: requestBoundStorage },
  });
  // No config option exists for the blockhash source; the SDK reads this field (wire-protocol doc).
  if (lit.network === 'custom' && lit.custom?.blockhashUrl) {
    (client as unknown as { _blockHashUrl: string })._blockHashUrl = lit.custom.blockhashUrl;
  }
  // Connect with the nodes that answer, not only when all of them do (node-availability.ts).
  installNodeAvailability(client, { graceMs: Math.min(1_000, lit.connectTimeoutMs) });
  return client;
}

export function createLitConnection(
  lit: LitConfig,
  options: Omit<LitConnectionOptions<LitNodeClientInstance>, 'create' | 'attempts'> = {},
): LitConnection<LitNodeClientInstance> {
  return new LitConnection<LitNodeClientInstance>({ create: () => createLitNodeClient(lit), attempts: lit.connectAttempts, ...options });
}
