/**
 * AuditLog over the single table: one PutItem per request, partitioned by UTC day and a shard of
 * the request id (`AUDIT#yyyy-mm-dd#NN`, keys.ts: no partition takes more than a fraction of the
 * writes) and sorted by `<iso time>#<requestId>`. A day is listed by querying its AUDIT_SHARDS
 * partitions (`listAuditDay`) and merging them by sort key. Records hold what was asked and what
 * happened, never a signature or key, and of a Lit Action only its CID (jsParams may carry the
 * caller's credentials).
 */
import { PutItemCommand, QueryCommand, type PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { AuditEntry, AuditLog } from '../../ports';
import { compact, list, n, s, type Item } from './attributes';
import { auditDayPartitions, auditKey, epochSeconds, PK, SK, TTL } from './keys';
import { storageUnavailable } from './storage-errors';
import type { StoreDeps } from './session-scope-store';

/** The one PutItem an audit record is (also what the capacity model sizes). */
export function auditPutRequest(tableName: string, entry: AuditEntry, retentionDays: number): PutItemCommandInput {
  const item = compact({
    ...auditKey(entry.at, entry.requestId),
    requestId: s(entry.requestId),
    action: entry.action === undefined ? undefined : s(entry.action),
    caller: s(entry.caller),
    pkpPublicKey: entry.pkpPublicKey === undefined ? undefined : s(entry.pkpPublicKey),
    resources: list(entry.resources),
    expiration: entry.expiration === undefined ? undefined : s(entry.expiration),
    outcome: s(entry.outcome),
    errorCode: entry.errorCode === undefined ? undefined : s(entry.errorCode),
    walletSigSource: entry.walletSigSource === undefined ? undefined : s(entry.walletSigSource),
    litActionCid: entry.litActionCid === undefined ? undefined : s(entry.litActionCid),
    litActionInline: entry.litActionInline === undefined ? undefined : { BOOL: entry.litActionInline },
    at: n(entry.at),
    [TTL]: n(epochSeconds(entry.at) + retentionDays * 86_400),
  });
  return { TableName: tableName, Item: item };
}

export class DynamoAuditLog implements AuditLog {
  constructor(private readonly deps: StoreDeps & { retentionDays: number }) {}

  async record(entry: AuditEntry): Promise<void> {
    const { client, tableName, retentionDays } = this.deps;
    try {
      await client.send(new PutItemCommand(auditPutRequest(tableName, entry, retentionDays)));
    } catch (e) {
      throw storageUnavailable('audit.record', e);
    }
  }
}

/**
 * Every audit record of one UTC day (`yyyy-mm-dd`), in time order: one paged Query per shard
 * partition, merged by sort key. For operators and tests (the functions may not Query audit).
 */
export async function listAuditDay(deps: Pick<StoreDeps, 'client' | 'tableName'>, day: string): Promise<Item[]> {
  const items: Item[] = [];
  await Promise.all(
    auditDayPartitions(day).map(async (partition) => {
      let start: Item | undefined;
      do {
        const page = await deps.client.send(
          new QueryCommand({
            TableName: deps.tableName,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': PK },
            ExpressionAttributeValues: { ':pk': s(partition) },
            ExclusiveStartKey: start,
          }),
        );
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
    }),
  );
  return items.sort((a, b) => (a[SK]!.S! < b[SK]!.S! ? -1 : a[SK]!.S! > b[SK]!.S! ? 1 : 0));
}
