/**
 * What the issuance benches stand on: a devnet and DynamoDB Local started in parallel, a PKP the
 * owner may use and a capacity token minted, the service's config for them (one policy entry for
 * `callerPrefix*`), its Lit adapters connected, its table adapters, and a first delegation made by
 * the real refresher. `stop()` stops all of it, whatever started.
 */
import { ethers } from 'ethers';
import type { DomainLogger } from '../functions/commons/ports';
import { timed } from './stats';

export async function startIssuanceWorld(options: { callerPrefix: string; rateLimitPerMinute: number; logger: DomainLogger; nodeCount?: number }) {
  const { startDevnet } = await import('../devnet');
  const { startDynamoDbLocal } = await import('../local/dynamodb-local');
  const { litContractsFor, mintPkp, mintCapacityToken } = await import('../devnet/fixtures');
  const { readRuntimeConfig } = await import('../functions/commons/config');
  const { createDynamoAdapters } = await import('../functions/commons/adapters/dynamodb');
  const { createLitAdapters } = await import('../functions/commons/adapters/lit');
  const { refreshDelegation } = await import('../functions/commons/domain/delegation-refresher');
  const { NO_METRICS } = await import('../functions/commons/ports');

  const [devnetStart, ddbStart] = await Promise.allSettled([startDevnet({ nodeCount: options.nodeCount }), startDynamoDbLocal()]);
  const devnet = devnetStart.status === 'fulfilled' ? devnetStart.value : undefined;
  const ddb = ddbStart.status === 'fulfilled' ? ddbStart.value : undefined;
  let lit: ReturnType<typeof createLitAdapters> | undefined;
  const stop = async () => {
    await lit?.connection.close().catch(() => undefined);
    await Promise.allSettled([devnet?.stop(), ddb?.stop()]);
  };
  try {
    if (!devnet || !ddb) throw devnetStart.status === 'rejected' ? devnetStart.reason : (ddbStart as PromiseRejectedResult).reason;
    const owner = new ethers.Wallet(devnet.ownerWallet.privateKey);
    const contracts = litContractsFor(devnet, devnet.ownerWallet.privateKey);
    await contracts.connect();
    const pkp = await mintPkp(contracts, [owner.address]);
    const capacityTokenId = await mintCapacityToken(contracts);
    const config = readRuntimeConfig({
      SERVICE_CONFIG: JSON.stringify({
        lit: {
          network: 'custom',
          custom: {
            rpcUrl: devnet.contractsContext.rpc,
            contracts: Object.fromEntries(Object.entries(devnet.contractsContext.customContext).map(([k, v]) => [k, v.address])),
            blockhashUrl: devnet.blockhashUrl,
          },
          connectTimeoutMs: 10_000,
          connectAttempts: 3,
        },
        delegation: { capacityTokenId, validitySeconds: 3600, refreshMarginSeconds: 600, uses: '1000000', delegatees: 'policy-pkps', schedule: 'rate(1 hour)' },
        session: { defaultExpirationSeconds: 600 },
        policy: {
          callers: [
            {
              principal: `${options.callerPrefix}*`,
              pkps: [pkp.publicKey],
              abilities: [{ resource: 'pkp', ability: 'pkp-signing' }],
              allowWildcardResources: true,
              rateLimitPerMinute: options.rateLimitPerMinute,
            },
          ],
        },
        auditRetentionDays: 1,
      }),
    });
    lit = createLitAdapters(config.lit);
    const adapters = lit;
    const connect = await timed(() => adapters.connection.get(Date.now() + 60_000));
    const tables = createDynamoAdapters({ tableName: ddb.tableName, client: ddb.client, auditRetentionDays: 1 });
    const ownerKey = async () => owner;
    await refreshDelegation(
      { config, delegations: tables.delegations, signer: lit.delegationSigner, capacity: lit.chain, ownerKey, metrics: NO_METRICS, logger: options.logger },
      { deadlineMs: Date.now() + 60_000 },
    );
    const delegation = await tables.delegations.getCurrent();
    if (!delegation) throw new Error('the refresher stored no delegation');
    return { devnet, ddb, owner, pkp, config, lit: adapters, client: connect.value, connectMs: connect.ms, tables, ownerKey, delegation, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The SDK's "Storage key … is missing" console.warn (twice per node round, whatever its debug setting): counted, kept off the output. */
export function muteSdkStorageWarnings(): { count: () => number; restore: () => void } {
  const real = console.warn;
  let muted = 0;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && /^Storage key ".*" is missing\. Not a problem/.test(args[0])) muted++;
    else real(...args);
  };
  return { count: () => muted, restore: () => void (console.warn = real) };
}
