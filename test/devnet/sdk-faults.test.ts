/**
 * Faults on a devnet (3 nodes, threshold 2) as the real Lit SDK meets them: nodes down, random
 * 500s, an epoch advance while a client is connected. One devnet for the whole file.
 */
import { LitNodeClient } from '@lit-protocol/lit-node-client';
import { ethers } from 'ethers';
import { createLitNodeClient, disconnectLitNodeClient, startDevnet, type Devnet } from '../../devnet';
import { postToNode } from './helpers/raw-node';
import { installOfflineGuard, type OfflineGuard } from './helpers/offline-guard';
import { MemoryStorage } from './helpers/memory-storage';
import { ethWalletAuthMethod, litContractsFor, mintCapacityToken, mintPkp, pkpSigningRequests, type MintedPkp } from './helpers/lit-fixtures';

jest.setTimeout(120_000);

type SessionSigs = Record<string, { sig: string; signedMessage: string }>;

const storage = new MemoryStorage();
const digest = ethers.utils.arrayify(ethers.utils.id('faults'));

/** Wait for `condition`, checking every 200 ms, failing after `limitMs` (a deadline, not a measurement). */
async function eventually(condition: () => boolean, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('devnet faults with the real Lit SDK', () => {
  let guard: OfflineGuard;
  let devnet: Devnet;
  let client: LitNodeClient;
  let owner: ethers.Wallet;
  let pkp: MintedPkp;
  let delegation: unknown;

  const sessionSigs = async (): Promise<SessionSigs> => {
    storage.clear();
    return (await client.getPkpSessionSigs({
      pkpPublicKey: pkp.publicKey,
      authMethods: [await ethWalletAuthMethod(client, owner)],
      resourceAbilityRequests: pkpSigningRequests(),
      capabilityAuthSigs: [delegation as never],
      expiration: new Date(Date.now() + 3600_000).toISOString(),
    })) as SessionSigs;
  };
  const sign = async (sigs: SessionSigs): Promise<string> => {
    const result = await client.pkpSign({ pubKey: pkp.publicKey, toSign: digest, sessionSigs: sigs as never });
    return ethers.utils.recoverAddress(digest, result.signature);
  };

  beforeAll(async () => {
    guard = installOfflineGuard();
    devnet = await startDevnet({ blockTimeMs: 1000 });
    owner = new ethers.Wallet(devnet.ownerWallet.privateKey);
    const contracts = litContractsFor(devnet, devnet.ownerWallet.privateKey);
    await contracts.connect();
    pkp = await mintPkp(contracts, [owner.address]);
    const tokenId = await mintCapacityToken(contracts);
    client = createLitNodeClient(devnet, { storageProvider: { provider: storage } } as never);
    await client.connect();
    delegation = (
      await client.createCapacityDelegationAuthSig({ dAppOwnerWallet: owner, capacityTokenId: tokenId, delegateeAddresses: [pkp.ethAddress], uses: '1000' })
    ).capacityDelegationAuthSig;
  });

  afterEach(async () => {
    for (const n of devnet.nodes) {
      await devnet.controls.setNodeDown(n.index, false);
      devnet.controls.setFaults(n.index, { latencyMs: 0, errorRate: 0 });
    }
  });

  afterAll(async () => {
    if (client) await disconnectLitNodeClient(client);
    await devnet?.stop();
    guard?.restore();
  });

  it('gives session sigs with one node down (threshold still met), but pkpSign needs every connected node', async () => {
    const sigs = await sessionSigs();
    await devnet.controls.setNodeDown(2, true);
    expect(devnet.controls.isNodeUp(2)).toBe(false);
    devnet.controls.resetCounts();
    const withOneDown = await sessionSigs();
    expect(devnet.nodes.map((n) => devnet.controls.counts(n.index).sign_session_key)).toEqual([1, 1, 0]);
    expect(Object.keys(withOneDown)).toHaveLength(3);
    await expect(sign(withOneDown)).rejects.toThrow();

    await devnet.controls.setNodeDown(2, false);
    expect(await sign(sigs)).toBe(pkp.ethAddress);
  });

  it('refuses session sigs when fewer nodes are up than the threshold', async () => {
    await devnet.controls.setNodeDown(1, true);
    await devnet.controls.setNodeDown(2, true);
    devnet.controls.resetCounts();
    await expect(sessionSigs()).rejects.toThrow();
    expect(devnet.nodes.map((n) => devnet.controls.counts(n.index).sign_session_key)).toEqual([1, 0, 0]);
  });

  it('tolerates one node answering every request with a 500, and reports the injected fault when too many do', async () => {
    devnet.controls.setFaults(0, { errorRate: 1 });
    devnet.controls.resetCounts();
    await expect(sessionSigs()).resolves.toBeDefined();
    expect(devnet.controls.refusals(0).sign_session_key).toBe(1);

    devnet.controls.setFaults(1, { errorRate: 1 });
    await expect(sessionSigs()).rejects.toThrow(/NodeSystemFault/);
  });

  it('still answers with added latency on every node', async () => {
    devnet.controls.setFaults('all', { latencyMs: 300 });
    expect(devnet.controls.getFaults(1)).toEqual({ latencyMs: 300, errorRate: 0 });
    expect(await sign(await sessionSigs())).toBe(pkp.ethAddress);
  });

  it('follows an epoch advance: the SDK re-handshakes on StateChanged and keeps signing', async () => {
    const before = client.currentEpochNumber!;
    const handshakesBefore = devnet.controls.totalCounts().handshake;
    const next = await devnet.controls.advanceEpoch();
    expect(next).toBe(before + 1);
    await eventually(() => devnet.controls.totalCounts().handshake >= handshakesBefore + 3 && client.currentEpochNumber === next, 20_000);
    expect(await sign(await sessionSigs())).toBe(pkp.ethAddress);
  });

  it('never refuses a request for its epoch, as the real node; the SDK catches up after two advances', async () => {
    const stale = devnet.controls.currentEpoch();
    const handshakesBefore = devnet.controls.totalCounts().handshake;
    await devnet.controls.advanceEpoch();
    await devnet.controls.advanceEpoch();
    expect(devnet.controls.currentEpoch()).toBe(stale + 2);
    const handshake = (epoch: number) => postToNode(devnet.nodes[0].url, '/web/handshake/', { clientPublicKey: 'test', challenge: '00'.repeat(32), epoch });
    expect((await handshake(stale)).status).toBe(200);
    expect((await handshake(stale + 1)).status).toBe(200);
    // The SDK re-handshakes; near an epoch's start (epoch >= 3) it sends the epoch before, which nodes accept.
    await eventually(() => devnet.controls.totalCounts().handshake >= handshakesBefore + 3 && client.currentEpochNumber! >= stale + 1, 20_000);
    expect(await sign(await sessionSigs())).toBe(pkp.ethAddress);
  });

  it('follows an epoch set through devnet.chain too: the nodes accept the epoch the SDK reads from Staking', async () => {
    const target = devnet.controls.currentEpoch() + 5;
    const handshakesBefore = devnet.controls.totalCounts().handshake;
    await devnet.chain.setEpoch({ number: target });
    expect(devnet.controls.currentEpoch()).toBe(target);
    const reply = await postToNode(devnet.nodes[0].url, '/web/handshake/', { clientPublicKey: 'test', challenge: '00'.repeat(32), epoch: target });
    expect(reply.status).toBe(200);
    await eventually(() => devnet.controls.totalCounts().handshake >= handshakesBefore + 4 && client.currentEpochNumber! >= target - 1, 20_000);
    expect(await sign(await sessionSigs())).toBe(pkp.ethAddress);
  });

  it('made no request to any host but 127.0.0.1', () => {
    expect(guard.blocked).toEqual([]);
  });
});
