import { ethers } from 'ethers';
import { delegateesFor, needsRefresh, refreshDelegation, type RefresherDeps } from '../../functions/commons/domain/delegation-refresher';
import type { CapacityDelegationParams } from '../../functions/commons/ports';
import { ServiceError } from '../../functions/commons/errors';
import { METRIC } from '../../functions/commons/metric-names';
import type { AuthSigLike } from '../../functions/commons/ports';
import { MemoryDelegationStore, OWNER, PKP_A, PKP_B, RecordingLogger, RecordingMetrics, callerPolicy, delegationRecord, runtimeConfig } from './fakes';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const NOW_S = NOW / 1000;

class FakeSigner {
  calls: CapacityDelegationParams[] = [];
  fail: unknown;
  async createCapacityDelegation(p: CapacityDelegationParams): Promise<AuthSigLike> {
    this.calls.push(p);
    if (this.fail) throw this.fail;
    return { sig: `0xSIG-${this.calls.length}`, derivedVia: 'web3.eth.personal.sign', signedMessage: 'siwe', address: OWNER.address };
  }
}

function setup(config = runtimeConfig([callerPolicy({ pkps: [PKP_A, PKP_B] }), callerPolicy({ principal: 'arn:aws:iam::1:role/x', pkps: [PKP_A] })])) {
  const deps = {
    config,
    delegations: new MemoryDelegationStore(),
    signer: new FakeSigner(),
    capacity: { capacityExpiresAt: jest.fn(async () => NOW_S + 10 * 86_400) },
    ownerKey: async () => OWNER,
    metrics: new RecordingMetrics(),
    logger: new RecordingLogger(),
    now: () => NOW,
  };
  return deps satisfies RefresherDeps;
}
const opts = { deadlineMs: NOW + 60_000 };

describe('delegation refresher', () => {
  it('margin logic: refresh when none, inside the margin, or at it; not outside', () => {
    const margin = 21_600;
    expect(needsRefresh(undefined, NOW, margin)).toBe(true);
    expect(needsRefresh(delegationRecord({ expiresAt: NOW_S + margin - 1 }), NOW, margin)).toBe(true);
    expect(needsRefresh(delegationRecord({ expiresAt: NOW_S + margin }), NOW, margin)).toBe(true);
    expect(needsRefresh(delegationRecord({ expiresAt: NOW_S + margin + 1 }), NOW, margin)).toBe(false);
  });

  it('delegatees: the ETH address of every policy PKP, unique and sorted; or unrestricted', () => {
    const d = setup();
    const expected = [ethers.utils.computeAddress(PKP_A), ethers.utils.computeAddress(PKP_B)].sort();
    expect(delegateesFor(d.config)).toEqual(expected);
    expect(delegateesFor(runtimeConfig([callerPolicy({ pkps: ['*'] })], { delegatees: 'unrestricted' }))).toBe('unrestricted');
  });

  it('creates the first delegation with version 1 and the configured token, uses and validity', async () => {
    const d = setup(runtimeConfig([callerPolicy()], { uses: '500', validitySeconds: 7200, refreshMarginSeconds: 600 }));
    const r = await refreshDelegation(d, opts);
    expect(r.outcome).toBe('refreshed');
    expect(d.signer.calls[0]).toMatchObject({ capacityTokenId: '7', uses: '500', delegateeAddresses: [ethers.utils.computeAddress(PKP_A)], owner: OWNER });
    expect(d.signer.calls[0].expiration.getTime()).toBe(NOW + 7200_000);
    expect(d.delegations.record).toMatchObject({
      version: 1,
      expiresAt: NOW_S + 7200,
      issuedAt: NOW_S,
      capacityExpiresAt: NOW_S + 10 * 86_400,
      ownerAddress: OWNER.address,
      uses: '500',
    });
    expect(d.metrics.counts[METRIC.delegationRefreshed]).toBe(1);
    expect(d.metrics.gauges[METRIC.delegationSecondsLeft]).toEqual([7200]);
    expect(d.metrics.gauges[METRIC.capacitySecondsLeft]).toEqual([10 * 86_400]);
  });

  it('CURRENT removed after three refreshes: the next one writes version 4, after the history, not 1 again', async () => {
    const d = setup();
    for (let i = 0; i < 3; i++) await refreshDelegation(d, { ...opts, force: true });
    expect(d.delegations.record?.version).toBe(3);
    d.delegations.record = undefined;
    const r = await refreshDelegation(d, opts);
    expect(r).toMatchObject({ outcome: 'refreshed', record: { version: 4 } });
    expect(d.delegations.history).toEqual([1, 2, 3, 4]);
  });

  it('unrestricted delegations name no delegatees', async () => {
    const d = setup(runtimeConfig([callerPolicy({ pkps: ['*'] })], { delegatees: 'unrestricted' }));
    await refreshDelegation(d, opts);
    expect(d.signer.calls[0].delegateeAddresses).toBeUndefined();
    expect(d.delegations.record?.delegatees).toBe('unrestricted');
  });

  it('leaves a fresh delegation alone unless forced, but still reports its seconds left', async () => {
    const d = setup();
    d.delegations.record = delegationRecord({ version: 4, expiresAt: NOW_S + 20 * 3600, capacityExpiresAt: NOW_S + 100, delegatees: delegateesFor(d.config) });
    expect((await refreshDelegation(d, opts)).outcome).toBe('still-valid');
    expect(d.signer.calls).toHaveLength(0);
    expect(d.metrics.gauges[METRIC.delegationSecondsLeft]).toEqual([20 * 3600]);
    expect(d.metrics.gauges[METRIC.capacitySecondsLeft]).toEqual([100]);
    const forced = await refreshDelegation(d, { ...opts, force: true });
    expect(forced.outcome).toBe('refreshed');
    expect(d.delegations.record?.version).toBe(5);
  });

  it('replaces a fresh delegation that no longer matches the config: new policy PKP, other token, other uses', async () => {
    const fresh = { version: 4, expiresAt: NOW_S + 20 * 3600 };
    // The policy names PKP_A and PKP_B; the stored delegation only PKP_A (PKP_B was added since).
    const d = setup();
    d.delegations.record = delegationRecord({ ...fresh, delegatees: [ethers.utils.computeAddress(PKP_A)] });
    expect((await refreshDelegation(d, opts)).outcome).toBe('refreshed');
    expect(d.signer.calls[0].delegateeAddresses).toEqual(delegateesFor(d.config));
    expect(d.delegations.record?.version).toBe(5);
    // Matching delegatees (in any order and case): left alone.
    const same = setup();
    same.delegations.record = delegationRecord({ ...fresh, delegatees: [...(delegateesFor(same.config) as string[])].reverse().map((a) => a.toLowerCase()) });
    expect((await refreshDelegation(same, opts)).outcome).toBe('still-valid');
    // Another capacity token id, or other uses, than the config names.
    for (const drift of [{ capacityTokenId: '8' }, { uses: '10' }]) {
      const other = setup();
      other.delegations.record = delegationRecord({ ...fresh, delegatees: delegateesFor(other.config), ...drift });
      expect((await refreshDelegation(other, opts)).outcome).toBe('refreshed');
      expect(other.delegations.record).toMatchObject({ capacityTokenId: '7', version: 5 });
      expect(other.delegations.record?.uses).toBeUndefined();
    }
    // Restricted on record, unrestricted in the config.
    const open = setup(runtimeConfig([callerPolicy({ pkps: ['*'] })], { delegatees: 'unrestricted' }));
    open.delegations.record = delegationRecord({ ...fresh });
    expect((await refreshDelegation(open, opts)).outcome).toBe('refreshed');
    expect(open.delegations.record?.delegatees).toBe('unrestricted');
  });

  it('a lost race returns the winner record without error and without overwriting it', async () => {
    const d = setup();
    d.delegations.record = delegationRecord({ version: 4, expiresAt: NOW_S + 60 });
    const winner = delegationRecord({
      version: 5,
      expiresAt: NOW_S + 86_400,
      authSig: { sig: '0xWINNER', derivedVia: 'x', signedMessage: 'm', address: OWNER.address },
    });
    d.delegations.beforeNextPut = () => {
      d.delegations.record = winner;
    };
    const r = await refreshDelegation(d, opts);
    expect(r.outcome).toBe('lost-race');
    expect(r.record?.authSig.sig).toBe('0xWINNER');
    expect(d.delegations.record?.authSig.sig).toBe('0xWINNER');
    expect(d.metrics.counts[METRIC.delegationRefreshed]).toBeUndefined();
  });

  it('keeps the last known capacity expiry when the chain read fails', async () => {
    const d = setup();
    d.delegations.record = delegationRecord({ version: 2, expiresAt: NOW_S + 10, capacityExpiresAt: NOW_S + 999 });
    d.capacity.capacityExpiresAt.mockRejectedValueOnce(new ServiceError('CHAIN_UNAVAILABLE', 'rpc down'));
    const r = await refreshDelegation(d, opts);
    expect(r.outcome).toBe('refreshed');
    expect(d.delegations.record?.capacityExpiresAt).toBe(NOW_S + 999);
    expect(d.logger.lines.join()).toContain('CHAIN_UNAVAILABLE');
  });

  it('never signs a delegation that outlives the capacity NFT: it ends when the NFT does', async () => {
    const d = setup(runtimeConfig([callerPolicy()], { validitySeconds: 86_400, refreshMarginSeconds: 600 }));
    d.capacity.capacityExpiresAt.mockResolvedValue(NOW_S + 3600);
    const r = await refreshDelegation(d, opts);
    expect(r.outcome).toBe('refreshed');
    expect(d.signer.calls[0].expiration.getTime()).toBe((NOW_S + 3600) * 1000);
    expect(d.delegations.record).toMatchObject({ expiresAt: NOW_S + 3600, capacityExpiresAt: NOW_S + 3600 });
  });

  it('uses the last known NFT expiry for that cut when the chain read fails', async () => {
    const d = setup(runtimeConfig([callerPolicy()], { validitySeconds: 86_400, refreshMarginSeconds: 600 }));
    d.delegations.record = delegationRecord({ version: 2, expiresAt: NOW_S + 10, capacityExpiresAt: NOW_S + 5000, delegatees: delegateesFor(d.config) });
    d.capacity.capacityExpiresAt.mockRejectedValueOnce(new ServiceError('CHAIN_UNAVAILABLE', 'rpc down'));
    await refreshDelegation(d, opts);
    expect(d.signer.calls[0].expiration.getTime()).toBe((NOW_S + 5000) * 1000);
  });

  it('refuses to sign once the NFT has expired: counted as a failed refresh, nothing stored', async () => {
    const d = setup();
    d.delegations.record = delegationRecord({ version: 2, expiresAt: NOW_S + 10, capacityExpiresAt: NOW_S - 1 });
    d.capacity.capacityExpiresAt.mockResolvedValue(NOW_S - 1);
    await expect(refreshDelegation(d, opts)).rejects.toMatchObject({ code: 'NO_VALID_DELEGATION', details: { capacityTokenId: '7' } });
    expect(d.signer.calls).toHaveLength(0);
    expect(d.delegations.record?.version).toBe(2);
    expect(d.metrics.counts[METRIC.delegationRefreshFailed]).toBe(1);
  });

  it('keeps a delegation already cut at the NFT expiry instead of re-signing it every run; a forced refresh still signs', async () => {
    const d = setup(runtimeConfig([callerPolicy()], { validitySeconds: 86_400, refreshMarginSeconds: 21_600 }));
    d.delegations.record = delegationRecord({ version: 3, expiresAt: NOW_S + 3600, capacityExpiresAt: NOW_S + 3600, delegatees: delegateesFor(d.config) });
    const r = await refreshDelegation(d, opts);
    expect(r.outcome).toBe('still-valid');
    expect(d.signer.calls).toHaveLength(0);
    expect(d.metrics.gauges[METRIC.capacitySecondsLeft]).toEqual([3600]);
    d.capacity.capacityExpiresAt.mockResolvedValue(NOW_S + 3600);
    expect((await refreshDelegation(d, { ...opts, force: true })).outcome).toBe('refreshed');
    expect(d.signer.calls[0].expiration.getTime()).toBe((NOW_S + 3600) * 1000);
  });

  it('failures are counted, rethrown, and the old record stays; the auth sig is never logged', async () => {
    const d = setup();
    d.delegations.record = delegationRecord({ version: 2, expiresAt: NOW_S + 10 });
    d.signer.fail = new ServiceError('LIT_UNAVAILABLE', 'no nodes');
    await expect(refreshDelegation(d, opts)).rejects.toMatchObject({ code: 'LIT_UNAVAILABLE' });
    expect(d.metrics.counts[METRIC.delegationRefreshFailed]).toBe(1);
    expect(d.delegations.record?.version).toBe(2);
    d.signer.fail = undefined;
    await refreshDelegation(d, opts);
    expect(d.logger.lines.join()).not.toContain('0xSIG');
  });
});
