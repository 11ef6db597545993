/**
 * The delegation refresher, invoked by EventBridge Scheduler. Throws on failure so that the
 * schedule's retry policy and dead-letter queue see it. The event's `force: true` (set in the
 * schedule's input) forces a refresh; otherwise it refreshes only inside the margin.
 */
import type { Context } from 'aws-lambda';
import { ownerKey, runtimeConfig, tableAdapters } from './commons/composition';
import { litAdapters } from './commons/lit-composition';
import { refreshDelegation, type RefreshResult } from './commons/domain/delegation-refresher';
import { logger, metrics, metricsSink } from './commons/powertools';

/** Time kept back from the Lambda deadline for the write and the metrics flush. */
const SAFETY_MS = 5_000;

export const handler = async (event: unknown, context?: Pick<Context, 'getRemainingTimeInMillis'> & Partial<Context>): Promise<{ outcome: RefreshResult['outcome']; version?: number; expiresAt?: number }> => {
  logger.resetKeys();
  if (context?.functionName) logger.addContext(context as Context);
  const force = typeof event === 'object' && event !== null && (event as { force?: unknown }).force === true;
  const remaining = context?.getRemainingTimeInMillis?.() ?? 120_000;
  try {
    const lit = await litAdapters();
    const result = await refreshDelegation(
      { config: runtimeConfig(), delegations: tableAdapters().delegations, signer: lit.delegationSigner, capacity: lit.chain, ownerKey, metrics: metricsSink, logger },
      { force, deadlineMs: Date.now() + Math.max(0, remaining - SAFETY_MS) },
    );
    logger.info('delegation refresher run', { outcome: result.outcome, version: result.record?.version });
    return { outcome: result.outcome, version: result.record?.version, expiresAt: result.record?.expiresAt };
  } finally {
    try {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    } catch {
      // never mask the run's own outcome
    }
  }
};
