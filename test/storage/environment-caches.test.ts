/**
 * The per-environment memory in front of a repeat's two reads (environment-caches.ts), on
 * DynamoDB Local: which requests a repeat still sends, and that memory never outlives what it
 * may serve (an expired wallet sig, a lost write race, a delegation near its end or too old).
 */
import { createDynamoAdapters } from '../../functions/commons/adapters/dynamodb';
import { DELEGATION_MAX_AGE_MS, withRepeatCaches } from '../../functions/commons/environment-caches';
import type { DelegationRecord } from '../../functions/commons/ports';
import { runInSessionScope, requestBoundStorage, SDK_STORAGE_KEYS } from '../../functions/commons/session-storage';
import { countingClient, dynamoDbLocalPerFile, scope, sessionKey, walletSig } from './fixtures';

const { SESSION_KEY, WALLET_SIGNATURE } = SDK_STORAGE_KEYS;
const HOUR = 3_600_000;
const local = dynamoDbLocalPerFile();

/** Cached adapters over a counting client, plus plain ones (another environment) on the same table; `clock` moves the cache's now. */
function environment() {
  const counting = countingClient(local.ddb.endpoint);
  const clock = { now: Date.now() };
  const plain = createDynamoAdapters({ tableName: local.tableName, client: counting.client });
  const cached = withRepeatCaches(plain, () => clock.now);
  const other = createDynamoAdapters({ tableName: local.tableName, client: local.ddb.client });
  return { cached, other, commands: counting.commands, clock };
}

/** What the SDK does on a miss: keep or make a session key, store a wallet sig. */
const writes = (sig: string) => async () => {
  if (!requestBoundStorage.getItem(SESSION_KEY)) requestBoundStorage.setItem(SESSION_KEY, sessionKey('k'));
  requestBoundStorage.setItem(WALLET_SIGNATURE, sig);
  return requestBoundStorage.getItem(WALLET_SIGNATURE);
};
/** What a repeat does: read the stored wallet sig, write nothing. */
const reads = async () => requestBoundStorage.getItem(WALLET_SIGNATURE);

describe('remembered scopes', () => {
  test('after a save, repeats read the scope from memory: no DynamoDB request, same entries', async () => {
    const { cached, commands } = environment();
    const s = scope();
    const sig = await walletSig(Date.now() + HOUR);
    await runInSessionScope(cached.sessionScopes, s, writes(sig));
    expect(commands).toEqual(['GetItemCommand', 'PutItemCommand']);
    commands.length = 0;
    for (let i = 0; i < 3; i++) {
      const run = await runInSessionScope(cached.sessionScopes, s, reads);
      expect(run).toMatchObject({ result: sig, walletSigReused: true, saved: false });
    }
    expect(commands).toEqual([]);
  });

  test('a scope loaded from the table (another environment wrote it) is remembered too; other scopes are not confused with it', async () => {
    const { cached, other, commands } = environment();
    const [a, b] = [scope(), scope()];
    const [sigA, sigB] = [await walletSig(Date.now() + HOUR), await walletSig(Date.now() + HOUR)];
    await runInSessionScope(other.sessionScopes, a, writes(sigA));
    await runInSessionScope(other.sessionScopes, b, writes(sigB));
    expect((await runInSessionScope(cached.sessionScopes, a, reads)).result).toBe(sigA);
    expect((await runInSessionScope(cached.sessionScopes, b, reads)).result).toBe(sigB);
    expect((await runInSessionScope(cached.sessionScopes, a, reads)).result).toBe(sigA);
    expect((await runInSessionScope(cached.sessionScopes, b, reads)).result).toBe(sigB);
    expect(commands).toEqual(['GetItemCommand', 'GetItemCommand']);
  });

  test('once the wallet sig has expired, the scope is read from the table again', async () => {
    const { cached, commands, clock } = environment();
    const s = scope();
    const expiry = Date.now() + HOUR;
    await runInSessionScope(cached.sessionScopes, s, writes(await walletSig(expiry)));
    commands.length = 0;
    clock.now = expiry + 1;
    await cached.sessionScopes.load(s);
    expect(commands).toEqual(['GetItemCommand']);
  });

  test('a scope with no wallet sig is not remembered', async () => {
    const { cached, commands } = environment();
    const s = scope();
    await cached.sessionScopes.load(s);
    await cached.sessionScopes.load(s);
    expect(commands).toEqual(['GetItemCommand', 'GetItemCommand']);
  });

  test('another environment replaced the scope: the write from memory loses its condition, nothing is overwritten, and the next load reads the table', async () => {
    const { cached, other, commands } = environment();
    const s = scope();
    const mine = await walletSig(Date.now() + HOUR);
    await runInSessionScope(cached.sessionScopes, s, writes(mine));
    const theirs = await walletSig(Date.now() + 2 * HOUR);
    await runInSessionScope(other.sessionScopes, s, async () => requestBoundStorage.setItem(WALLET_SIGNATURE, theirs));
    commands.length = 0;

    // This environment still serves its own (valid) wallet sig from memory...
    expect((await runInSessionScope(cached.sessionScopes, s, reads)).result).toBe(mine);
    // ...and when it must re-sign, its write (conditional on the version it remembers) loses.
    const newer = await walletSig(Date.now() + HOUR);
    const run = await runInSessionScope(cached.sessionScopes, s, writes(newer));
    expect(run.saved).toBe(false);
    expect((await other.sessionScopes.load(s)).entries.get(WALLET_SIGNATURE)).toBe(theirs);
    commands.length = 0;
    expect((await runInSessionScope(cached.sessionScopes, s, reads)).result).toBe(theirs);
    expect(commands).toEqual(['GetItemCommand']);
  });
});

describe('recent delegation', () => {
  let version = 0;
  const record = (expiresAtMs: number): DelegationRecord => {
    version++;
    return {
      version,
      capacityTokenId: '42',
      authSig: { sig: `0xsig-${version}`, derivedVia: 'web3.eth.personal.sign', signedMessage: `delegation ${version}`, address: `0x${'a'.repeat(40)}` },
      delegatees: 'unrestricted',
      issuedAt: Math.floor(Date.now() / 1000),
      expiresAt: Math.floor(expiresAtMs / 1000),
      ownerAddress: `0x${'a'.repeat(40)}`,
    };
  };
  beforeEach(() => {
    version = 0;
  });

  test('read once, then served from memory for DELEGATION_MAX_AGE_MS; a refresh elsewhere shows after that', async () => {
    const { cached, other, commands, clock } = environment();
    const first = record(Date.now() + HOUR);
    await other.delegations.putIfVersion(first, undefined);
    expect(await cached.delegations.getCurrent()).toEqual(first);
    const second = record(Date.now() + 2 * HOUR);
    await other.delegations.putIfVersion(second, first.version);
    clock.now += DELEGATION_MAX_AGE_MS - 1;
    expect(await cached.delegations.getCurrent()).toEqual(first);
    expect(commands).toEqual(['GetItemCommand']);
    clock.now += 1;
    expect(await cached.delegations.getCurrent()).toEqual(second);
    expect(commands).toEqual(['GetItemCommand', 'GetItemCommand']);
  });

  test('a remembered delegation close to its end is read again at once (the refresher may have replaced it)', async () => {
    const { cached, other, commands } = environment();
    const ending = record(Date.now() + 30_000);
    await other.delegations.putIfVersion(ending, undefined);
    await cached.delegations.getCurrent();
    const replaced = record(Date.now() + HOUR);
    await other.delegations.putIfVersion(replaced, ending.version);
    expect(await cached.delegations.getCurrent()).toEqual(replaced);
    expect(commands).toEqual(['GetItemCommand', 'GetItemCommand']);
  });

  test('none stored yet: not remembered, so the first refresh is seen by the next request', async () => {
    const { cached, other } = environment();
    expect(await cached.delegations.getCurrent()).toBeUndefined();
    const first = record(Date.now() + HOUR);
    await other.delegations.putIfVersion(first, undefined);
    expect(await cached.delegations.getCurrent()).toEqual(first);
  });

  test('a write through the cached store forgets what it remembered', async () => {
    const { cached, commands } = environment();
    const first = record(Date.now() + HOUR);
    await cached.delegations.putIfVersion(first, undefined);
    await cached.delegations.getCurrent();
    const second = record(Date.now() + HOUR);
    await cached.delegations.putIfVersion(second, first.version);
    expect(await cached.delegations.getCurrent()).toEqual(second);
    expect(commands.filter((c) => c === 'GetItemCommand')).toHaveLength(2);
  });
});
