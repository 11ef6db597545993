/**
 * DelegationStore, RateLimiter and AuditLog on DynamoDB Local.
 */
import { DeleteItemCommand, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import { createDynamoAdapters, listAuditDay } from '../../functions/commons/adapters/dynamodb';
import type { AuditEntry, DelegationRecord } from '../../functions/commons/ports';
import { TABLE_KEYS } from '../../functions/commons/table';
import { auditShard } from '../../functions/commons/adapters/dynamodb/keys';
import { countingClient, dynamoDbLocalPerFile } from './fixtures';

const local = dynamoDbLocalPerFile();

const adapters = (extra: Partial<Parameters<typeof createDynamoAdapters>[0]> = {}) =>
  createDynamoAdapters({ tableName: local.tableName, client: local.ddb.client, ...extra });

function delegation(version: number, overrides: Partial<DelegationRecord> = {}): DelegationRecord {
  const issuedAt = 1_900_000_000 + version;
  return {
    version,
    capacityTokenId: '42',
    authSig: { sig: `0xsig-${version}`, derivedVia: 'web3.eth.personal.sign', signedMessage: `delegation message ${version}`, address: '0x' + 'a'.repeat(40) },
    delegatees: ['0x' + 'b'.repeat(40), '0x' + 'c'.repeat(40)],
    issuedAt,
    expiresAt: issuedAt + 86_400,
    ownerAddress: '0x' + 'a'.repeat(40),
    ...overrides,
  };
}

describe('DelegationStore', () => {
  test('nothing stored: undefined; first put needs expectedVersion undefined; the record round-trips', async () => {
    const { delegations } = adapters();
    expect(await delegations.getCurrent()).toBeUndefined();
    const first = delegation(1, { uses: '100', capacityExpiresAt: 1_990_000_000, authSig: { ...delegation(1).authSig, algo: 'ed25519' } });
    expect(await delegations.putIfVersion(first, undefined)).toBe(true);
    expect(await delegations.getCurrent()).toEqual(first);
    expect(await delegations.putIfVersion(delegation(1), undefined)).toBe(false);
    expect(await delegations.getCurrent()).toEqual(first);

    const second = delegation(2, { delegatees: 'unrestricted' });
    expect(await delegations.putIfVersion(second, 1)).toBe(true);
    const got = await delegations.getCurrent();
    expect(got).toEqual(second);
    expect(got).not.toHaveProperty('uses');
    expect(got).not.toHaveProperty('capacityExpiresAt');
    expect(await delegations.putIfVersion(delegation(2), 1)).toBe(false); // stale expectation
  });

  test('two concurrent refreshes from the same version: exactly one wins', async () => {
    const { delegations } = adapters();
    await delegations.putIfVersion(delegation(1), undefined);
    const a = delegation(2, { capacityTokenId: 'from-a' });
    const b = delegation(2, { capacityTokenId: 'from-b' });
    const results = await Promise.all([delegations.putIfVersion(a, 1), delegations.putIfVersion(b, 1)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await delegations.getCurrent()).toEqual(results[0] ? a : b);
  });

  test('an expired delegation is still returned (CURRENT carries no TTL)', async () => {
    const { delegations } = adapters();
    const old = delegation(1, { issuedAt: 1_000, expiresAt: 2_000 });
    await delegations.putIfVersion(old, undefined);
    expect(await delegations.getCurrent()).toEqual(old);
    const raw = await local.ddb.client.send(new GetItemCommand({ TableName: local.tableName, Key: { pk: { S: 'DELEGATION' }, sk: { S: 'CURRENT' } } }));
    expect(raw.Item![TABLE_KEYS.ttlAttribute]).toBeUndefined();
  });

  test('history items hold the metadata, never the auth sig, with a TTL', async () => {
    const { delegations } = adapters();
    const rec = delegation(1);
    await delegations.putIfVersion(rec, undefined);
    const out = await local.ddb.client.send(
      new QueryCommand({
        TableName: local.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
        ExpressionAttributeValues: { ':pk': { S: 'DELEGATION' }, ':v': { S: 'V#' } },
      }),
    );
    expect(out.Items).toHaveLength(1);
    const h = out.Items![0];
    expect(h.sk.S).toBe('V#0000000001');
    expect(h.authSig).toBeUndefined();
    expect(JSON.stringify(h)).not.toContain('0xsig-1');
    expect(h.capacityTokenId.S).toBe('42');
    expect(Number(h[TABLE_KEYS.ttlAttribute].N)).toBe(rec.expiresAt + 30 * 86_400);
  });

  test('history can be turned off: one write per refresh', async () => {
    const counting = countingClient(local.ddb.endpoint);
    const { delegations } = createDynamoAdapters({ tableName: local.tableName, client: counting.client, keepDelegationHistory: false });
    await delegations.putIfVersion(delegation(1), undefined);
    expect(counting.commands).toEqual(['PutItemCommand']);
  });

  test('a version not above the expected one is a bug, refused before any write', async () => {
    const counting = countingClient(local.ddb.endpoint);
    const { delegations } = createDynamoAdapters({ tableName: local.tableName, client: counting.client });
    await expect(delegations.putIfVersion(delegation(1), 1)).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(delegations.putIfVersion(delegation(0), undefined)).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(counting.commands).toEqual([]);
  });

  test('the highest history version: 0 with no history; the newest V# item even with CURRENT removed; a history item is never rewritten', async () => {
    const { delegations } = adapters();
    expect(await delegations.highestHistoryVersion()).toBe(0);
    await delegations.putIfVersion(delegation(1), undefined);
    await delegations.putIfVersion(delegation(2), 1);
    for (let v = 3; v <= 11; v++) await delegations.putIfVersion(delegation(v), v - 1); // 10 and 11 sort after 9 (zero-padded)
    expect(await delegations.highestHistoryVersion()).toBe(11);

    await local.ddb.client.send(new DeleteItemCommand({ TableName: local.tableName, Key: { pk: { S: 'DELEGATION' }, sk: { S: 'CURRENT' } } }));
    expect(await delegations.getCurrent()).toBeUndefined();
    expect(await delegations.highestHistoryVersion()).toBe(11);

    // A CURRENT written again at an old version (a bug or a restore) leaves that version's history as it was.
    const history = async (v: number) =>
      (
        await local.ddb.client.send(
          new GetItemCommand({ TableName: local.tableName, Key: { pk: { S: 'DELEGATION' }, sk: { S: `V#${String(v).padStart(10, '0')}` } } }),
        )
      ).Item;
    const before = await history(2);
    expect(await delegations.putIfVersion(delegation(2, { capacityTokenId: 'rewritten' }), undefined)).toBe(true);
    expect(await history(2)).toEqual(before);
    expect((await delegations.getCurrent())?.capacityTokenId).toBe('rewritten');
  });

  test('storage failures are STORAGE_UNAVAILABLE and never carry the auth sig', async () => {
    const { delegations } = createDynamoAdapters({ tableName: 'missing', client: local.ddb.client });
    await expect(delegations.getCurrent()).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    const err = await delegations.putIfVersion(delegation(1), undefined).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect((err as Error).message).not.toContain('0xsig-1');
  });
});

describe('RateLimiter', () => {
  const windowStart = Date.UTC(2030, 0, 1, 12, 0, 0);

  test('N + k concurrent consumes with limit N: exactly N allowed; the next window allows again', async () => {
    const { rateLimiter } = adapters();
    const caller = 'arn:aws:iam::123456789012:role/app';
    const N = 5;
    const decisions = await Promise.all(Array.from({ length: N + 4 }, () => rateLimiter.consume(caller, N, windowStart + 15_000)));
    const allowed = decisions.filter((d) => d.allowed);
    expect(allowed).toHaveLength(N);
    expect(allowed.map((d) => d.remaining).sort()).toEqual([0, 1, 2, 3, 4]);
    for (const d of decisions.filter((x) => !x.allowed)) expect(d).toEqual({ allowed: false, remaining: 0, retryAfterSeconds: 45 });

    expect((await rateLimiter.consume(caller, N, windowStart + 59_999)).allowed).toBe(false);
    const next = await rateLimiter.consume(caller, N, windowStart + 60_000);
    expect(next).toEqual({ allowed: true, remaining: N - 1, retryAfterSeconds: 60 });
  });

  test('callers are counted separately, and the key does not hold the raw ARN', async () => {
    const { rateLimiter } = adapters();
    expect((await rateLimiter.consume('caller-a', 1, windowStart)).allowed).toBe(true);
    expect((await rateLimiter.consume('caller-a', 1, windowStart)).allowed).toBe(false);
    expect((await rateLimiter.consume('caller-b', 1, windowStart)).allowed).toBe(true);
    const pk = `RATE#${createHash('sha256').update('caller-a').digest('hex')}`;
    const item = await local.ddb.client.send(
      new GetItemCommand({ TableName: local.tableName, Key: { pk: { S: pk }, sk: { S: `W#${windowStart / 60_000}` } } }),
    );
    expect(item.Item!.count.N).toBe('1');
    expect(Number(item.Item![TABLE_KEYS.ttlAttribute].N)).toBe((windowStart + 60_000) / 1000 + 300);
  });

  test('a raised limit takes effect within the window', async () => {
    const { rateLimiter } = adapters();
    expect((await rateLimiter.consume('c', 1, windowStart)).allowed).toBe(true);
    expect((await rateLimiter.consume('c', 1, windowStart)).allowed).toBe(false);
    expect(await rateLimiter.consume('c', 3, windowStart)).toMatchObject({ allowed: true, remaining: 1 });
  });

  test('a limit below 1 refuses without touching storage', async () => {
    const counting = countingClient(local.ddb.endpoint);
    const { rateLimiter } = createDynamoAdapters({ tableName: local.tableName, client: counting.client });
    expect((await rateLimiter.consume('c', 0, windowStart)).allowed).toBe(false);
    expect(counting.commands).toEqual([]);
  });

  test('defaults to the injected clock', async () => {
    const { rateLimiter } = adapters({ now: () => windowStart + 30_000 });
    expect(await rateLimiter.consume('clock', 2)).toEqual({ allowed: true, remaining: 1, retryAfterSeconds: 30 });
  });

  test('storage failure is STORAGE_UNAVAILABLE (callers decide whether to fail open)', async () => {
    const { rateLimiter } = createDynamoAdapters({ tableName: 'missing', client: local.ddb.client });
    await expect(rateLimiter.consume('c', 5, windowStart)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
  });
});

describe('AuditLog', () => {
  test('record shape, key layout and TTL = at + retention', async () => {
    const { auditLog } = adapters({ auditRetentionDays: 7 });
    const at = Date.UTC(2030, 4, 6, 23, 59, 58, 123);
    const entry: AuditEntry = {
      requestId: 'req-1',
      caller: 'arn:aws:iam::123456789012:role/app',
      pkpPublicKey: '0x04' + 'ab'.repeat(64),
      resources: ['pkp:*/pkp-signing', 'lit-action:Qm123/lit-action-execution'],
      expiration: '2030-05-07T00:09:58.000Z',
      outcome: 'issued',
      walletSigSource: 'cache',
      at,
    };
    await auditLog.record(entry);
    await auditLog.record({ requestId: 'req-2', caller: 'c', resources: [], outcome: 'refused', errorCode: 'RATE_LIMITED', at: at + 2000 }); // just past midnight UTC

    const day = (d: string) => listAuditDay({ client: local.ddb.client, tableName: local.tableName }, d);
    const items = await day('2030-05-06');
    expect(items).toHaveLength(1);
    const item = items[0];
    expect(item).toEqual({
      pk: { S: `AUDIT#2030-05-06#${String(auditShard('req-1')).padStart(2, '0')}` },
      sk: { S: '2030-05-06T23:59:58.123Z#req-1' },
      requestId: { S: 'req-1' },
      caller: { S: entry.caller },
      pkpPublicKey: { S: entry.pkpPublicKey },
      resources: { L: entry.resources.map((r) => ({ S: r })) },
      expiration: { S: entry.expiration },
      outcome: { S: 'issued' },
      walletSigSource: { S: 'cache' },
      at: { N: String(at) },
      [TABLE_KEYS.ttlAttribute]: { N: String(Math.floor(at / 1000) + 7 * 86_400) },
    });

    const nextDay = await day('2030-05-07');
    expect(nextDay).toHaveLength(1);
    const refused = nextDay[0];
    expect(refused.errorCode.S).toBe('RATE_LIMITED');
    expect(refused.resources.L).toEqual([]);
    expect(refused.pkpPublicKey).toBeUndefined();
    expect(refused.walletSigSource).toBeUndefined();
    expect(Number(refused[TABLE_KEYS.ttlAttribute].N)).toBe(Math.floor((at + 2000) / 1000) + 7 * 86_400);
  });

  test('default retention is 90 days', async () => {
    const { auditLog } = adapters();
    const at = Date.UTC(2030, 0, 1);
    await auditLog.record({ requestId: 'r', caller: 'c', resources: [], outcome: 'failed', errorCode: 'LIT_UNAVAILABLE', at });
    const out = await listAuditDay({ client: local.ddb.client, tableName: local.tableName }, '2030-01-01');
    expect(Number(out[0][TABLE_KEYS.ttlAttribute].N)).toBe(at / 1000 + 90 * 86_400);
  });

  test('storage failure is STORAGE_UNAVAILABLE', async () => {
    const { auditLog } = createDynamoAdapters({ tableName: 'missing', client: local.ddb.client });
    await expect(auditLog.record({ requestId: 'r', caller: 'c', resources: [], outcome: 'issued', at: Date.now() })).rejects.toMatchObject({
      code: 'STORAGE_UNAVAILABLE',
    });
  });
});
