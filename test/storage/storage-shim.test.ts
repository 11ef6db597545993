/**
 * The SDK's localStorage shim on its own (no DynamoDB): DOM Storage semantics, fail-closed
 * behaviour outside a bound scope, wallet-sig expiry parsing, and the real Lit SDK using
 * `requestBoundStorage` as its `localStorage`.
 */
import { LOCAL_STORAGE_KEYS } from '@lit-protocol/constants';
import { LitNodeClient } from '@lit-protocol/lit-node-client';
import {
  bindScopeStorage,
  onUnboundStorageAccess,
  requestBoundStorage,
  resetUnboundStorageAccessCount,
  ScopeStorage,
  SDK_STORAGE_KEYS,
  unboundStorageAccessCount,
  walletSigExpiryMs,
  type UnboundOperation,
} from '../../functions/commons/session-storage';
import { latch, walletSig } from './fixtures';

describe('ScopeStorage behaves like the DOM localStorage', () => {
  test('getItem/setItem/removeItem, null for missing keys, string coercion', () => {
    const s = new ScopeStorage();
    expect(s.getItem('missing')).toBeNull();
    s.setItem('n', 42 as unknown as string);
    s.setItem('o', { a: 1 } as unknown as string);
    s.setItem('u', undefined as unknown as string);
    s.setItem(7 as unknown as string, 'seven');
    expect(s.getItem('n')).toBe('42');
    expect(s.getItem('o')).toBe('[object Object]');
    expect(s.getItem('u')).toBe('undefined');
    expect(s.getItem(7 as unknown as string)).toBe('seven');
    s.setItem('n', '43');
    expect(s.getItem('n')).toBe('43');
    s.removeItem('n');
    expect(s.getItem('n')).toBeNull();
    s.removeItem('never-there');
    expect(s.length).toBe(3);
  });

  test('length, key(i) and clear()', () => {
    const s = new ScopeStorage([['a', '1']]);
    s.setItem('b', '2');
    s.setItem('a', '1b'); // overwriting does not add a key
    expect(s.length).toBe(2);
    const keys = [s.key(0), s.key(1)];
    expect(keys.sort()).toEqual(['a', 'b']);
    expect(s.key(2)).toBeNull();
    expect(s.key(-1)).toBeNull();
    s.clear();
    expect(s.length).toBe(0);
    expect(s.key(0)).toBeNull();
    expect(s.getItem('a')).toBeNull();
  });

  test('changed compares against what was loaded, not against whether anything was called', () => {
    const s = new ScopeStorage([['k', 'v']]);
    expect(s.changed).toBe(false);
    s.setItem('k', 'v');
    expect(s.changed).toBe(false);
    s.setItem('k', 'w');
    expect(s.changed).toBe(true);
    s.setItem('k', 'v');
    expect(s.changed).toBe(false);
    s.removeItem('k');
    expect(s.changed).toBe(true);
    const fresh = new ScopeStorage();
    fresh.clear();
    expect(fresh.changed).toBe(false);
    fresh.setItem('x', '');
    expect(fresh.changed).toBe(true);
  });

  test('a sealed storage still reads but refuses (and counts) writes', () => {
    const s = new ScopeStorage([['k', 'v']]);
    s.seal();
    s.setItem('k', 'other');
    s.removeItem('k');
    s.clear();
    expect(s.getItem('k')).toBe('v');
    expect(s.changed).toBe(false);
    expect(s.lateWrites).toBe(3);
  });

  test('snapshot is a copy', () => {
    const s = new ScopeStorage([['k', 'v']]);
    const snap = s.snapshot();
    snap.set('k', 'changed');
    expect(s.getItem('k')).toBe('v');
  });
});

describe('requestBoundStorage', () => {
  beforeEach(() => resetUnboundStorageAccessCount());
  afterEach(() => onUnboundStorageAccess(undefined));

  test('fails closed outside any bound scope, and counts every such call', () => {
    const seen: UnboundOperation[] = [];
    onUnboundStorageAccess((op) => seen.push(op));
    requestBoundStorage.setItem(SDK_STORAGE_KEYS.SESSION_KEY, 'leak?');
    expect(requestBoundStorage.getItem(SDK_STORAGE_KEYS.SESSION_KEY)).toBeNull();
    expect(requestBoundStorage.length).toBe(0);
    expect(requestBoundStorage.key(0)).toBeNull();
    requestBoundStorage.removeItem('x');
    requestBoundStorage.clear();
    expect(unboundStorageAccessCount()).toBe(6);
    expect(seen).toEqual(['setItem', 'getItem', 'length', 'key', 'removeItem', 'clear']);
  });

  test('a throwing listener never breaks the caller', () => {
    onUnboundStorageAccess(() => {
      throw new Error('metrics down');
    });
    expect(requestBoundStorage.getItem('k')).toBeNull();
    expect(unboundStorageAccessCount()).toBe(1);
  });

  test('delegates every Storage operation to the bound ScopeStorage', () => {
    const s = new ScopeStorage([['a', '1']]);
    bindScopeStorage(s, () => {
      expect(requestBoundStorage.getItem('a')).toBe('1');
      requestBoundStorage.setItem('b', 2 as unknown as string);
      expect(requestBoundStorage.length).toBe(2);
      expect([requestBoundStorage.key(0), requestBoundStorage.key(1)].sort()).toEqual(['a', 'b']);
      requestBoundStorage.removeItem('a');
      expect(requestBoundStorage.getItem('a')).toBeNull();
    });
    expect(s.getItem('b')).toBe('2');
    bindScopeStorage(s, () => requestBoundStorage.clear());
    expect(s.length).toBe(0);
    expect(unboundStorageAccessCount()).toBe(0);
  });

  test('two concurrent async contexts each see only their own storage across awaits', async () => {
    const a = new ScopeStorage();
    const b = new ScopeStorage();
    const bothWrote = latch();
    let writes = 0;
    const run = (value: string) => async () => {
      requestBoundStorage.setItem('k', value);
      if (++writes === 2) bothWrote.open();
      await bothWrote.promise; // the other context has written by now
      await new Promise((r) => setImmediate(r));
      return requestBoundStorage.getItem('k');
    };
    const [ra, rb] = await Promise.all([bindScopeStorage(a, run('A')), bindScopeStorage(b, run('B'))]);
    expect([ra, rb]).toEqual(['A', 'B']);
    expect(a.getItem('k')).toBe('A');
    expect(b.getItem('k')).toBe('B');
    expect(requestBoundStorage.getItem('k')).toBeNull();
  });
});

describe('walletSigExpiryMs', () => {
  test('reads the Expiration Time of a real signed SIWE wallet sig', async () => {
    const expiry = Date.parse('2031-05-06T07:08:09.000Z');
    expect(walletSigExpiryMs(await walletSig(expiry))).toBe(expiry);
  });

  test.each([
    ['null', null],
    ['empty', ''],
    ['not JSON', '{oops'],
    ['JSON without signedMessage', JSON.stringify({ sig: '0x' })],
    ['no expiration line', JSON.stringify({ signedMessage: 'localhost wants you to sign in\nIssued At: 2030-01-01T00:00:00Z' })],
    ['unparseable date', JSON.stringify({ signedMessage: 'x\nExpiration Time: soon' })],
  ])('undefined for %s', (_label, raw) => {
    expect(walletSigExpiryMs(raw)).toBeUndefined();
  });
});

describe('with the real Lit SDK', () => {
  test('the storage keys match the SDK constants', () => {
    expect(SDK_STORAGE_KEYS.SESSION_KEY).toBe(LOCAL_STORAGE_KEYS.SESSION_KEY);
    expect(SDK_STORAGE_KEYS.WALLET_SIGNATURE).toBe(LOCAL_STORAGE_KEYS.WALLET_SIGNATURE);
  });

  test('LitNodeClient installs requestBoundStorage as localStorage, and its session key cache follows the bound scope', () => {
    resetUnboundStorageAccessCount();
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const client = new LitNodeClient({ litNetwork: 'datil-dev', storageProvider: { provider: requestBoundStorage }, debug: false });
      expect(globalThis.localStorage).toBe(requestBoundStorage);

      const scopeA = new ScopeStorage();
      const scopeB = new ScopeStorage();
      const a1 = bindScopeStorage(scopeA, () => client.getSessionKey());
      const a2 = bindScopeStorage(scopeA, () => client.getSessionKey());
      const b1 = bindScopeStorage(scopeB, () => client.getSessionKey());
      expect(a2.secretKey).toBe(a1.secretKey); // cached in scope A
      expect(b1.secretKey).not.toBe(a1.secretKey); // scope B never sees A's key
      expect(JSON.parse(scopeA.getItem(SDK_STORAGE_KEYS.SESSION_KEY)!).publicKey).toBe(a1.publicKey);

      // Outside a scope the SDK gets nothing and stores nothing: a fresh key every time.
      const u1 = client.getSessionKey();
      const u2 = client.getSessionKey();
      expect(u1.secretKey).not.toBe(u2.secretKey);
      expect(u1.secretKey).not.toBe(a1.secretKey);
      expect(unboundStorageAccessCount()).toBe(4);
    } finally {
      warn.mockRestore();
    }
  });
});
