/**
 * Section 4: issuance latency through the domain with real parts: `issueSessionSigs` (policy,
 * rate limit, delegation read, session scope load/save, audit) over DynamoDB Local, the real Lit
 * SDK through the service's Lit adapter, and the devnet.
 *
 * - miss: the first issuance for a scope (a new caller each time): the SDK has no wallet sig, so
 *   the nodes sign one (`sign_session_key`: one node round trip), then it signs locally.
 * - hit: repeat issuance for one scope: the stored wallet sig is reused, only local ed25519 signing.
 * - issuer only: the same SDK calls with an in-memory scope (no DynamoDB, no policy, no audit), to
 *   show what the domain and the table add.
 *
 * Then again with every devnet node answering `latencyMs` later, to model real network round
 * trips. Every issuance is checked: a miss must report 'nodes' and make node requests, a hit must
 * report 'cache' and make none; mismatches are reported, not hidden.
 */
import type { SectionResult, Table } from './section';
import { muteSdkStorageWarnings, startIssuanceWorld } from './world';
import { fmtMs, fmtRatio, median, percentile, summarize, timed } from './stats';

const CALLER_PREFIX = 'arn:aws:sts::123456789012:assumed-role/bench-app/';

export interface IssuanceOptions {
  /** Iterations per measured case. */
  iterations: number;
  /** Per-node added latency for the second pass; 0 skips it. */
  latencyMs: number;
}

interface CaseResult {
  label: string;
  latencyMs: number;
  samples: number[];
  /** Node requests (all endpoints) per issuance, summed over nodes. */
  nodeRequests: number[];
  /** Issuances whose wallet-sig source was not the expected one. */
  unexpected: number;
}

export async function runIssuance(options: IssuanceOptions): Promise<SectionResult> {
  const { installOfflineGuard } = await import('../test/devnet/helpers/offline-guard');
  const { issueSessionSigs } = await import('../functions/commons/domain/issue-session-sigs');
  const { NO_METRICS } = await import('../functions/commons/ports');
  const { scopedIssuer, bindScopeStorage, ScopeStorage } = await import('../functions/commons/session-storage');

  const guard = installOfflineGuard();
  const sdkWarnings = muteSdkStorageWarnings();
  const warnings: string[] = [];
  const logger = {
    info: () => undefined,
    warn: (message: string) => void warnings.push(message),
    error: (message: string) => void warnings.push(message),
  };
  let world: Awaited<ReturnType<typeof startIssuanceWorld>> | undefined;
  try {
    world = await startIssuanceWorld({ callerPrefix: CALLER_PREFIX, rateLimitPerMinute: 100_000, logger });
    const { devnet, owner, pkp, config, lit, tables, ownerKey, delegation } = world;
    const connect = { ms: world.connectMs };

    const body = { pkpPublicKey: pkp.publicKey, resourceAbilityRequests: [{ resource: { kind: 'pkp', id: '*' }, ability: 'pkp-signing' }] };
    const deps = { config, ...tables, issuer: scopedIssuer(lit.issuer, tables.sessionScopes), ownerKey, metrics: NO_METRICS, logger };
    const nodeRequests = () => Object.values(devnet.controls.totalCounts() as unknown as Record<string, number>).reduce((a, b) => a + b, 0);
    let requestNo = 0;

    /** One issuance through the domain; returns its wall time, node requests, and the reported source. */
    const issueAs = async (caller: string) => {
      const before = nodeRequests();
      const r = await timed(() => issueSessionSigs(deps, { requestId: `bench-${++requestNo}`, caller, readBody: () => body, deadlineMs: Date.now() + 29_000 }));
      return { ms: r.ms, requests: nodeRequests() - before, source: r.value.walletSigSource };
    };

    /** The Lit adapter alone, with the scope in memory. */
    const issuerParams = () => ({
      pkpPublicKey: pkp.publicKey,
      resources: [{ kind: 'pkp' as const, id: '*', ability: 'pkp-signing' as const }],
      expiration: new Date(Date.now() + 600_000),
      walletSigValidUntil: new Date(Date.now() + 3600_000),
      capabilityAuthSig: delegation.authSig,
      owner,
      deadlineMs: Date.now() + 29_000,
    });
    const issuerOnly = async (storage: InstanceType<typeof ScopeStorage>) => {
      const before = nodeRequests();
      const r = await timed(() => bindScopeStorage(storage, () => lit.issuer.getPkpSessionSigs(issuerParams())));
      return { ms: r.ms, requests: nodeRequests() - before };
    };

    const n = options.iterations;
    /** The issuer-only rows are a breakdown, not the headline: half the iterations keep the run short. */
    const sdkN = Math.max(1, Math.ceil(n / 2));
    const measure = async (latencyMs: number): Promise<CaseResult[]> => {
      devnet.controls.setFaults('all', { latencyMs });
      const tag = `l${latencyMs}`;
      const newCase = (label: string): CaseResult => ({ label, latencyMs, samples: [], nodeRequests: [], unexpected: 0 });
      const record = (c: CaseResult, r: { ms: number; requests: number }, expected: boolean) => {
        c.samples.push(r.ms);
        c.nodeRequests.push(r.requests);
        if (!expected) c.unexpected++;
      };
      const miss = newCase('domain: miss (first issuance for a scope)');
      const hit = newCase('domain: hit (repeat issuance, cached wallet sig)');
      const sdkMiss = newCase('issuer only: miss (in-memory scope)');
      const sdkHit = newCase('issuer only: hit (in-memory scope)');
      const hitCaller = `${CALLER_PREFIX}hit-${tag}`;
      const kept = new ScopeStorage();
      await issueAs(hitCaller); // fills the hit scopes
      await issuerOnly(kept);
      // Interleaved (miss, hit, miss, hit...): load from other work on the machine then lands on
      // both sides of the ratio instead of on one case's whole series.
      for (let i = 0; i < n; i++) {
        const m = await issueAs(`${CALLER_PREFIX}miss-${tag}-${i}`);
        record(miss, m, m.source === 'nodes' && m.requests > 0);
        const h = await issueAs(hitCaller);
        record(hit, h, h.source === 'cache' && h.requests === 0);
        if (i < sdkN) {
          const sm = await issuerOnly(new ScopeStorage());
          record(sdkMiss, sm, sm.requests > 0);
          const sh = await issuerOnly(kept);
          record(sdkHit, sh, sh.requests === 0);
        }
      }
      return [miss, hit, sdkMiss, sdkHit];
    };

    const passes: CaseResult[][] = [await measure(0)];
    if (options.latencyMs > 0) passes.push(await measure(options.latencyMs));
    devnet.controls.setFaults('all', { latencyMs: 0 });

    const tables_: Table[] = passes.map((cases) => ({
      title: `node latency +${cases[0].latencyMs} ms; ${n} iterations per domain row, ${sdkN} per issuer-only row`,
      columns: ['case', 'median', 'p95', 'max', 'node requests / issuance', 'vs domain hit', 'unexpected source'],
      rows: cases.map((c) => [
        c.label,
        fmtMs(median(c.samples)),
        fmtMs(percentile(c.samples, 95)),
        fmtMs(Math.max(...c.samples)),
        String(median(c.nodeRequests)),
        fmtRatio(median(c.samples) / median(cases[1].samples)),
        String(c.unexpected),
      ]),
    }));
    const notes = [
      `SDK connect through the service's LitConnection: ${fmtMs(connect.ms)} (excluded above).`,
      ...passes.map((cases) => {
        const [miss, hit, sdkMiss, sdkHit] = cases.map((c) => median(c.samples));
        return (
          `+${cases[0].latencyMs} ms: a cache hit is ${(miss / hit).toFixed(1)}x faster than a miss (${fmtMs(miss)} → ${fmtMs(hit)}); ` +
          `the domain + DynamoDB Local add ${fmtMs(hit - sdkHit)} to a hit and ${fmtMs(miss - sdkMiss)} to a miss.`
        );
      }),
      "The devnet runs in this process: on a miss, the nodes' BLS signing shares the CPU (and event loop) with the SDK, which real nodes on their own machines would not; a hit is local CPU work only (per-node native ed25519, stored-wallet-sig-signer.ts), so it scales with node count and CPU speed.",
      "A miss makes one SDK call, for the caller's maximum expiry (the node round, so the new wallet sig lasts that long), then signs the asked expiry locally; a hit makes no SDK call (LitSessionSigIssuer). The repeat-floor section compares both with the guide's pattern.",
    ];
    const unexpected = passes.flat().reduce((a, c) => a + c.unexpected, 0);
    if (unexpected > 0) notes.push(`UNEXPECTED: ${unexpected} issuances did not take the expected path (see the last column).`);
    if (warnings.length > 0) notes.push(`Domain warnings during the run: ${[...new Set(warnings)].join('; ')}`);
    if (sdkWarnings.count() > 0) {
      notes.push(
        `The SDK printed its "Storage key … is missing" console.warn ${sdkWarnings.count()} times (muted here): two lines per cache miss, which reach a function's logs.`,
      );
    }
    if (guard.blocked.length > 0) notes.push(`NON-LOOPBACK network attempts blocked: ${guard.blocked.length}`);

    return {
      id: 'issuance',
      title: 'Issuance latency through the domain (DynamoDB Local + devnet + real SDK)',
      tables: tables_,
      notes,
      data: {
        iterations: n,
        connectMs: connect.ms,
        blockedNetworkAttempts: guard.blocked.length,
        sdkStorageWarnings: sdkWarnings.count(),
        passes: passes.map((cases) => ({
          latencyMs: cases[0].latencyMs,
          cases: cases.map((c) => ({ label: c.label, ms: summarize(c.samples), nodeRequestsMedian: median(c.nodeRequests), unexpected: c.unexpected })),
          hitVsMissSpeedup: median(cases[0].samples) / median(cases[1].samples),
        })),
      },
    };
  } finally {
    await world?.stop();
    guard.restore();
    sdkWarnings.restore();
  }
}
