/**
 * The Lit adapters for the functions that talk to Lit. Kept out of `composition.ts` on purpose:
 * esbuild inlines even a dynamic `import()` into a CommonJS bundle, so a function whose handler
 * never imports this module (GET /delegation) ships without the Lit SDK at all (about 3x smaller,
 * half the import time: `npm run bench -- --only=bundle-size`).
 */
import { lazyAsync, ownerKey, runtimeConfig, tableAdapters } from './composition';
import { routeConsoleWarnings } from './console-warnings';
import type { RefresherDeps } from './domain/delegation-refresher';
import { logger, metricsSink } from './powertools';

/** The Lit adapters, imported on first use so functions without Lit never load the adapter code either. */
export const litAdapters = lazyAsync(async () => {
  // Before the SDK loads: its console.warn lines become structured log lines.
  routeConsoleWarnings(logger);
  const { createLitAdapters } = await import('./adapters/lit');
  return createLitAdapters(runtimeConfig().lit, {
    onAttemptFailed: (info) => logger.warn('Lit connect attempt failed', { ...info }),
  });
});

/** What the delegation refresher needs, the same for the schedule and for POST /delegation/refresh. */
export async function refresherDeps(): Promise<RefresherDeps> {
  const lit = await litAdapters();
  return {
    config: runtimeConfig(),
    delegations: tableAdapters().delegations,
    signer: lit.delegationSigner,
    capacity: lit.chain,
    ownerKey,
    metrics: metricsSink,
    logger,
  };
}
