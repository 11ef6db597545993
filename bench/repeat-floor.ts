/**
 * Section `repeat-floor` (issue 9): a repeat issuance against the guide's pattern and the floor,
 * side by side, for 3 and 10 nodes at +0 and +50 ms per node answer.
 *
 * In process (devnet + DynamoDB Local + the real SDK):
 * - seed: the guide's pattern, a fresh LitNodeClient connect + getPkpSessionSigs per request;
 * - long-lived, no cache: one connected client, a sign_session_key round per request;
 * - service first request for a scope / service repeat: `issueSessionSigs` (policy, rate limit,
 *   delegation, scope load/save, audit) with a new caller each time / one caller again;
 * - service repeat, Lit part: the issuer with the scope in memory (what the target ≤ 3 ms is about);
 * - SDK repeat: getPkpSessionSigs with the cached wallet sig, the path repeats took before;
 * - floor: Node's native ed25519 of the same per-node messages, nothing else.
 * Over HTTP through `npm start`'s stack (local/stack.ts): first request and repeat per node count
 * and latency; repeat throughput at concurrency 1, 8 and 32 with 2 and 4 environments per function.
 *
 * Counted for every case: node rounds (sign_session_key requests / node count) per 100 requests
 * and DynamoDB requests per issuance (a middleware on the in-process client, by operation).
 * Estimated Lambda cost per million from the measured medians and the function's memory.
 */
import * as os from 'node:os';
import { runLoad, type LoadResult } from './load';
import type { SectionResult, Table } from './section';
import { fmtMs, median, percentile, round1 } from './stats';
import { muteSdkStorageWarnings, startIssuanceWorld } from './world';

const ID = 'repeat-floor';
const TITLE = 'Repeat issuance at the floor vs the guide pattern (issue 9)';
const CALLER_PREFIX = 'arn:aws:iam::000000000000:user/bench-floor-';
const MINUTE = 60_000;

/** Public AWS prices this estimate assumes (us-east-1, arm64 as the stack deploys; checked 2026). */
export const LAMBDA_PRICES = { requestsPerMillionUsd: 0.2, arm64PerGbSecondUsd: 0.0000133334, region: 'us-east-1' } as const;
/** lib/service-function.ts FUNCTION_DEFAULTS.memoryMb */
const FUNCTION_MEMORY_MB = 1024;

export interface RepeatFloorOptions {
  /** Iterations of the slow cases (those with a node round); fast cases run 10x as many. */
  iterations: number;
  nodeCounts: number[];
  latenciesMs: number[];
  /** HTTP: closed-loop concurrencies and environments per function (`npm start --concurrency`). */
  httpConcurrency: number[];
  environments: number[];
  /** Requests per throughput run. */
  throughputRequests: number;
}

export const FULL: RepeatFloorOptions = {
  iterations: 20,
  nodeCounts: [3, 10],
  latenciesMs: [0, 50],
  httpConcurrency: [1, 8, 32],
  environments: [2, 4],
  throughputRequests: 600,
};
export const QUICK: RepeatFloorOptions = {
  iterations: 2,
  nodeCounts: [3],
  latenciesMs: [0],
  httpConcurrency: [1, 8],
  environments: [2],
  throughputRequests: 16,
};

interface Case {
  label: string;
  nodes: number;
  latencyMs: number;
  samples: number[];
  /** sign_session_key requests / node count, summed. */
  nodeRounds: number;
  /** DynamoDB requests, summed, and by operation; undefined where none can be made. */
  dynamo?: { total: number; byOperation: Record<string, number> };
  /** Requests that did not take the expected path (wallet-sig source, node rounds, status). */
  unexpected: number;
}

const p = (c: Case, q: number) => percentile(c.samples, q);

/** Lambda cost per million issuances at a billed duration of ceil(ms) (1 ms granularity) and FUNCTION_MEMORY_MB. */
export function lambdaCostPerMillion(ms: number, memoryMb = FUNCTION_MEMORY_MB): number {
  const gbSeconds = (memoryMb / 1024) * (Math.ceil(ms) / 1000);
  return LAMBDA_PRICES.requestsPerMillionUsd + gbSeconds * LAMBDA_PRICES.arm64PerGbSecondUsd * 1e6;
}

function caseRow(c: Case): string[] {
  const n = c.samples.length;
  const ddb = c.dynamo ? (c.dynamo.total / n).toFixed(1) : '-';
  const ops = c.dynamo
    ? Object.entries(c.dynamo.byOperation)
        .map(([op, k]) => `${op} ${(k / n).toFixed(1)}`)
        .join(', ') || 'none'
    : '-';
  return [
    c.label,
    String(c.nodes),
    `+${c.latencyMs}`,
    String(n),
    fmtMs(p(c, 50)),
    fmtMs(p(c, 95)),
    fmtMs(p(c, 99)),
    String(round1((c.nodeRounds / n) * 100)),
    ddb,
    ops,
    String(c.unexpected),
  ];
}

const CASE_COLUMNS = [
  'case',
  'nodes',
  'latency ms',
  'n',
  'p50',
  'p95',
  'p99',
  'node rounds / 100',
  'DynamoDB req / issuance',
  'DynamoDB by operation',
  'unexpected',
];

function caseData(c: Case) {
  return {
    label: c.label,
    nodes: c.nodes,
    latencyMs: c.latencyMs,
    n: c.samples.length,
    p50: round1(p(c, 50)),
    p95: round1(p(c, 95)),
    p99: round1(p(c, 99)),
    nodeRoundsPer100: round1((c.nodeRounds / c.samples.length) * 100),
    dynamoPerIssuance: c.dynamo ? round1(c.dynamo.total / c.samples.length) : undefined,
    dynamoByOperation: c.dynamo?.byOperation,
    unexpected: c.unexpected,
    samples: c.samples.map((s) => Math.round(s * 1000) / 1000),
  };
}

interface InProcessRun {
  cases: Case[];
  notes: string[];
}

async function inProcess(opts: RepeatFloorOptions, nodes: number): Promise<InProcessRun> {
  const { disconnectLitNodeClient } = await import('../devnet');
  const lit = await import('../functions/commons/adapters/lit');
  const { issueSessionSigs } = await import('../functions/commons/domain/issue-session-sigs');
  const { NO_METRICS } = await import('../functions/commons/ports');
  const { scopedIssuer, bindScopeStorage, ScopeStorage } = await import('../functions/commons/session-storage');
  const { nativeEd25519Key, signEd25519Hex } = await import('../functions/commons/adapters/lit/native-ed25519');
  const { createDynamoAdapters } = await import('../functions/commons/adapters/dynamodb');

  const logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const world = await startIssuanceWorld({ callerPrefix: CALLER_PREFIX, rateLimitPerMinute: 1_000_000, logger, nodeCount: nodes });
  try {
    const { devnet, ddb, owner, pkp, config, client, ownerKey, delegation } = world;
    // As the IssueSessionSigs function composes them (composition.ts): with the environment's caches.
    const tables = createDynamoAdapters({ tableName: ddb.tableName, client: ddb.client, auditRetentionDays: 1, environmentCaches: true });
    const adapters = world.lit;
    const sdk = await lit.loadLitSdk();
    // Every DynamoDB request the adapters make, by operation.
    const dynamo = { total: 0, byOperation: {} as Record<string, number> };
    ddb.client.middlewareStack.add(
      (next, context) => async (args) => {
        dynamo.total++;
        const op = String(context.commandName ?? 'unknown').replace(/Command$/, '');
        dynamo.byOperation[op] = (dynamo.byOperation[op] ?? 0) + 1;
        return next(args);
      },
      { step: 'initialize', name: 'benchCountRequests' },
    );

    const resources = [{ kind: 'pkp' as const, id: '*', ability: 'pkp-signing' as const }];
    const body = { pkpPublicKey: pkp.publicKey, resourceAbilityRequests: [{ resource: { kind: 'pkp', id: '*' }, ability: 'pkp-signing' }] };
    // As the IssueSessionSigs function composes them: the scope and delegation reads of a repeat served from memory.
    const deps = { config, ...tables, issuer: scopedIssuer(adapters.issuer, tables.sessionScopes), ownerKey, metrics: NO_METRICS, logger };
    const rounds = () => devnet.controls.totalCounts().sign_session_key;
    const sdkRequest = async (c: typeof client) => ({
      pkpPublicKey: pkp.publicKey,
      authMethods: [await lit.ownerAuthMethod(sdk, c, owner, new Date(Date.now() + 60 * MINUTE).toISOString())],
      capabilityAuthSigs: [delegation.authSig],
      resourceAbilityRequests: lit.toLitResourceAbilityRequests(sdk, resources),
      expiration: new Date(Date.now() + 10 * MINUTE).toISOString(),
    });
    const issuerParams = () => ({
      pkpPublicKey: pkp.publicKey,
      resources,
      expiration: new Date(Date.now() + 10 * MINUTE),
      walletSigValidUntil: new Date(Date.now() + 60 * MINUTE),
      capabilityAuthSig: delegation.authSig,
      owner,
      deadlineMs: Date.now() + 29_000,
    });
    let requestNo = 0;
    const domain = (caller: string) =>
      issueSessionSigs(deps, { requestId: `bench-floor-${++requestNo}`, caller, readBody: () => body, deadlineMs: Date.now() + 29_000 });

    /** One measured call: wall time, node rounds and DynamoDB requests it made, and whether it went as expected. */
    const measure = async (c: Case, fn: () => Promise<boolean>) => {
      const r0 = rounds();
      const d0 = { total: dynamo.total, byOperation: { ...dynamo.byOperation } };
      const t0 = performance.now();
      const ok = await fn();
      c.samples.push(performance.now() - t0);
      c.nodeRounds += (rounds() - r0) / nodes;
      if (c.dynamo) {
        c.dynamo.total += dynamo.total - d0.total;
        for (const [op, k] of Object.entries(dynamo.byOperation)) {
          const delta = k - (d0.byOperation[op] ?? 0);
          if (delta) c.dynamo.byOperation[op] = (c.dynamo.byOperation[op] ?? 0) + delta;
        }
      }
      if (!ok) c.unexpected++;
    };

    const cases: Case[] = [];
    const notes: string[] = [];
    for (const latencyMs of opts.latenciesMs) {
      devnet.controls.setFaults('all', { latencyMs });
      const mk = (label: string, withDynamo = false): Case => {
        const c: Case = {
          label,
          nodes,
          latencyMs,
          samples: [],
          nodeRounds: 0,
          unexpected: 0,
          ...(withDynamo ? { dynamo: { total: 0, byOperation: {} } } : {}),
        };
        cases.push(c);
        return c;
      };
      const seed = mk('seed: fresh connect + getPkpSessionSigs (the guide)');
      const noCache = mk('long-lived client, no cache: a node round each');
      const first = mk('service, first request for a scope (domain)', true);
      const repeat = mk('service, repeat (domain + DynamoDB Local)', true);
      const litPart = mk('service, repeat: Lit part (issuer, scope in memory)');
      const sdkRepeat = mk('SDK repeat: getPkpSessionSigs, cached wallet sig (before)');
      const floor = mk('floor: native ed25519 of the per-node messages');

      const repeatCaller = `${CALLER_PREFIX}repeat-${nodes}-${latencyMs}`;
      const kept = new ScopeStorage();
      const sdkKept = new ScopeStorage();
      await domain(repeatCaller);
      await bindScopeStorage(kept, () => adapters.issuer.getPkpSessionSigs(issuerParams()));
      await bindScopeStorage(sdkKept, async () => client.getPkpSessionSigs(await sdkRequest(client)));
      // The floor's inputs: the per-node messages of a repeat, and the session key, as a native key.
      const sample = (await bindScopeStorage(kept, () => adapters.issuer.getPkpSessionSigs(issuerParams()))).sessionSigs as Record<
        string,
        { signedMessage: string }
      >;
      const messages = Object.values(sample).map((s) => s.signedMessage);
      const key = nativeEd25519Key((JSON.parse(kept.getItem('lit-session-key') as string) as { secretKey: string }).secretKey);
      if (!key) throw new Error('the session key has no native form');

      const fast = opts.iterations * 10;
      // Interleaved: load from other work lands on every case alike.
      for (let i = 0; i < fast; i++) {
        if (i < opts.iterations) {
          await measure(seed, async () => {
            const fresh = await lit.createLitNodeClient(config.lit);
            try {
              await fresh.connect();
              await bindScopeStorage(new ScopeStorage(), async () => fresh.getPkpSessionSigs(await sdkRequest(fresh)));
            } finally {
              await disconnectLitNodeClient(fresh as never);
            }
            return true;
          });
          await measure(noCache, async () => {
            const before = rounds();
            await bindScopeStorage(new ScopeStorage(), async () => client.getPkpSessionSigs(await sdkRequest(client)));
            return rounds() - before === nodes;
          });
          await measure(first, async () => (await domain(`${CALLER_PREFIX}first-${nodes}-${latencyMs}-${i}`)).walletSigSource === 'nodes');
        }
        await measure(repeat, async () => (await domain(repeatCaller)).walletSigSource === 'cache');
        await measure(litPart, async () => {
          const r = await bindScopeStorage(kept, () => adapters.issuer.getPkpSessionSigs(issuerParams()));
          return Object.keys(r.sessionSigs).length === nodes;
        });
        if (i < opts.iterations * 2)
          await measure(
            sdkRepeat,
            async () => Object.keys(await bindScopeStorage(sdkKept, async () => client.getPkpSessionSigs(await sdkRequest(client)))).length === nodes,
          );
        await measure(floor, async () => messages.map((m) => signEd25519Hex(key, m)).length === nodes);
      }
      for (const c of [repeat, litPart, sdkRepeat, floor]) if (c.nodeRounds > 0) c.unexpected += 1;
    }
    devnet.controls.setFaults('all', { latencyMs: 0 });
    return { cases, notes };
  } finally {
    await world.stop();
  }
}

interface Throughput {
  nodes: number;
  environments: number;
  concurrency: number;
  result: LoadResult;
}

async function overHttp(
  opts: RepeatFloorOptions,
  nodes: number,
  environments: number,
  withLatencyCases: boolean,
): Promise<{ cases: Case[]; throughput: Throughput[] }> {
  const { startLocalStack } = await import('../local/stack');
  const { CALLER_HEADER } = await import('../local/http-gateway');
  const { withBenchCaller } = await import('./local-stack');
  const stack = await startLocalStack({
    refreshEveryMs: 0,
    logLevel: 'WARN',
    onLog: () => undefined,
    maxEnvironmentsPerFunction: environments,
    devnet: { nodeCount: nodes, threshold: Math.min(2, nodes) },
    configure: withBenchCaller(CALLER_PREFIX),
  });
  try {
    const body = { pkpPublicKey: stack.pkp.publicKey, resourceAbilityRequests: [{ resource: { kind: 'pkp', id: '*' }, ability: 'pkp-signing' }] };
    const rounds = () => stack.devnet.controls.totalCounts().sign_session_key;
    const repeatCaller = `${CALLER_PREFIX}http-repeat`;
    const issue = async (caller: string) => {
      const t0 = performance.now();
      const r = await stack.request('POST', '/session-sigs', { caller, body });
      return { ms: performance.now() - t0, status: r.status, source: (r.body as { walletSigSource?: string })?.walletSigSource };
    };
    // Every environment warm (Lit connected, scope cached) before anything is measured.
    await Promise.all(Array.from({ length: environments }, () => issue(repeatCaller)));
    const cases: Case[] = [];
    if (withLatencyCases) {
      for (const latencyMs of opts.latenciesMs) {
        stack.devnet.controls.setFaults('all', { latencyMs });
        const first: Case = { label: 'HTTP (npm start): first request for a scope', nodes, latencyMs, samples: [], nodeRounds: 0, unexpected: 0 };
        const repeat: Case = { label: 'HTTP (npm start): repeat', nodes, latencyMs, samples: [], nodeRounds: 0, unexpected: 0 };
        for (let i = 0; i < opts.iterations * 10; i++) {
          for (const [c, caller, source] of [
            ...(i < opts.iterations ? [[first, `${CALLER_PREFIX}http-first-${latencyMs}-${i}`, 'nodes'] as const] : []),
            [repeat, repeatCaller, 'cache'] as const,
          ]) {
            const r0 = rounds();
            const r = await issue(caller);
            c.samples.push(r.ms);
            c.nodeRounds += (rounds() - r0) / nodes;
            if (r.status !== 200 || r.source !== source) c.unexpected++;
          }
        }
        cases.push(first, repeat);
      }
      stack.devnet.controls.setFaults('all', { latencyMs: 0 });
    }
    const throughput: Throughput[] = [];
    for (const concurrency of opts.httpConcurrency) {
      const result = await runLoad({
        url: `${stack.url}/session-sigs`,
        headers: { 'content-type': 'application/json', [CALLER_HEADER]: repeatCaller },
        body: JSON.stringify(body),
        concurrency,
        requests: Math.max(opts.throughputRequests, concurrency * 4),
      });
      throughput.push({ nodes, environments, concurrency, result });
    }
    return { cases, throughput };
  } finally {
    await stack.stop();
  }
}

export async function runRepeatFloor(opts: RepeatFloorOptions): Promise<SectionResult> {
  const { installOfflineGuard } = await import('../test/devnet/helpers/offline-guard');
  const guard = installOfflineGuard();
  const sdkWarnings = muteSdkStorageWarnings();
  try {
    const cases: Case[] = [];
    const throughput: Throughput[] = [];
    const notes: string[] = [];
    for (const nodes of opts.nodeCounts) {
      const run = await inProcess(opts, nodes);
      cases.push(...run.cases);
      notes.push(...run.notes);
    }
    for (const nodes of opts.nodeCounts) {
      for (const environments of opts.environments) {
        const r = await overHttp(opts, nodes, environments, environments === opts.environments[0]);
        cases.push(...r.cases);
        throughput.push(...r.throughput);
      }
    }

    const find = (label: string, nodes: number, latencyMs: number) =>
      cases.find((c) => c.label.startsWith(label) && c.nodes === nodes && c.latencyMs === latencyMs);
    const costRows: string[][] = [];
    for (const nodes of opts.nodeCounts) {
      for (const prefix of ['seed', 'long-lived', 'service, first', 'service, repeat (domain']) {
        const c = find(prefix, nodes, opts.latenciesMs[opts.latenciesMs.length - 1]);
        if (c)
          costRows.push([
            c.label,
            String(nodes),
            `+${c.latencyMs}`,
            fmtMs(p(c, 50)),
            `${Math.ceil(p(c, 50))} ms`,
            `$${lambdaCostPerMillion(p(c, 50)).toFixed(2)}`,
          ]);
      }
    }
    const targets: string[] = [];
    for (const nodes of opts.nodeCounts) {
      const latencyMs = opts.latenciesMs[opts.latenciesMs.length - 1];
      const seed = find('seed', nodes, latencyMs);
      const http = find('HTTP (npm start): repeat', nodes, latencyMs);
      const litPart = find('service, repeat: Lit part', nodes, latencyMs);
      const floor = find('floor', nodes, latencyMs);
      if (seed && http)
        targets.push(
          `${nodes} nodes, +${latencyMs} ms: HTTP repeat p50 ${fmtMs(p(http, 50))} vs seed p50 ${fmtMs(p(seed, 50))}: ${(p(seed, 50) / p(http, 50)).toFixed(0)}x lower (target ≥ 50x at 10 nodes, +50 ms).`,
        );
      if (litPart && floor)
        targets.push(
          `${nodes} nodes, +${latencyMs} ms: the Lit part of a repeat, p50 ${fmtMs(p(litPart, 50))} (target ≤ 3 ms at 10 nodes); the floor alone ${fmtMs(p(floor, 50))}.`,
        );
    }
    const best = throughput.reduce<Throughput | undefined>((a, t) => (!a || rps(t) > rps(a) ? t : a), undefined);
    if (best)
      targets.push(
        `Best HTTP repeat throughput: ${rps(best).toFixed(0)} req/s (${best.nodes} nodes, ${best.environments} environments, concurrency ${best.concurrency}); target ≥ 300 with 0 errors.`,
      );
    const unexpected = cases.reduce((a, c) => a + c.unexpected, 0);
    if (unexpected) notes.push(`UNEXPECTED: ${unexpected} requests did not take the expected path (last column).`);
    notes.push(
      'Node rounds count sign_session_key requests divided by the node count. DynamoDB requests are counted on the in-process client; over HTTP the functions run the same domain code.',
      `Cost: Lambda arm64 at ${FUNCTION_MEMORY_MB} MB, billed ceil(p50) ms, $${LAMBDA_PRICES.arm64PerGbSecondUsd} per GB-s + $${LAMBDA_PRICES.requestsPerMillionUsd} per million requests (${LAMBDA_PRICES.region} list prices); durations are this machine's, where 1024 MB on Lambda is about 0.6 vCPU: CPU-bound parts run slower there. API Gateway and DynamoDB are not included.`,
    );
    if (guard.blocked.length) notes.push(`NON-LOOPBACK network attempts blocked: ${guard.blocked.length}`);
    // The run's own load is ~2 busy cores; more than that at the end means other work shared them.
    notes.push(`Load average (1 min) at the end of this section: ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} cores.`);

    const tables: Table[] = [
      { title: 'latency per issuance', columns: CASE_COLUMNS, rows: cases.map(caseRow) },
      {
        title: "HTTP repeat throughput through npm start's stack (closed loop, load generator in a worker thread)",
        columns: ['nodes', 'environments (--concurrency)', 'concurrency', 'requests', 'req/s', 'p50', 'p95', 'p99', 'statuses', 'not cache'],
        rows: throughput.map((t) => [
          String(t.nodes),
          String(t.environments),
          String(t.concurrency),
          String(t.result.latenciesMs.length),
          rps(t).toFixed(0),
          fmtMs(percentile(t.result.latenciesMs, 50)),
          fmtMs(percentile(t.result.latenciesMs, 95)),
          fmtMs(percentile(t.result.latenciesMs, 99)),
          JSON.stringify(t.result.statuses),
          String(t.result.notCache),
        ]),
      },
      {
        title: `estimated Lambda cost per million issuances (arm64, ${FUNCTION_MEMORY_MB} MB, prices in the notes)`,
        columns: ['case', 'nodes', 'latency ms', 'p50 here', 'billed', 'per million'],
        rows: costRows,
      },
    ];
    return {
      id: ID,
      title: TITLE,
      tables,
      notes: [...targets, ...notes],
      data: {
        options: opts,
        prices: { ...LAMBDA_PRICES, memoryMb: FUNCTION_MEMORY_MB },
        cases: cases.map(caseData),
        throughput: throughput.map((t) => ({
          nodes: t.nodes,
          environments: t.environments,
          concurrency: t.concurrency,
          requests: t.result.latenciesMs.length,
          requestsPerSecond: round1(rps(t)),
          p50: round1(percentile(t.result.latenciesMs, 50)),
          p95: round1(percentile(t.result.latenciesMs, 95)),
          p99: round1(percentile(t.result.latenciesMs, 99)),
          statuses: t.result.statuses,
          notCache: t.result.notCache,
        })),
        costPerMillion: costRows,
        medians: Object.fromEntries(cases.map((c) => [`${c.label} | ${c.nodes} | +${c.latencyMs}`, round1(median(c.samples))])),
      },
    };
  } finally {
    sdkWarnings.restore();
    guard.restore();
  }
}

function rps(t: Throughput): number {
  return t.result.latenciesMs.length / (t.result.wallMs / 1000);
}
