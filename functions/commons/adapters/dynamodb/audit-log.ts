/**
 * AuditLog over the single table: one PutItem per request, partitioned by UTC day
 * (`AUDIT#yyyy-mm-dd`) and sorted by `<iso time>#<requestId>`, so an operator can Query one day
 * in time order. Records hold what was asked and what happened, never a signature or key, and
 * of a Lit Action only its CID (jsParams may carry the caller's credentials).
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { AuditEntry, AuditLog } from '../../ports';
import { compact, list, n, s } from './attributes';
import { auditKey, epochSeconds, TTL } from './keys';
import { storageUnavailable } from './storage-errors';
import type { StoreDeps } from './session-scope-store';

export class DynamoAuditLog implements AuditLog {
  constructor(private readonly deps: StoreDeps & { retentionDays: number }) {}

  async record(entry: AuditEntry): Promise<void> {
    const { client, tableName, retentionDays } = this.deps;
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
    try {
      await client.send(new PutItemCommand({ TableName: tableName, Item: item }));
    } catch (e) {
      throw storageUnavailable('audit.record', e);
    }
  }
}
