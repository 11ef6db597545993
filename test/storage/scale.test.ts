/**
 * The storage design for scale (issue 11) on DynamoDB Local: sharded audit partitions listed per
 * day, the environment's delegation cache and its bound, sharded rate counters under concurrency,
 * and scopes kept in an environment's memory. Time is an injected clock, never a sleep.
 */
import { GetItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import { ethers } from 'ethers';
import {
  createDynamoAdapters,
  DynamoDelegationStore,
  DynamoRateLimiter,
  DynamoSessionScopeStore,
  listAuditDay,
} from '../../functions/commons/adapters/dynamodb';
import { RATE_LEASE_MAX, rateLeaseMax } from '../../functions/commons/adapters/dynamodb/rate-limiter';
import { AUDIT_SHARDS, auditDayPartitions, rateShardCount, rateShardLimit } from '../../functions/commons/adapters/dynamodb/keys';
import { DelegationCache, DELEGATION_CACHE_MAX_AGE_MS } from '../../functions/commons/domain/delegation-cache';
import { isDelegationUsable } from '../../functions/commons/domain/delegation-limits';
import { delegationCovers } from '../../functions/commons/domain/issue-session-sigs';
import type { DelegationRecord } from '../../functions/commons/ports';
import { MemoryCachedScopeStore, requestBoundStorage, runInSessionScope, SDK_STORAGE_KEYS } from '../../functions/commons/session-storage';
import { countingClient, dynamoDbLocalPerFile, scope, sessionKey, walletSig } from './fixtures';

const local = dynamoDbLocalPerFile();

describe('sharded audit records', () => {
  test('50 concurrent records: all 50 listed for their day, in time order, spread over shard partitions and none under the old unsharded key', async () => {
    const { auditLog } = createDynamoAdapters({ tableName: local.tableName, client: local.ddb.client });
    const base = Date.UTC(2031, 2, 3, 10, 0, 0);
    const ids = Array.from({ length: 50 }, (_, i) => `req-${i}-${Math.random().toString(36).slice(2)}`);
    await Promise.all(
      ids.map((requestId, i) => auditLog.record({ requestId, caller: 'arn:aws:iam::123456789012:role/app', resources: [], outcome: 'issued', at: base + i })),
    );

    const listed = await listAuditDay({ client: local.ddb.client, tableName: local.tableName }, '2031-03-03');
    expect(listed.map((r) => r.requestId.S).sort()).toEqual([...ids].sort());
    expect(listed.map((r) => Number(r.at.N))).toEqual(ids.map((_, i) => base + i)); // merged in time order
    const partitions = new Set(listed.map((r) => r.pk.S));
    expect(partitions.size).toBeGreaterThan(10); // 50 ids over 32 shards: a single hot key is what this replaces
    for (const p of partitions) expect(auditDayPartitions('2031-03-03')).toContain(p);
    const unsharded = await local.ddb.client.send(
      new QueryCommand({ TableName: local.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'AUDIT#2031-03-03' } } }),
    );
    expect(unsharded.Items).toEqual([]);
    expect(await listAuditDay({ client: local.ddb.client, tableName: local.tableName }, '2031-03-04')).toEqual([]);
  });

  test('one request id always lands in one shard; the shards are AUDIT_SHARDS partitions per day', async () => {
    const { auditLog } = createDynamoAdapters({ tableName: local.tableName, client: local.ddb.client });
    const at = Date.UTC(2031, 2, 3, 23, 59, 59, 999);
    await auditLog.record({ requestId: 'same', caller: 'c', resources: [], outcome: 'refused', errorCode: 'RATE_LIMITED', at });
    await auditLog.record({ requestId: 'same', caller: 'c', resources: [], outcome: 'issued', at: at + 1 }); // next UTC day
    const [day1, day2] = await Promise.all(['2031-03-03', '2031-03-04'].map((d) => listAuditDay({ client: local.ddb.client, tableName: local.tableName }, d)));
    expect(day1.map((r) => r.outcome.S)).toEqual(['refused']);
    expect(day2.map((r) => r.outcome.S)).toEqual(['issued']);
    expect(day1[0].pk.S!.slice(-3)).toBe(day2[0].pk.S!.slice(-3));
    expect(auditDayPartitions('2031-03-03')).toHaveLength(AUDIT_SHARDS);
  });
});

describe('delegation cache', () => {
  const PKP_A = ethers.Wallet.createRandom().publicKey;
  const PKP_B = ethers.Wallet.createRandom().publicKey;
  const address = (pkp: string) => ethers.utils.computeAddress(pkp);
  const T0 = Date.UTC(2031, 0, 1);

  function delegation(version: number, overrides: Partial<DelegationRecord> = {}): DelegationRecord {
    return {
      version,
      capacityTokenId: '7',
      authSig: { sig: `0xsig-${version}`, derivedVia: 'web3.eth.personal.sign', signedMessage: `m${version}`, address: '0x' + 'a'.repeat(40) },
      delegatees: [address(PKP_A)],
      issuedAt: T0 / 1000,
      expiresAt: T0 / 1000 + 86_400,
      ownerAddress: '0x' + 'a'.repeat(40),
      ...overrides,
    };
  }

  /** The store over a client that records each GetItem's ConsistentRead flag. */
  function setup() {
    let now = T0;
    const reads: boolean[] = [];
    const counting = countingClient(local.ddb.endpoint);
    counting.client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { ConsistentRead?: boolean; Key?: unknown };
        if (input.Key) reads.push(input.ConsistentRead === true);
        return next(args);
      },
      { step: 'initialize', name: 'recordConsistency' },
    );
    const store = new DynamoDelegationStore({ client: counting.client, tableName: local.tableName, now: () => now, keepHistory: false });
    const cache = new DelegationCache(store, { now: () => now });
    /** What issuing accepts (issue-session-sigs.ts): usable now, outlives the sigs, names the PKP. */
    const accept =
      (pkp: string, sigsUntilMs = now + 600_000) =>
      (r: DelegationRecord) =>
        isDelegationUsable(r, now) && r.expiresAt * 1000 >= sigsUntilMs && delegationCovers(r, pkp);
    return { store, cache, reads, accept, tick: (ms: number) => void (now += ms), at: () => now };
  }

  test('a copy is served within the bound; a refreshed delegation is picked up once the bound has passed', async () => {
    const { store, cache, reads, accept, tick } = setup();
    await store.putIfVersion(delegation(1), undefined);
    expect((await cache.current(accept(PKP_A)))?.version).toBe(1);
    expect(reads).toEqual([false]); // one eventually consistent read: version 1 was acceptable

    await store.putIfVersion(delegation(2), 1); // the refresher, in another environment
    tick(DELEGATION_CACHE_MAX_AGE_MS - 1);
    expect((await cache.current(accept(PKP_A)))?.version).toBe(1); // still valid on Lit: safe to use
    expect(reads).toHaveLength(1);
    tick(1);
    expect((await cache.current(accept(PKP_A)))?.version).toBe(2);
    expect(reads).toEqual([false, false]);
  });

  test('an expired copy, or one in its last minute, is never served: the table is read, strongly consistent when the first read does not serve', async () => {
    const { store, cache, reads, accept, tick, at } = setup();
    await store.putIfVersion(delegation(1, { expiresAt: T0 / 1000 + 3_600 }), undefined);
    expect((await cache.current(accept(PKP_A, at() + 60_000)))?.version).toBe(1);
    tick(3_600_000 - 59_000); // 59 s left: unusable (isDelegationUsable)
    const stale = await cache.current(accept(PKP_A, at() + 10_000));
    expect(stale?.version).toBe(1); // the table has nothing better: returned, and issuing refuses it
    expect(isDelegationUsable(stale!, at())).toBe(false);
    expect(reads).toEqual([false, false, true]);

    await store.putIfVersion(delegation(2, { expiresAt: at() / 1000 + 86_400 }), 1);
    expect((await cache.current(accept(PKP_A, at() + 10_000)))?.version).toBe(2); // no wait for the bound
  });

  test('a copy that does not name the PKP (the policy gained it after the refresh) is not used: the newer delegation that names it is', async () => {
    const { store, cache, reads, accept } = setup();
    await store.putIfVersion(delegation(1), undefined);
    expect((await cache.current(accept(PKP_A)))?.version).toBe(1);
    await store.putIfVersion(delegation(2, { delegatees: [address(PKP_A), address(PKP_B)] }), 1);
    expect((await cache.current(accept(PKP_B)))?.version).toBe(2);
    expect(reads).toEqual([false, false]);
    // A copy that would not outlive the session sigs asked for is not used either.
    const shorter = await cache.current(accept(PKP_A, Number.MAX_SAFE_INTEGER));
    expect(shorter?.version).toBe(2);
    expect(reads).toEqual([false, false, false, true]);
  });
});

describe('sharded rate limits', () => {
  const T = Date.UTC(2031, 5, 1, 8, 0, 10);

  test('the shard plan: one counter up to 6,000/minute; 60,000/minute (1,000/s) over 10 counters whose shares add up to exactly the limit', () => {
    expect(rateShardCount(120)).toBe(1);
    expect(rateShardCount(6_000)).toBe(1);
    expect(rateShardCount(6_001)).toBe(2);
    expect(rateShardCount(60_000)).toBe(10);
    for (const [limit, shards] of [
      [60_000, 10],
      [12_345, 3],
      [7, 3],
    ] as const) {
      const shares = Array.from({ length: shards }, (_, i) => rateShardLimit(limit, i, shards));
      expect(shares.reduce((a, b) => a + b, 0)).toBe(limit);
      expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
    }
  });

  test('4 environments, 60 concurrent requests, limit 20 over 5 counters: never more than 20 allowed (no slack above the limit)', async () => {
    const envs = Array.from(
      { length: 4 },
      () => new DynamoRateLimiter({ client: local.ddb.client, tableName: local.tableName, now: () => T, shardCount: () => 5 }),
    );
    const decisions = await Promise.all(Array.from({ length: 60 }, (_, i) => envs[i % 4].consume('arn:aws:iam::123456789012:role/hot', 20, T)));
    const allowed = decisions.filter((d) => d.allowed).length;
    expect(allowed).toBeLessThanOrEqual(20);
    // What sharding gives up: a request may be refused while an unprobed counter has room. The
    // environments keep asking the counters they have not seen full, and together reach the limit.
    let more = 0;
    for (let round = 0; round < 10; round++) for (const env of envs) if ((await env.consume('arn:aws:iam::123456789012:role/hot', 20, T)).allowed) more++;
    expect(allowed + more).toBe(20);
  });

  test('one environment reaches exactly the limit, then refuses from memory without writing; the next window starts again', async () => {
    const counting = countingClient(local.ddb.endpoint);
    const env = new DynamoRateLimiter({ client: counting.client, tableName: local.tableName, now: () => T, shardCount: () => 4 });
    let allowed = 0;
    for (let i = 0; i < 30; i++) if ((await env.consume('caller', 10, T)).allowed) allowed++;
    expect(allowed).toBe(10);
    const writes = counting.commands.length;
    expect(writes).toBeLessThanOrEqual(10 + 4); // one per admission, one per counter found full
    expect(await env.consume('caller', 10, T)).toEqual({ allowed: false, remaining: 0, retryAfterSeconds: 50 });
    expect(counting.commands.length).toBe(writes);
    expect((await env.consume('caller', 10, T + 60_000)).allowed).toBe(true);
  });

  /** The counts of a caller's `shards` counters in the window of `at`, read from the table. */
  async function counters(caller: string, shards: number, at: number): Promise<number[]> {
    const sha = createHash('sha256').update(caller).digest('hex');
    const window = `W#${Math.floor(at / 60_000)}`;
    return Promise.all(
      Array.from({ length: shards }, async (_, i) => {
        const out = await local.ddb.client.send(
          new GetItemCommand({ TableName: local.tableName, Key: { pk: { S: i === 0 ? `RATE#${sha}` : `RATE#${sha}#${i}` }, sk: { S: window } } }),
        );
        return Number(out.Item?.count?.N ?? 0);
      }),
    );
  }

  test('a caller at 1,000/s: leases of 1, 2, 4, … up to 60 (1% of a 6,000 share) on keys RATE#<sha256> and RATE#<sha256>#<i>, about one write per 50 admissions', async () => {
    expect([rateLeaseMax(199), rateLeaseMax(200), rateLeaseMax(6_000), rateLeaseMax(1_000_000)]).toEqual([1, 2, 60, RATE_LEASE_MAX]);
    let next = 0;
    const counting = countingClient(local.ddb.endpoint);
    const env = new DynamoRateLimiter({ client: counting.client, tableName: local.tableName, now: () => T, randomShard: (n) => next++ % n });
    for (let i = 0; i < 1_000; i++) expect((await env.consume('heavy', 60_000, T)).allowed).toBe(true);
    const counts = await counters('heavy', 10, T);
    // One write each for leases of 1, 2, 4, 8, 16, 32 (63 admissions), then 60 at a time: 22 writes.
    expect(counting.commands).toEqual(Array(22).fill('UpdateItemCommand'));
    expect(counts.every((c) => c > 0)).toBe(true); // round-robin over all ten keys
    const counted = counts.reduce((a, b) => a + b, 0);
    expect(counted).toBeGreaterThanOrEqual(1_000);
    expect(counted - 1_000).toBeLessThan(60); // counted but not yet handed out: the current lease
  });

  test('4 environments, 3,000 requests, limit 2,000 on one counter: exactly 2,000 allowed, for under 150 writes', async () => {
    const counting = countingClient(local.ddb.endpoint);
    const envs = Array.from({ length: 4 }, () => new DynamoRateLimiter({ client: counting.client, tableName: local.tableName, now: () => T }));
    // As on Lambda, an environment serves one request at a time; the four run concurrently.
    let allowed = 0;
    for (let round = 0; round < 750; round++) {
      const decisions = await Promise.all(envs.map((env) => env.consume('busy', 2_000, T)));
      allowed += decisions.filter((d) => d.allowed).length;
    }
    // Exactly the limit: no more (the counter's condition), and no less, since every environment
    // kept asking and so handed out all it had leased.
    expect(allowed).toBe(2_000);
    expect(await counters('busy', 1, T)).toEqual([2_000]);
    // 3,000 decisions (1,000 of them refusals) for under 150 writes, where one write each took 2,000+.
    expect(counting.commands.length).toBeLessThan(150);
  });

  test('a lease never outruns the environment’s pace: at 100 a minute, nothing is left counted but unused at its end', async () => {
    const counting = countingClient(local.ddb.endpoint);
    const start = Date.UTC(2031, 5, 1, 8, 1, 0); // a window's first millisecond
    const env = new DynamoRateLimiter({ client: counting.client, tableName: local.tableName, now: () => start });
    for (let i = 0; i < 100; i++) expect((await env.consume('steady', 6_000, start + i * 600)).allowed).toBe(true);
    // Leases of 1, 2, … 32, 60 with no regard to pace would leave 23 here (up to 59 per environment
    // and minute); with hundreds
    // of environments serving one caller, that would refuse it below its limit.
    const [counted] = await counters('steady', 1, start);
    expect(counted - 100).toBeLessThanOrEqual(1);
    expect(counting.commands.length).toBeLessThan(100 / 4);
  });

  test('near full, a lease that no longer fits falls back to one admission per write, up to exactly the share', async () => {
    const counting = countingClient(local.ddb.endpoint);
    const env = new DynamoRateLimiter({ client: counting.client, tableName: local.tableName, now: () => T });
    for (let i = 0; i < 15; i++) expect((await env.consume('filling', 1_600, T)).allowed).toBe(true); // leases 1, 2, 4, 8
    expect(counting.commands).toHaveLength(4);
    // Other environments take the counter to 1,595 meanwhile: the next lease (16) does not fit.
    const sha = createHash('sha256').update('filling').digest('hex');
    await local.ddb.client.send(
      new UpdateItemCommand({
        TableName: local.tableName,
        Key: { pk: { S: `RATE#${sha}` }, sk: { S: `W#${Math.floor(T / 60_000)}` } },
        UpdateExpression: 'SET #count = :c',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: { ':c': { N: '1595' } },
      }),
    );
    let more = 0;
    for (let i = 0; i < 10; i++) if ((await env.consume('filling', 1_600, T)).allowed) more++;
    expect(more).toBe(5);
    expect(await counters('filling', 1, T)).toEqual([1_600]);
    // 16 refused, then 1 (fits); four more of 1; then one refused write marks the counter full.
    expect(counting.commands.length - 4).toBe(1 + 1 + 4 + 1);
  });

  test('a new window drops the last window’s lease: its first request writes to the new counter', async () => {
    const counting = countingClient(local.ddb.endpoint);
    const env = new DynamoRateLimiter({ client: counting.client, tableName: local.tableName, now: () => T });
    for (let i = 0; i < 3; i++) await env.consume('windows', 6_000, T); // leases 1, 2: one admission left
    expect(counting.commands).toHaveLength(2);
    expect(await env.consume('windows', 6_000, T + 60_000)).toMatchObject({ allowed: true, retryAfterSeconds: 50 });
    expect(counting.commands).toHaveLength(3);
    expect(await counters('windows', 1, T + 60_000)).toEqual([1]);
  });
});

describe('scopes in an environment’s memory', () => {
  const HOUR = 3_600_000;
  const ttl = () => Math.floor(Date.now() / 1000) + 3 * 3_600;

  test('a warm repeat reads nothing; a copy that does not last long enough reads the table, where another environment’s newer wallet sig is found', async () => {
    const counting = countingClient(local.ddb.endpoint);
    const envA = new MemoryCachedScopeStore(new DynamoSessionScopeStore({ client: counting.client, tableName: local.tableName, now: Date.now }));
    const envB = new MemoryCachedScopeStore(new DynamoSessionScopeStore({ client: local.ddb.client, tableName: local.tableName, now: Date.now }));
    const s = scope();
    const shortSig = await walletSig(Date.now() + HOUR);
    const longSig = await walletSig(Date.now() + 3 * HOUR);

    // Environment A makes the wallet sig (as the SDK would on a node round).
    const sdk = (sig: string) => async () => {
      if (requestBoundStorage.getItem(SDK_STORAGE_KEYS.WALLET_SIGNATURE) === null) {
        requestBoundStorage.setItem(SDK_STORAGE_KEYS.SESSION_KEY, sessionKey(sig.slice(-12)));
        requestBoundStorage.setItem(SDK_STORAGE_KEYS.WALLET_SIGNATURE, sig);
      }
      return requestBoundStorage.getItem(SDK_STORAGE_KEYS.WALLET_SIGNATURE);
    };
    expect((await runInSessionScope(envA, s, sdk(shortSig))).saved).toBe(true);
    expect(counting.commands).toEqual(['GetItemCommand', 'PutItemCommand']);
    for (let i = 0; i < 3; i++) {
      const run = await runInSessionScope(envA, s, sdk(shortSig), { requiredValidUntilMs: Date.now() + 600_000 });
      expect(run).toMatchObject({ result: shortSig, walletSigReused: true, saved: false });
    }
    expect(counting.commands).toEqual(['GetItemCommand', 'PutItemCommand']); // no read for the warm repeats
    expect(envA.stats()).toMatchObject({ hits: 3, reads: 1 });

    // Environment B needs a sig lasting 2 h: A's does not, so B reads, then makes one (the version check passes).
    expect((await runInSessionScope(envB, s, sdk(longSig), { requiredValidUntilMs: Date.now() + 2 * HOUR })).result).toBe(longSig);
    // A still serves its copy to requests it lasts for (valid on Lit) ...
    expect((await runInSessionScope(envA, s, sdk('unused'), { requiredValidUntilMs: Date.now() + 600_000 })).result).toBe(shortSig);
    // ... and reads the table (finding B's, no node round) when it does not.
    const reads = counting.commands.length;
    const run = await runInSessionScope(envA, s, sdk('unused'), { requiredValidUntilMs: Date.now() + 2 * HOUR });
    expect(run).toMatchObject({ result: longSig, walletSigReused: true });
    expect(counting.commands.slice(reads)).toEqual(['GetItemCommand']);
  });

  test('a save that loses the race to another environment drops the copy; the next request reads the winner', async () => {
    const table = new DynamoSessionScopeStore({ client: local.ddb.client, tableName: local.tableName, now: Date.now });
    const envA = new MemoryCachedScopeStore(table);
    const s = scope();
    const first = await walletSig(Date.now() + HOUR);
    const loaded = await envA.load(s);
    expect(
      await envA.save(
        loaded,
        new Map([
          [SDK_STORAGE_KEYS.SESSION_KEY, sessionKey('a')],
          [SDK_STORAGE_KEYS.WALLET_SIGNATURE, first],
        ]),
        ttl(),
      ),
    ).toBe(true);
    const stale = await envA.load(s); // from memory, version 1
    const winner = await walletSig(Date.now() + 2 * HOUR);
    expect(
      await table.save(
        await table.load(s),
        new Map([
          [SDK_STORAGE_KEYS.SESSION_KEY, sessionKey('b')],
          [SDK_STORAGE_KEYS.WALLET_SIGNATURE, winner],
        ]),
        ttl(),
      ),
    ).toBe(true);
    expect(await envA.save(stale, new Map([[SDK_STORAGE_KEYS.SESSION_KEY, sessionKey('c')]]), ttl())).toBe(false);
    expect((await envA.load(s)).entries.get(SDK_STORAGE_KEYS.WALLET_SIGNATURE)).toBe(winner);
    expect(envA.stats()).toMatchObject({ hits: 1, reads: 2 });
  });
});
