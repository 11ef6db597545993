/**
 * SessionScopeStore on DynamoDB Local and runInSessionScope over it: one read before, at most one
 * write after, expiry treated as absence, isolation of scopes and of concurrent requests, and
 * conditional-write conflicts.
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoAdapters, scopeDigest } from '../../functions/commons/adapters/dynamodb';
import { ServiceError } from '../../functions/commons/errors';
import type { SessionScope, SessionScopeStore } from '../../functions/commons/ports';
import { TABLE_KEYS } from '../../functions/commons/table';
import {
  currentScopeStorage,
  DEFAULT_SCOPE_TTL_SECONDS,
  requestBoundStorage,
  resetUnboundStorageAccessCount,
  runInSessionScope,
  SDK_STORAGE_KEYS,
  unboundStorageAccessCount,
} from '../../functions/commons/session-storage';
import { countingClient, dynamoDbLocalPerFile, latch, scope, sessionKey, walletSig } from './fixtures';

const { SESSION_KEY, WALLET_SIGNATURE } = SDK_STORAGE_KEYS;
const HOUR = 3_600_000;

const local = dynamoDbLocalPerFile();

function stores() {
  const counting = countingClient(local.ddb.endpoint);
  const { sessionScopes } = createDynamoAdapters({ tableName: local.tableName, client: counting.client });
  return { store: sessionScopes, commands: counting.commands };
}

async function rawItem(s: SessionScope) {
  const out = await local.ddb.client.send(
    new GetItemCommand({ TableName: local.tableName, Key: { pk: { S: `SCOPE#${scopeDigest(s)}` }, sk: { S: 'STORAGE' } }, ConsistentRead: true }),
  );
  return out.Item;
}

/** What the SDK does on a cache miss: create the session key, then the wallet sig. */
function sdkMiss(key: string, sig: string) {
  return async () => {
    if (requestBoundStorage.getItem(SESSION_KEY) === null) requestBoundStorage.setItem(SESSION_KEY, key);
    await Promise.resolve();
    if (requestBoundStorage.getItem(WALLET_SIGNATURE) === null) requestBoundStorage.setItem(WALLET_SIGNATURE, sig);
    return { key: requestBoundStorage.getItem(SESSION_KEY), sig: requestBoundStorage.getItem(WALLET_SIGNATURE) };
  };
}

describe('SessionScopeStore', () => {
  test('a scope never stored loads empty at version 0', async () => {
    const { store, commands } = stores();
    const loaded = await store.load(scope());
    expect(loaded.entries.size).toBe(0);
    expect(loaded.version).toBe(0);
    expect(commands).toEqual(['GetItemCommand']);
  });

  test('save then load round-trips the entries; the key is a digest and the readable fields are attributes', async () => {
    const { store } = stores();
    const s = scope();
    const expiresAt = Math.floor((Date.now() + HOUR) / 1000);
    const entries = new Map([
      [SESSION_KEY, sessionKey('rt')],
      ['other', ''],
    ]);
    expect(await store.save(await store.load(s), entries, expiresAt)).toBe(true);

    const loaded = await store.load(s);
    expect(loaded.version).toBe(1);
    expect(loaded.entries).toEqual(entries);

    const item = (await rawItem(s))!;
    expect(item.pk.S).toMatch(/^SCOPE#[0-9a-f]{64}$/);
    expect(item.pk.S).not.toContain('arn:aws');
    expect(item.sk.S).toBe('STORAGE');
    expect(item.caller.S).toBe(s.caller);
    expect(item.pkpPublicKey.S).toBe(s.pkpPublicKey);
    expect(item.authIdentity.S).toBe(s.authIdentity);
    expect(item[TABLE_KEYS.ttlAttribute].N).toBe(String(expiresAt));
  });

  test('an expired item is absent on read, and can be replaced by the next save', async () => {
    const { store } = stores();
    const s = scope();
    await store.save(await store.load(s), new Map([[SESSION_KEY, sessionKey('old')]]), Math.floor(Date.now() / 1000) - 1);
    const loaded = await store.load(s);
    expect(loaded.entries.size).toBe(0);
    expect(loaded.version).toBe(1); // kept, so the conditional save below can replace the item
    expect(await store.save(loaded, new Map([[SESSION_KEY, sessionKey('new')]]), Math.floor(Date.now() / 1000) + 60)).toBe(true);
    expect((await store.load(s)).entries.get(SESSION_KEY)).toBe(sessionKey('new'));
  });

  test('expiry is judged by the injected clock', async () => {
    let now = Date.now();
    const { sessionScopes: store } = createDynamoAdapters({ tableName: local.tableName, client: local.ddb.client, now: () => now });
    const s = scope();
    await store.save(await store.load(s), new Map([['k', 'v']]), Math.floor(now / 1000) + 60);
    expect((await store.load(s)).entries.get('k')).toBe('v');
    now += 61_000;
    expect((await store.load(s)).entries.size).toBe(0);
  });

  test('scopes that differ in one field only are isolated', async () => {
    const { store } = stores();
    const base = scope();
    const variants = [
      base,
      { ...base, caller: `${base.caller}-2` },
      { ...base, authIdentity: 'authMethods:abc' },
      { ...base, pkpPublicKey: `${base.pkpPublicKey.slice(0, -1)}b` },
    ];
    const exp = Math.floor((Date.now() + HOUR) / 1000);
    for (const [i, v] of variants.entries()) expect(await store.save(await store.load(v), new Map([['who', String(i)]]), exp)).toBe(true);
    for (const [i, v] of variants.entries()) expect((await store.load(v)).entries.get('who')).toBe(String(i));
    expect(new Set(variants.map(scopeDigest)).size).toBe(4);
  });

  test('two writers from the same loaded version: exactly one wins, the other writes nothing', async () => {
    const { store } = stores();
    const s = scope();
    const exp = Math.floor((Date.now() + HOUR) / 1000);
    for (const round of [0, 1]) {
      const [l1, l2] = await Promise.all([store.load(s), store.load(s)]);
      expect(l1.version).toBe(round);
      const results = await Promise.all([store.save(l1, new Map([['w', `one-${round}`]]), exp), store.save(l2, new Map([['w', `two-${round}`]]), exp)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results[0] ? `one-${round}` : `two-${round}`;
      const after = await store.load(s);
      expect(after.version).toBe(round + 1);
      expect(after.entries.get('w')).toBe(winner);
    }
  });

  test('failures other than a lost race are STORAGE_UNAVAILABLE without item contents', async () => {
    const { sessionScopes: store } = createDynamoAdapters({ tableName: 'no-such-table', client: local.ddb.client });
    const s = scope();
    await expect(store.load(s)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE', status: 503, retryable: true });
    const err: unknown = await store.save({ scope: s, entries: new Map(), version: 0 }, new Map([[SESSION_KEY, sessionKey('leak')]]), 1).catch((e) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as ServiceError).code).toBe('STORAGE_UNAVAILABLE');
    expect((err as ServiceError).message).not.toContain('SECRET-leak');
    expect((err as ServiceError).message).not.toContain(s.caller);
    expect((err as ServiceError).cause).toBeDefined();
  });

  test('a malformed stored item is STORAGE_UNAVAILABLE, not a crash', async () => {
    const { store } = stores();
    const s = scope();
    await local.ddb.client.send(
      new PutItemCommand({
        TableName: local.tableName,
        Item: { pk: { S: `SCOPE#${scopeDigest(s)}` }, sk: { S: 'STORAGE' }, version: { N: '1' }, entries: { S: 'not a map' } },
      }),
    );
    await expect(store.load(s)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
  });
});

describe('runInSessionScope', () => {
  beforeEach(() => resetUnboundStorageAccessCount());

  test('cache miss: one GetItem, fn sees an empty scope, one PutItem with TTL = wallet sig expiry', async () => {
    const { store, commands } = stores();
    const s = scope();
    const expiry = Date.now() + HOUR;
    const sig = await walletSig(expiry);
    const run = await runInSessionScope(store, s, sdkMiss(sessionKey('m'), sig));
    expect(run.result).toEqual({ key: sessionKey('m'), sig });
    expect(run).toMatchObject({ walletSigReused: false, saved: true });
    expect(commands).toEqual(['GetItemCommand', 'PutItemCommand']);
    const item = (await rawItem(s))!;
    expect(item[TABLE_KEYS.ttlAttribute].N).toBe(String(Math.floor(expiry / 1000)));
    expect(item.entries.M![WALLET_SIGNATURE].S).toBe(sig);
  });

  test('cache hit: one GetItem, fn sees the stored entries, no write, walletSigReused', async () => {
    const { store, commands } = stores();
    const s = scope();
    const sig = await walletSig(Date.now() + HOUR);
    await runInSessionScope(store, s, sdkMiss(sessionKey('h'), sig));
    commands.length = 0;
    const other = await walletSig(Date.now() + HOUR);
    const run = await runInSessionScope(store, s, sdkMiss(sessionKey('not-used'), other));
    expect(run.result).toEqual({ key: sessionKey('h'), sig });
    expect(run).toMatchObject({ walletSigReused: true, saved: false });
    expect(commands).toEqual(['GetItemCommand']);
  });

  test('writing back identical values costs no write', async () => {
    const { store, commands } = stores();
    const s = scope();
    await runInSessionScope(store, s, sdkMiss(sessionKey('i'), await walletSig(Date.now() + HOUR)));
    commands.length = 0;
    const run = await runInSessionScope(store, s, async () => {
      requestBoundStorage.setItem(SESSION_KEY, requestBoundStorage.getItem(SESSION_KEY)!);
      requestBoundStorage.setItem(WALLET_SIGNATURE, requestBoundStorage.getItem(WALLET_SIGNATURE)!);
    });
    expect(run.saved).toBe(false);
    expect(commands).toEqual(['GetItemCommand']);
  });

  test('an expired stored wallet sig is dropped before fn (the session key is kept)', async () => {
    const { store } = stores();
    const s = scope();
    const stale = await walletSig(Date.now() - 1000);
    await store.save(
      await store.load(s),
      new Map([
        [SESSION_KEY, sessionKey('k')],
        [WALLET_SIGNATURE, stale],
      ]),
      Math.floor(Date.now() / 1000) + 600,
    );
    const fresh = await walletSig(Date.now() + HOUR);
    const run = await runInSessionScope(store, s, async () => {
      const seen = { key: requestBoundStorage.getItem(SESSION_KEY), sig: requestBoundStorage.getItem(WALLET_SIGNATURE) };
      requestBoundStorage.setItem(WALLET_SIGNATURE, fresh);
      return seen;
    });
    expect(run.result).toEqual({ key: sessionKey('k'), sig: null });
    expect(run).toMatchObject({ walletSigReused: false, saved: true });
    expect((await store.load(s)).entries.get(WALLET_SIGNATURE)).toBe(fresh);
  });

  test('a wallet sig expiring before requiredValidUntilMs is not offered to the SDK', async () => {
    const { store } = stores();
    const s = scope();
    const short = await walletSig(Date.now() + 5 * 60_000);
    await runInSessionScope(store, s, sdkMiss(sessionKey('k'), short));
    const seenLong = await runInSessionScope(store, s, async () => requestBoundStorage.getItem(WALLET_SIGNATURE), { requiredValidUntilMs: Date.now() + HOUR });
    expect(seenLong.result).toBeNull();
    const seenShort = await runInSessionScope(store, s, async () => requestBoundStorage.getItem(WALLET_SIGNATURE), {
      requiredValidUntilMs: Date.now() + 60_000,
    });
    expect(seenShort.result).toBe(short);
    expect(seenShort.walletSigReused).toBe(true);
  });

  test('a wallet sig whose expiry cannot be read is dropped; a scope without one gets the default TTL', async () => {
    const { store } = stores();
    const s = scope();
    const now = Date.now();
    const run = await runInSessionScope(store, s, async () => requestBoundStorage.setItem(WALLET_SIGNATURE, '{"sig":"0x"}'), { nowMs: now });
    expect(run.saved).toBe(true);
    expect((await rawItem(s))![TABLE_KEYS.ttlAttribute].N).toBe(String(Math.floor(now / 1000) + DEFAULT_SCOPE_TTL_SECONDS));
    const next = await runInSessionScope(store, s, async () => requestBoundStorage.getItem(WALLET_SIGNATURE));
    expect(next.result).toBeNull();
  });

  test('fn throwing: nothing is written and the error propagates; late writes from the request are refused', async () => {
    const { store, commands } = stores();
    const s = scope();
    const boom = new Error('lit nodes said no');
    const gate = latch();
    let late: Promise<{ lateWrites?: number; value: string | null }> | undefined;
    await expect(
      runInSessionScope(store, s, async () => {
        requestBoundStorage.setItem(SESSION_KEY, sessionKey('x'));
        // SDK work left running in the request's async context, finishing after the write-back point.
        late = (async () => {
          await gate.promise;
          requestBoundStorage.setItem(SESSION_KEY, sessionKey('late'));
          return { lateWrites: currentScopeStorage()?.lateWrites, value: requestBoundStorage.getItem(SESSION_KEY) };
        })();
        throw boom;
      }),
    ).rejects.toBe(boom);
    gate.open();
    expect(await late).toEqual({ lateWrites: 1, value: sessionKey('x') });
    expect(commands).toEqual(['GetItemCommand']);
    expect(unboundStorageAccessCount()).toBe(0);
    expect((await store.load(s)).entries.size).toBe(0);
  });

  test('a failed write-back is reported, not thrown: the issued result still comes back', async () => {
    const counting = countingClient(local.ddb.endpoint, (cmd) =>
      cmd === 'PutItemCommand' ? Object.assign(new Error('Throughput exceeded'), { name: 'ProvisionedThroughputExceededException' }) : undefined,
    );
    const { sessionScopes: store } = createDynamoAdapters({ tableName: local.tableName, client: counting.client });
    const run = await runInSessionScope(store, scope(), sdkMiss(sessionKey('f'), await walletSig(Date.now() + HOUR)));
    expect(run.result.key).toBe(sessionKey('f'));
    expect(run.saved).toBe(false);
    expect(run.saveError).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect(run.saveError!.message).not.toContain('SECRET-f');
  });

  test('a failed load throws STORAGE_UNAVAILABLE and never runs fn', async () => {
    const { sessionScopes: store } = createDynamoAdapters({ tableName: 'missing-table', client: local.ddb.client });
    const fn = jest.fn(async () => 'ran');
    await expect(runInSessionScope(store, scope(), fn)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect(fn).not.toHaveBeenCalled();
  });

  test('two concurrent requests for different scopes in one process never see each other', async () => {
    const { store } = stores();
    const [sa, sb] = [scope(), scope()];
    const sigA = await walletSig(Date.now() + HOUR);
    const sigB = await walletSig(Date.now() + 2 * HOUR);
    await runInSessionScope(store, sa, sdkMiss(sessionKey('A'), sigA));

    const bothInside = latch();
    let inside = 0;
    const request = (mine: string) => async () => {
      const before = requestBoundStorage.getItem(SESSION_KEY);
      if (before === null) requestBoundStorage.setItem(SESSION_KEY, sessionKey(mine));
      if (++inside === 2) bothInside.open();
      await bothInside.promise; // both requests are now mid-flight, interleaved
      await new Promise((r) => setImmediate(r));
      if (requestBoundStorage.getItem(WALLET_SIGNATURE) === null) requestBoundStorage.setItem(WALLET_SIGNATURE, mine === 'A' ? sigA : sigB);
      return { before, key: requestBoundStorage.getItem(SESSION_KEY), sig: requestBoundStorage.getItem(WALLET_SIGNATURE), size: requestBoundStorage.length };
    };
    const [ra, rb] = await Promise.all([runInSessionScope(store, sa, request('A')), runInSessionScope(store, sb, request('B'))]);
    expect(ra.result).toEqual({ before: sessionKey('A'), key: sessionKey('A'), sig: sigA, size: 2 });
    expect(ra).toMatchObject({ walletSigReused: true, saved: false });
    expect(rb.result).toEqual({ before: null, key: sessionKey('B'), sig: sigB, size: 2 });
    expect(rb).toMatchObject({ walletSigReused: false, saved: true });
    expect((await store.load(sb)).entries.get(SESSION_KEY)).toBe(sessionKey('B'));
    expect((await store.load(sa)).entries.get(SESSION_KEY)).toBe(sessionKey('A'));
    expect(unboundStorageAccessCount()).toBe(0);
  });

  test('two concurrent cache misses on the same scope: both get results, exactly one write lands', async () => {
    const { store, commands } = stores();
    const s = scope();
    const bothLoaded = latch();
    let loaded = 0;
    const request = (mine: string) => async () => {
      if (++loaded === 2) bothLoaded.open();
      await bothLoaded.promise; // both have loaded version 0 before either writes
      return sdkMiss(sessionKey(mine), await walletSig(Date.now() + HOUR))();
    };
    const runs = await Promise.all([runInSessionScope(store, s, request('1')), runInSessionScope(store, s, request('2'))]);
    expect(runs.map((r) => r.result.key)).toEqual([sessionKey('1'), sessionKey('2')]);
    expect(runs.filter((r) => r.saved)).toHaveLength(1);
    expect(runs.every((r) => r.saveError === undefined)).toBe(true);
    expect(commands.filter((c) => c === 'PutItemCommand')).toHaveLength(2);
    const winner = runs.find((r) => r.saved)!;
    expect((await store.load(s)).entries.get(SESSION_KEY)).toBe(winner.result.key);
  });
});

/** The port contract is all the domain sees; this keeps the adapter honest about it. */
const _typecheck: SessionScopeStore = createDynamoAdapters({ tableName: 't' }).sessionScopes;
void _typecheck;
