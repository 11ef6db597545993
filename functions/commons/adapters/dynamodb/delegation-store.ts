/**
 * DelegationStore over the single table.
 *
 * - `DELEGATION / CURRENT` holds the whole record, auth sig included. It carries NO TTL: the port
 *   returns the stored delegation "expired or not" (the refresher and /health need to see an
 *   expired one), and a TTL-deleted CURRENT would break the version chain. The delegation's own
 *   expiry is therefore stored as `delegationExpiresAt`, not in the table's TTL attribute.
 * - `DELEGATION / V#<version>` (zero-padded) is a best-effort history of refreshes for operators:
 *   metadata only (never the auth sig), deleted by TTL some days after the delegation expired,
 *   never rewritten. Versions continue from it when CURRENT was removed (highestHistoryVersion).
 */
import { GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { ServiceError } from '../../errors';
import type { AuthSigLike, DelegationRecord, DelegationStore } from '../../ports';
import { compact, list, n, readN, readOptN, readOptS, readS, readStringList, s, type Item, MalformedItemError } from './attributes';
import { versionCondition } from './conditions';
import { delegationCurrentKey, delegationHistoryKey, DELEGATION_HISTORY_PREFIX, epochSeconds, PK, SK, TTL } from './keys';
import { isConditionalCheckFailed, storageUnavailable } from './storage-errors';
import type { StoreDeps } from './session-scope-store';

/** How long history items outlive the delegation they describe. */
const HISTORY_RETENTION_SECONDS = 30 * 86_400;

function authSigAttr(a: AuthSigLike) {
  return {
    M: compact({
      sig: s(a.sig),
      derivedVia: s(a.derivedVia),
      signedMessage: s(a.signedMessage),
      address: s(a.address),
      algo: a.algo === undefined ? undefined : s(a.algo),
    }),
  };
}

function readAuthSig(item: Item): AuthSigLike {
  const m = item.authSig?.M;
  if (!m) throw new MalformedItemError("attribute 'authSig' is not a map");
  const sig: AuthSigLike = { sig: readS(m, 'sig'), derivedVia: readS(m, 'derivedVia'), signedMessage: readS(m, 'signedMessage'), address: readS(m, 'address') };
  const algo = readOptS(m, 'algo');
  if (algo !== undefined) sig.algo = algo;
  return sig;
}

/** Fields shared by CURRENT and the history items (everything but the auth sig). */
function metadataAttrs(r: DelegationRecord): Item {
  return compact({
    version: n(r.version),
    capacityTokenId: s(r.capacityTokenId),
    delegatees: r.delegatees === 'unrestricted' ? s('unrestricted') : list(r.delegatees),
    uses: r.uses === undefined ? undefined : s(r.uses),
    issuedAt: n(r.issuedAt),
    delegationExpiresAt: n(r.expiresAt),
    ownerAddress: s(r.ownerAddress),
    capacityExpiresAt: r.capacityExpiresAt === undefined ? undefined : n(r.capacityExpiresAt),
    litNodeUrls: r.litNodes === undefined ? undefined : list(r.litNodes.urls),
    litMinNodeCount: r.litNodes === undefined ? undefined : n(r.litNodes.minNodeCount),
  });
}

function readRecord(item: Item): DelegationRecord {
  const record: DelegationRecord = {
    version: readN(item, 'version'),
    capacityTokenId: readS(item, 'capacityTokenId'),
    authSig: readAuthSig(item),
    delegatees: item.delegatees?.S === 'unrestricted' ? 'unrestricted' : readStringList(item, 'delegatees'),
    issuedAt: readN(item, 'issuedAt'),
    expiresAt: readN(item, 'delegationExpiresAt'),
    ownerAddress: readS(item, 'ownerAddress'),
  };
  const uses = readOptS(item, 'uses');
  if (uses !== undefined) record.uses = uses;
  const capacityExpiresAt = readOptN(item, 'capacityExpiresAt');
  if (capacityExpiresAt !== undefined) record.capacityExpiresAt = capacityExpiresAt;
  // Absent on records written before the node list was kept.
  if (item.litNodeUrls !== undefined) record.litNodes = { urls: readStringList(item, 'litNodeUrls'), minNodeCount: readN(item, 'litMinNodeCount') };
  return record;
}

export class DynamoDelegationStore implements DelegationStore {
  constructor(private readonly deps: StoreDeps & { keepHistory: boolean }) {}

  async getCurrent(options: { consistentRead?: boolean } = {}): Promise<DelegationRecord | undefined> {
    const { client, tableName } = this.deps;
    try {
      const out = await client.send(new GetItemCommand({ TableName: tableName, Key: delegationCurrentKey(), ConsistentRead: options.consistentRead ?? true }));
      return out.Item ? readRecord(out.Item) : undefined;
    } catch (e) {
      throw storageUnavailable('delegation.get', e);
    }
  }

  async highestHistoryVersion(): Promise<number> {
    const { client, tableName } = this.deps;
    try {
      // History sort keys are zero-padded, so the last one in key order is the highest version.
      const out = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK, '#version': 'version' },
          ExpressionAttributeValues: { ':pk': delegationCurrentKey()[PK], ':prefix': s(DELEGATION_HISTORY_PREFIX) },
          ProjectionExpression: '#version',
          ScanIndexForward: false,
          Limit: 1,
          ConsistentRead: true,
        }),
      );
      const item = out.Items?.[0];
      return item ? readN(item, 'version') : 0;
    } catch (e) {
      throw storageUnavailable('delegation.history', e);
    }
  }

  async putIfVersion(next: DelegationRecord, expectedVersion: number | undefined): Promise<boolean> {
    const { client, tableName, now } = this.deps;
    if (!(next.version > (expectedVersion ?? 0)))
      throw new ServiceError('INTERNAL', 'Delegation version must follow the expected version', {
        details: { version: next.version, expectedVersion: expectedVersion ?? 0 },
      });
    const condition = versionCondition(expectedVersion);
    try {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { ...delegationCurrentKey(), ...metadataAttrs(next), authSig: authSigAttr(next.authSig), updatedAt: n(epochSeconds(now())) },
          ...condition,
        }),
      );
    } catch (e) {
      if (isConditionalCheckFailed(e)) return false;
      throw storageUnavailable('delegation.put', e);
    }
    if (this.deps.keepHistory) {
      // Best effort: the refresh has already succeeded, and the history is only for operators.
      await client
        .send(
          new PutItemCommand({
            TableName: tableName,
            Item: { ...delegationHistoryKey(next.version), ...metadataAttrs(next), [TTL]: n(next.expiresAt + HISTORY_RETENTION_SECONDS) },
            // A version the history holds is never rewritten (the refresher continues after it).
            ...versionCondition(undefined),
          }),
        )
        .catch(() => undefined);
    }
    return true;
  }
}
