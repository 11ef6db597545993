/**
 * The delegation refresher, invoked by EventBridge Scheduler. Throws on failure so that the
 * schedule's retry policy and dead-letter queue see it. The event's `force: true` (set in the
 * schedule's input) forces a refresh; otherwise it refreshes only inside the margin.
 */
import type { Context } from 'aws-lambda';
import { refresherDeps } from './commons/lit-composition';
import { refreshDelegation, type RefreshResult } from './commons/domain/delegation-refresher';
import { instrumented, logger } from './commons/powertools';

/** Time kept back from the Lambda deadline for the write and the metrics flush. */
const SAFETY_MS = 5_000;

export const handler = (
  event: unknown,
  context?: Pick<Context, 'getRemainingTimeInMillis'> & Partial<Context>,
): Promise<{ outcome: RefreshResult['outcome']; version?: number; expiresAt?: number }> =>
  instrumented(context, async () => {
    const force = typeof event === 'object' && event !== null && (event as { force?: unknown }).force === true;
    const remaining = context?.getRemainingTimeInMillis?.() ?? 120_000;
    const result = await refreshDelegation(await refresherDeps(), { force, deadlineMs: Date.now() + Math.max(0, remaining - SAFETY_MS) });
    logger.info('delegation refresher run', { outcome: result.outcome, version: result.record?.version });
    return { outcome: result.outcome, version: result.record?.version, expiresAt: result.record?.expiresAt };
  });
