/**
 * Keeps one fresh capacity delegation in the DelegationStore. Runs on a schedule and on demand
 * (POST /delegation/refresh); concurrent runs are safe: each writes version + 1 under a
 * condition on the version it read, and a run that loses the race returns the winner's record.
 */
import { ethers } from 'ethers';
import type { RuntimeConfig } from '../config';
import { ServiceError, toServiceError } from '../errors';
import { DELEGATION_MIN_REMAINING_SECONDS } from './delegation-limits';
import { METRIC } from '../metric-names';
import type { CapacityReader, DelegationRecord, DelegationSigner, DelegationStore, DomainLogger, MetricsSink, OwnerKeySource } from '../ports';

export interface RefresherDeps {
  config: Pick<RuntimeConfig, 'delegation' | 'policy'>;
  delegations: DelegationStore;
  signer: DelegationSigner;
  capacity: CapacityReader;
  ownerKey: OwnerKeySource;
  metrics: MetricsSink;
  logger: DomainLogger;
  /** Unix ms. @default Date.now */
  now?: () => number;
}

export interface RefreshOptions {
  /** Refresh even when the stored delegation is still outside the margin. */
  force?: boolean;
  /** Unix ms by which Lit (re)connection attempts must give up. */
  deadlineMs: number;
}

export type RefreshOutcome =
  /** The stored delegation was fresh enough; nothing was written. */
  | 'still-valid'
  /** A new delegation was stored. */
  | 'refreshed'
  /** Another run stored a new delegation first; its record is returned. */
  | 'lost-race';

export interface RefreshResult {
  outcome: RefreshOutcome;
  /** The current delegation after this run (undefined only if a lost race left nothing readable). */
  record: DelegationRecord | undefined;
}

/**
 * The delegatees: every PKP named in the policy, as ETH addresses (sorted, unique), or
 * 'unrestricted' when so configured. A `*` PKP entry is only valid with 'unrestricted' (config.ts).
 */
export function delegateesFor(config: Pick<RuntimeConfig, 'delegation' | 'policy'>): string[] | 'unrestricted' {
  if (config.delegation.delegatees === 'unrestricted') return 'unrestricted';
  const addresses = new Set<string>();
  for (const caller of config.policy.callers) {
    for (const pkp of caller.pkps) {
      if (pkp !== '*') addresses.add(ethers.utils.computeAddress(pkp));
    }
  }
  return [...addresses].sort();
}

/** Does `record` need replacing at `nowMs`? */
export function needsRefresh(record: DelegationRecord | undefined, nowMs: number, marginSeconds: number): boolean {
  return record === undefined || record.expiresAt * 1000 - nowMs <= marginSeconds * 1000;
}

/**
 * Was `record` made for what the config asks now (capacity token, uses, delegatees)? A policy
 * that gained a PKP, or a new token id, must not wait for the old delegation to near its expiry:
 * until then the nodes would refuse every request for the new PKP.
 */
export function delegationMatchesConfig(record: DelegationRecord, config: Pick<RuntimeConfig, 'delegation' | 'policy'>): boolean {
  if (record.capacityTokenId !== config.delegation.capacityTokenId) return false;
  if ((record.uses ?? undefined) !== (config.delegation.uses ?? undefined)) return false;
  const wanted = delegateesFor(config);
  if (wanted === 'unrestricted' || record.delegatees === 'unrestricted') return wanted === record.delegatees;
  const have = new Set(record.delegatees.map((a) => a.toLowerCase()));
  return wanted.length === have.size && wanted.every((a) => have.has(a.toLowerCase()));
}

/** Refreshes if needed (or forced). Counts DelegationRefreshFailed and rethrows on any failure. */
export async function refreshDelegation(deps: RefresherDeps, options: RefreshOptions): Promise<RefreshResult> {
  try {
    return await refresh(deps, options);
  } catch (e) {
    deps.metrics.count(METRIC.delegationRefreshFailed);
    deps.logger.error('delegation refresh failed', { errorCode: toServiceError(e).code });
    throw e;
  }
}

async function refresh(deps: RefresherDeps, options: RefreshOptions): Promise<RefreshResult> {
  const now = deps.now ?? Date.now;
  const { delegation: cfg } = deps.config;
  const current = await deps.delegations.getCurrent();

  const drifted = current !== undefined && !delegationMatchesConfig(current, deps.config);
  // A delegation already cut at the NFT's expiry cannot be extended by signing again: until the
  // token changes (drift), a refresh is forced or it is spent, keep it instead of re-signing on
  // every run. Once spent, the run goes on and fails on the expired NFT (counted, alarmed).
  const cutAtCapacity =
    current?.capacityExpiresAt !== undefined &&
    current.expiresAt >= current.capacityExpiresAt &&
    current.capacityExpiresAt - Math.floor(now() / 1000) > DELEGATION_MIN_REMAINING_SECONDS;
  if (!options.force && !drifted && (cutAtCapacity || !needsRefresh(current, now(), cfg.refreshMarginSeconds))) {
    emitGauges(deps, current, now());
    return { outcome: 'still-valid', record: current };
  }

  if (drifted && !options.force) deps.logger.info('the stored delegation does not match the config (token, uses or delegatees): refreshing');
  const owner = await deps.ownerKey();
  const delegatees = delegateesFor(deps.config);
  if (Array.isArray(delegatees) && delegatees.length === 0) {
    deps.logger.warn('the policy names no PKP: the new delegation can be used by nobody');
  }
  // The NFT's expiry first: a delegation must not outlive the capacity it delegates (the nodes
  // would refuse it from then on while it still looked valid here).
  let capacityExpiresAt = current?.capacityTokenId === cfg.capacityTokenId ? current.capacityExpiresAt : undefined;
  try {
    capacityExpiresAt = await deps.capacity.capacityExpiresAt(cfg.capacityTokenId);
  } catch (e) {
    // The delegation matters more than the report about the NFT: keep going with the last known value.
    deps.logger.warn('capacity NFT expiry not read', { errorCode: toServiceError(e).code });
  }

  const issuedAtMs = now();
  const issuedAtSec = Math.floor(issuedAtMs / 1000);
  let expiresAtSec = issuedAtSec + cfg.validitySeconds;
  if (capacityExpiresAt !== undefined) {
    if (capacityExpiresAt - issuedAtSec <= DELEGATION_MIN_REMAINING_SECONDS) {
      throw new ServiceError('NO_VALID_DELEGATION', 'The capacity NFT has expired (or is about to): mint a new one and set delegation.capacityTokenId', {
        details: { capacityExpiresAt: new Date(capacityExpiresAt * 1000).toISOString(), capacityTokenId: cfg.capacityTokenId },
      });
    }
    expiresAtSec = Math.min(expiresAtSec, capacityExpiresAt);
  }
  const authSig = await deps.signer.createCapacityDelegation({
    owner,
    capacityTokenId: cfg.capacityTokenId,
    delegateeAddresses: delegatees === 'unrestricted' ? undefined : delegatees,
    uses: cfg.uses,
    expiration: new Date(expiresAtSec * 1000),
    deadlineMs: options.deadlineMs,
  });

  // After the history, not only after CURRENT: a removed (or restored older) CURRENT must not
  // make this run write a version the history already has.
  const lastVersion = Math.max(current?.version ?? 0, await deps.delegations.highestHistoryVersion());
  const next: DelegationRecord = {
    version: lastVersion + 1,
    capacityTokenId: cfg.capacityTokenId,
    authSig,
    delegatees,
    uses: cfg.uses,
    issuedAt: issuedAtSec,
    expiresAt: expiresAtSec,
    ownerAddress: ethers.utils.getAddress(owner.address),
    capacityExpiresAt,
  };
  // The nodes it just signed through: GET /health?deep=true probes them without the SDK.
  const litNodes = deps.signer.connectedNodes?.();
  if (litNodes && litNodes.urls.length > 0) next.litNodes = litNodes;
  const stored = await deps.delegations.putIfVersion(next, current?.version);
  if (!stored) {
    const winner = await deps.delegations.getCurrent();
    deps.logger.info('another run refreshed the delegation first', { version: winner?.version });
    emitGauges(deps, winner, now());
    return { outcome: 'lost-race', record: winner };
  }
  deps.metrics.count(METRIC.delegationRefreshed);
  deps.logger.info('delegation refreshed', {
    version: next.version,
    expiresAt: next.expiresAt,
    delegateeCount: Array.isArray(delegatees) ? delegatees.length : 'unrestricted',
  });
  emitGauges(deps, next, now());
  return { outcome: 'refreshed', record: next };
}

function emitGauges(deps: RefresherDeps, record: DelegationRecord | undefined, nowMs: number): void {
  const nowSec = Math.floor(nowMs / 1000);
  deps.metrics.seconds(METRIC.delegationSecondsLeft, record ? Math.max(0, record.expiresAt - nowSec) : 0);
  if (record?.capacityExpiresAt !== undefined) deps.metrics.seconds(METRIC.capacitySecondsLeft, Math.max(0, record.capacityExpiresAt - nowSec));
}
