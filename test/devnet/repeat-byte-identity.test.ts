/**
 * A repeat issuance signed locally (stored-wallet-sig-signer.ts, through the service's issuer) is
 * byte for byte what the real SDK's `getPkpSessionSigs` returns for the same scope, inputs and
 * clock: for several resource sets, on devnets of 3 and 5 nodes. And the local path declines
 * (so the SDK decides) whenever the SDK would re-sign.
 */
import { generateSessionKeyPair } from '@lit-protocol/crypto';
import { ethers } from 'ethers';
import { createLitNodeClient, disconnectLitNodeClient, startDevnet, type Devnet } from '../../devnet';
import { LitSessionSigIssuer } from '../../functions/commons/adapters/lit/session-sigs';
import { signWithStoredWalletSig } from '../../functions/commons/adapters/lit/stored-wallet-sig-signer';
import { toLitResourceAbilityRequests } from '../../functions/commons/adapters/lit/resources';
import { loadLitSdk, type LitSdk } from '../../functions/commons/adapters/lit/sdk';
import type { LitNodeClientInstance } from '../../functions/commons/adapters/lit/client';
import type { RequestedResource } from '../../functions/commons/domain/issue-request';
import { bindScopeStorage, requestBoundStorage, ScopeStorage, SDK_STORAGE_KEYS } from '../../functions/commons/session-storage';
import { installOfflineGuard, type OfflineGuard } from './helpers/offline-guard';
import { capacityDelegation, ethWalletAuthMethod, litContractsFor, mintCapacityToken, mintPkp, type AuthSig, type MintedPkp } from './helpers/lit-fixtures';

jest.setTimeout(180_000);

const MINUTE = 60_000;
const pkpAll: RequestedResource = { kind: 'pkp', id: '*', ability: 'pkp-signing' };
const actionAll: RequestedResource = { kind: 'lit-action', id: '*', ability: 'lit-action-execution' };

/** Fakes only Date (no timers: the SDK and the devnet still do real I/O) and freezes it at `nowMs`. */
function freezeClock(nowMs: number): void {
  jest.useFakeTimers({
    now: nowMs,
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
}

describe.each([3, 5])('repeat issuance on a devnet of %i nodes', (nodeCount) => {
  let guard: OfflineGuard;
  let devnet: Devnet;
  let client: LitNodeClientInstance;
  let issuer: LitSessionSigIssuer;
  let sdk: LitSdk;
  let owner: ethers.Wallet;
  let pkp: MintedPkp;
  let delegation: AuthSig;

  const signSessionKeyRounds = () => devnet.controls.totalCounts().sign_session_key;
  const params = (resources: RequestedResource[], expiration: Date) => ({
    pkpPublicKey: pkp.publicKey,
    resources,
    expiration,
    walletSigValidUntil: new Date(Date.now() + 60 * MINUTE),
    capabilityAuthSig: delegation,
    owner,
    deadlineMs: Date.now() + 60_000,
  });
  /** A scope whose wallet sig the nodes signed for `resources` (the service's miss path). */
  const seededScope = async (resources: RequestedResource[]): Promise<ScopeStorage> => {
    const scope = new ScopeStorage();
    await bindScopeStorage(scope, () => issuer.getPkpSessionSigs(params(resources, new Date(Date.now() + 10 * MINUTE))));
    expect(scope.getItem(SDK_STORAGE_KEYS.WALLET_SIGNATURE)).toBeTruthy();
    return new ScopeStorage(scope.snapshot());
  };
  /** The SDK's own call, as the service made it before the local path existed. */
  const viaSdk = async (scope: ScopeStorage, resources: RequestedResource[], expiration: Date) =>
    bindScopeStorage(scope, async () =>
      client.getPkpSessionSigs({
        pkpPublicKey: pkp.publicKey,
        authMethods: [await ethWalletAuthMethod(client as never, owner)],
        resourceAbilityRequests: toLitResourceAbilityRequests(sdk, resources),
        capabilityAuthSigs: [delegation],
        expiration: expiration.toISOString(),
      }),
    );

  beforeAll(async () => {
    guard = installOfflineGuard();
    devnet = await startDevnet({ nodeCount, blockTimeMs: 1000 });
    owner = new ethers.Wallet(devnet.ownerWallet.privateKey);
    const contracts = litContractsFor(devnet, devnet.ownerWallet.privateKey);
    await contracts.connect();
    pkp = await mintPkp(contracts, [owner.address]);
    const capacityTokenId = await mintCapacityToken(contracts);
    sdk = await loadLitSdk();
    client = createLitNodeClient(devnet, { storageProvider: { provider: requestBoundStorage } } as never) as unknown as LitNodeClientInstance;
    await client.connect();
    issuer = new LitSessionSigIssuer({ get: async () => client });
    delegation = await capacityDelegation(client as never, owner, capacityTokenId, [pkp.ethAddress]);
  });

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  afterAll(async () => {
    if (client) await disconnectLitNodeClient(client as never);
    await devnet?.stop();
    guard?.restore();
  });

  it.each([
    ['pkp-signing on any PKP', [pkpAll], [pkpAll]],
    ['pkp-signing on this PKP (by token id)', 'this-pkp', 'this-pkp'],
    ['two resources: any PKP and any Lit Action', [pkpAll, actionAll], [pkpAll, actionAll]],
    ['a subset of what the wallet sig grants', [pkpAll, actionAll], [actionAll]],
  ] as const)('%s: byte-identical to getPkpSessionSigs, no node round, no SDK call, no owner auth sig', async (_label, granted, asked) => {
    const thisPkp: RequestedResource[] = [{ kind: 'pkp', id: pkp.tokenId, ability: 'pkp-signing' }];
    const seed = await seededScope(granted === 'this-pkp' ? thisPkp : [...granted]);
    const resources = asked === 'this-pkp' ? thisPkp : [...asked];
    const expiration = new Date(Date.now() + 7 * MINUTE + 123);

    freezeClock(Date.now() + 1500); // one instant for both paths: issuedAt is the clock
    const rounds = signSessionKeyRounds();
    const reference = await viaSdk(new ScopeStorage(seed.snapshot()), resources, expiration);

    const sdkCall = jest.spyOn(client, 'getPkpSessionSigs');
    const ownerSigns = jest.spyOn(owner, 'signMessage');
    const local = await bindScopeStorage(new ScopeStorage(seed.snapshot()), () => issuer.getPkpSessionSigs(params(resources, expiration)));

    expect(JSON.stringify(local.sessionSigs)).toBe(JSON.stringify(reference));
    expect(Object.keys(local.sessionSigs)).toEqual([...client.connectedNodes]);
    expect(Object.keys(local.sessionSigs)).toHaveLength(nodeCount);
    expect(sdkCall).not.toHaveBeenCalled();
    expect(ownerSigns).not.toHaveBeenCalled();
    expect(signSessionKeyRounds()).toBe(rounds);
  });

  it("verifies a wallet sig once: repeats make no SDK signature check, the node round's check is remembered", async () => {
    const check = jest.spyOn(client, 'checkNeedToResignSessionKey');
    const scope = new ScopeStorage();
    const issue = () => bindScopeStorage(scope, () => issuer.getPkpSessionSigs(params([pkpAll], new Date(Date.now() + 5 * MINUTE))));
    const rounds = signSessionKeyRounds();
    await issue(); // miss: one node round, inside which the SDK checks the new wallet sig
    expect(signSessionKeyRounds()).toBe(rounds + nodeCount);
    const checksAfterMiss = check.mock.calls.length;
    await issue();
    await issue();
    expect(check.mock.calls.length).toBe(checksAfterMiss);
    expect(signSessionKeyRounds()).toBe(rounds + nodeCount);
  });

  describe('the local path declines wherever the SDK would re-sign', () => {
    let seed: ScopeStorage;
    beforeAll(async () => {
      seed = await seededScope([pkpAll]);
    });
    const local = (scope: ScopeStorage, resources: RequestedResource[]) =>
      bindScopeStorage(scope, () =>
        signWithStoredWalletSig(client, {
          resourceAbilityRequests: toLitResourceAbilityRequests(sdk, resources),
          capabilityAuthSigs: [delegation],
          expiration: new Date(Date.now() + MINUTE).toISOString(),
        }),
      );
    const checkSays = (scope: ScopeStorage, resources: RequestedResource[]) =>
      bindScopeStorage(scope, () => {
        const sessionKey = JSON.parse(scope.getItem(SDK_STORAGE_KEYS.SESSION_KEY)!) as { publicKey: string };
        return client.checkNeedToResignSessionKey({
          authSig: JSON.parse(scope.getItem(SDK_STORAGE_KEYS.WALLET_SIGNATURE)!),
          sessionKeyUri: client.getSessionKeyUri(sessionKey.publicKey),
          resourceAbilityRequests: toLitResourceAbilityRequests(sdk, resources),
        });
      });

    it('serves the resources the wallet sig grants (control)', async () => {
      await expect(local(new ScopeStorage(seed.snapshot()), [pkpAll])).resolves.toBeDefined();
    });

    it('resources the wallet sig does not grant', async () => {
      await expect(checkSays(new ScopeStorage(seed.snapshot()), [actionAll])).resolves.toBe(true);
      await expect(local(new ScopeStorage(seed.snapshot()), [actionAll])).resolves.toBeUndefined();
    });

    it('a wallet sig past its expiry, and one not yet valid (the clock before its Issued At)', async () => {
      const message = (JSON.parse(seed.getItem(SDK_STORAGE_KEYS.WALLET_SIGNATURE)!) as AuthSig).signedMessage;
      const expiry = Date.parse(/^Expiration Time: (.+)$/m.exec(message)![1]);
      const issuedAt = Date.parse(/^Issued At: (.+)$/m.exec(message)![1]);
      for (const at of [expiry, issuedAt - 1]) {
        freezeClock(at);
        await expect(checkSays(new ScopeStorage(seed.snapshot()), [pkpAll])).resolves.toBe(true);
        await expect(local(new ScopeStorage(seed.snapshot()), [pkpAll])).resolves.toBeUndefined();
        jest.useRealTimers();
      }
    });

    it('a wallet sig whose BLS signature does not verify, even after a good one was remembered', async () => {
      const good = JSON.parse(seed.getItem(SDK_STORAGE_KEYS.WALLET_SIGNATURE)!) as AuthSig;
      const proof = JSON.parse(good.sig) as { ProofOfPossession: string };
      const flipped = proof.ProofOfPossession.replace(/^(.{10})(.)/, (_m, head: string, c: string) => head + (c === 'a' ? 'b' : 'a'));
      const forged = new ScopeStorage(seed.snapshot());
      forged.setItem(SDK_STORAGE_KEYS.WALLET_SIGNATURE, JSON.stringify({ ...good, sig: JSON.stringify({ ...proof, ProofOfPossession: flipped }) }));
      await expect(checkSays(new ScopeStorage(forged.snapshot()), [pkpAll])).resolves.toBe(true);
      await expect(local(forged, [pkpAll])).resolves.toBeUndefined();
      await expect(local(forged, [pkpAll])).resolves.toBeUndefined();
    });

    it('a session key other than the one the wallet sig names', async () => {
      const other = new ScopeStorage(seed.snapshot());
      other.setItem(SDK_STORAGE_KEYS.SESSION_KEY, JSON.stringify(generateSessionKeyPair()));
      await expect(local(other, [pkpAll])).resolves.toBeUndefined();
    });

    it('no wallet sig, or no session key', async () => {
      for (const key of [SDK_STORAGE_KEYS.WALLET_SIGNATURE, SDK_STORAGE_KEYS.SESSION_KEY]) {
        const scope = new ScopeStorage(seed.snapshot());
        scope.removeItem(key);
        await expect(local(scope, [pkpAll])).resolves.toBeUndefined();
      }
    });
  });

  it('makes no request to any host but 127.0.0.1', () => {
    expect(guard.blocked).toEqual([]);
  });
});
