/**
 * SessionScopeStore over the single table: one strongly consistent GetItem per load, one
 * conditional PutItem per save. The version attribute is the optimistic lock: a save only lands
 * if nobody saved the scope since it was loaded.
 */
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LoadedScope, SessionScope, SessionScopeStore } from '../../ports';
import { n, readN, readStringMap, s, stringMap, type Item } from './attributes';
import { versionCondition } from './conditions';
import { epochSeconds, isExpired, scopeKey, TTL } from './keys';
import { isConditionalCheckFailed, storageUnavailable } from './storage-errors';

export interface StoreDeps {
  client: DynamoDBClient;
  tableName: string;
  /** Unix ms; injectable so tests can move time instead of sleeping. */
  now: () => number;
}

export class DynamoSessionScopeStore implements SessionScopeStore {
  constructor(private readonly deps: StoreDeps) {}

  async load(scope: SessionScope): Promise<LoadedScope> {
    const { client, tableName, now } = this.deps;
    let item: Item | undefined;
    try {
      // Strongly consistent: a just-saved wallet sig must be seen by the very next request.
      const out = await client.send(new GetItemCommand({ TableName: tableName, Key: scopeKey(scope), ConsistentRead: true }));
      item = out.Item;
    } catch (e) {
      throw storageUnavailable('session-scope.load', e);
    }
    if (!item) return { scope, entries: new Map(), version: 0 };
    try {
      const version = readN(item, 'version');
      // An expired scope has no entries, but keeps its version so the next save can replace it.
      const entries = isExpired(item, now()) ? new Map<string, string>() : readStringMap(item, 'entries');
      return { scope, entries, version };
    } catch (e) {
      throw storageUnavailable('session-scope.load', e);
    }
  }

  async save(loaded: LoadedScope, entries: Map<string, string>, expiresAt: number): Promise<boolean> {
    const { client, tableName, now } = this.deps;
    const { scope } = loaded;
    const item: Item = {
      ...scopeKey(scope),
      pkpPublicKey: s(scope.pkpPublicKey),
      caller: s(scope.caller),
      authIdentity: s(scope.authIdentity),
      entries: stringMap(entries),
      version: n(loaded.version + 1),
      updatedAt: n(epochSeconds(now())),
      [TTL]: n(Math.floor(expiresAt)),
    };
    const condition = versionCondition(loaded.version === 0 ? undefined : loaded.version);
    try {
      await client.send(new PutItemCommand({ TableName: tableName, Item: item, ...condition }));
      return true;
    } catch (e) {
      if (isConditionalCheckFailed(e)) return false;
      throw storageUnavailable('session-scope.save', e);
    }
  }
}
