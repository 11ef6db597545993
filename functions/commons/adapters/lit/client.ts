/**
 * Builds the ONE LitNodeClient of this execution environment and its LitConnection.
 */
import type { LitConfig } from '../../config';
import { requestBoundStorage } from '../../session-storage';
import { LitConnection, type LitConnectionOptions } from './connection';
import { litClientSettings } from './network';
import { installNodeAvailability } from './node-availability';
import { loadLitSdk } from './sdk';

export type LitNodeClientInstance = InstanceType<typeof import('@lit-protocol/lit-node-client').LitNodeClient>;

/** Creates the SDK client (loading the SDK). Use once per process: see the storage note in connection.ts. */
export async function createLitNodeClient(lit: LitConfig): Promise<LitNodeClientInstance> {
  const { nodeClient } = await loadLitSdk();
  const settings = litClientSettings(lit);
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
