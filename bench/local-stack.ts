/**
 * Section 5: the local stack (`npm start`, local/stack.ts) as a user meets it.
 *
 * - Start: time to ready of `startLocalStack()` with fresh state and the bundle cache warm; a cold
 *   bundle build into a temp dir (the stack always uses the shared cache, which other work relies
 *   on, so it is not wiped: the cold start is estimated from the warm one's parallel phase); the
 *   first start on a `dataDir` vs a restart on it (no bootstrap: no capacity mint, no PKP mint);
 *   and the per-part breakdown `onProgress` reports for each start.
 * - HTTP issuance through the gateway (POST /session-sigs on 127.0.0.1, worker-thread function):
 *   a node round (a new caller each time: the session scope is pkp + caller + auth identity, so a
 *   new caller has no wallet sig) vs a cache hit (one caller again and again), and GET /delegation
 *   (one DynamoDB read behind the same gateway and worker hop) as the floor of gateway + worker cost.
 * - Throughput: 50 concurrent cache-hit issuances, wall time and requests/s.
 * - Stop: `stack.stop()` time and that every port the stack used refuses connections after.
 *
 * Every issuance is checked (status 200, reported wallet-sig source, node requests made):
 * mismatches are counted and reported, never hidden. Every stack is stopped, whatever happens.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LocalStack, LocalStackOptions, ProgressEvent, StackPart } from '../local/stack';
import { portOf, stillListening } from './ports';
import type { SectionResult, Table } from './section';
import { fmtMs, fmtRatio, median, percentile, round1, summarize, timed } from './stats';

const ID = 'local-stack';
const TITLE = 'Local stack (npm start): start, HTTP issuance, throughput, stop';
/** Callers matched by the bench policy entry: one per miss, one for every hit. */
const BENCH_CALLER_PREFIX = 'arn:aws:iam::000000000000:user/bench-';
const CONCURRENT = 50;
/** The parts that start together (local/stack.ts: bundle, DynamoDB Local and the devnet in parallel). */
const PARALLEL_PARTS: StackPart[] = ['bundle', 'dynamodb', 'devnet'];
const PART_ORDER: StackPart[] = ['data-dir', 'bundle', 'dynamodb', 'devnet', 'secrets', 'capacity', 'pkp', 'config', 'delegation', 'functions', 'http'];

export interface LocalStackBenchOptions {
  /** Iterations per issuance case (miss, hit, floor). */
  iterations: number;
}

interface StartSample {
  label: string;
  ms: number;
  /** ms per part, from the 'done' progress events. */
  parts: Partial<Record<StackPart, number>>;
  /** The bundle part's own message ('unchanged, reused' / 'built'). */
  bundle?: string;
}

interface StopSample {
  label: string;
  ms: number;
  ports: number[];
  leftOpen: number[];
}

interface Case {
  label: string;
  samples: number[];
  nodeRequests: number[];
  /** Requests that did not answer as expected (status, source or node requests). */
  unexpected: number;
}

/** Every port a running stack listens on: gateway, DynamoDB Local, Secrets Manager stand-in, devnet. */
function stackPorts(stack: LocalStack): number[] {
  const d = stack.devnet;
  return [
    ...new Set([
      stack.port,
      portOf(stack.dynamodb.endpoint),
      portOf(stack.secrets.endpoint),
      portOf(d.chain.rpcUrl),
      portOf(d.blockhashUrl),
      ...d.nodes.map((n) => n.port),
    ]),
  ];
}

/** Starts a stack, timing it and collecting the per-part breakdown. */
async function timedStart(
  start: (o: LocalStackOptions) => Promise<LocalStack>,
  label: string,
  options: LocalStackOptions,
): Promise<{ stack: LocalStack; sample: StartSample }> {
  const parts: StartSample['parts'] = {};
  let bundle: string | undefined;
  const onProgress = (p: ProgressEvent) => {
    if (p.phase !== 'done' || p.ms === undefined) return;
    parts[p.part] = p.ms;
    if (p.part === 'bundle') bundle = p.message;
  };
  const r = await timed(() => start({ ...options, onProgress }));
  return { stack: r.value, sample: { label, ms: r.ms, parts, bundle } };
}

async function timedStop(stack: LocalStack, label: string): Promise<StopSample> {
  const ports = stackPorts(stack);
  const r = await timed(() => stack.stop());
  return { label, ms: r.ms, ports, leftOpen: await stillListening(ports) };
}

/** Total of the node request counters of the devnet (all endpoints, all nodes). */
function nodeRequests(stack: LocalStack): number {
  return Object.values(stack.devnet.controls.totalCounts() as unknown as Record<string, number>).reduce((a, b) => a + b, 0);
}

function caseRow(c: Case, reference: number): string[] {
  return [
    c.label,
    String(c.samples.length),
    fmtMs(median(c.samples)),
    fmtMs(percentile(c.samples, 95)),
    fmtMs(Math.max(...c.samples)),
    c.nodeRequests.length ? String(median(c.nodeRequests)) : '-',
    fmtRatio(median(c.samples) / reference),
    String(c.unexpected),
  ];
}

/** The recorded baseline's direct (in-process domain) cache-hit median, if baseline.md has one. */
function recordedDomainHitMs(): number | undefined {
  try {
    const text = fs.readFileSync(path.join(__dirname, 'results', 'baseline.md'), 'utf8');
    const m = /\| domain: hit \(repeat issuance, cached wallet sig\) \| ([\d.]+) (ms|s) \|/.exec(text);
    if (!m) return undefined;
    return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
  } catch {
    return undefined;
  }
}

/** The stack's config plus one policy entry for `prefix*`: pkp-signing on every PKP, no practical rate limit. */
export function withBenchCaller(prefix: string): NonNullable<LocalStackOptions['configure']> {
  return (config, ctx) => ({
    ...config,
    policy: {
      callers: [
        ...config.policy.callers,
        {
          principal: `${prefix}*`,
          pkps: ctx.pkps.map((p) => p.publicKey),
          abilities: [{ resource: 'pkp', ability: 'pkp-signing' }],
          allowWildcardResources: true,
          allowCallerAuthMethods: false,
          maxExpirationSeconds: 86_400,
          overMaxExpiration: 'refuse',
          rateLimitPerMinute: 1_000_000,
          admin: false,
        },
      ],
    },
  });
}

export async function runLocalStack(options: LocalStackBenchOptions): Promise<SectionResult> {
  const { startLocalStack } = await import('../local/stack');
  const { bundleFunctions } = await import('../local/bundle');
  const { ALL_FUNCTIONS } = await import('../lib/routes');
  const { installOfflineGuard } = await import('../test/devnet/helpers/offline-guard');

  const guard = installOfflineGuard();
  const running = new Set<LocalStack>();
  const tmpDirs: string[] = [];
  let logLines = 0;
  const base: LocalStackOptions = {
    refreshEveryMs: 0, // no scheduled refresh mid-measurement
    logLevel: 'WARN',
    onLog: () => void logLines++,
    configure: withBenchCaller(BENCH_CALLER_PREFIX),
  };
  const start = async (label: string, o: LocalStackOptions) => {
    const s = await timedStart(startLocalStack, label, o);
    running.add(s.stack);
    return s;
  };
  const stop = async (stack: LocalStack, label: string) => {
    running.delete(stack);
    return timedStop(stack, label);
  };

  try {
    // Bundles: make sure the shared cache is current (a no-op when it is), then a cold build into a temp dir.
    const warmCheck = await bundleFunctions(ALL_FUNCTIONS);
    const coldDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-bundles-'));
    tmpDirs.push(coldDir);
    const cold = await timed(() => bundleFunctions(ALL_FUNCTIONS, coldDir));
    const warm = await timed(() => bundleFunctions(ALL_FUNCTIONS));
    fs.rmSync(coldDir, { recursive: true, force: true });

    // Fresh state, warm bundle cache, twice: the first start in this process also pays module loading
    // and JIT warm-up (what `npm start` pays each time); the second serves the HTTP measurements.
    const firstInProcess = await start('fresh state, first start in this process', base);
    const stops: StopSample[] = [await stop(firstInProcess.stack, 'fresh state, first in process')];
    const fresh = await start('fresh state, bundle cache warm', base);
    const stack = fresh.stack;
    const pkpPublicKey = stack.pkp.publicKey;
    const body = { pkpPublicKey, resourceAbilityRequests: [{ resource: { kind: 'pkp', id: '*' }, ability: 'pkp-signing' }] };

    const issue = async (caller: string) => {
      const before = nodeRequests(stack);
      const r = await timed(() => stack.request('POST', '/session-sigs', { caller, body }));
      return {
        ms: r.ms,
        status: r.value.status,
        source: (r.value.body as { walletSigSource?: string })?.walletSigSource,
        requests: nodeRequests(stack) - before,
      };
    };
    const n = options.iterations;
    const miss: Case = { label: 'POST /session-sigs: node round (new caller = new scope)', samples: [], nodeRequests: [], unexpected: 0 };
    const hit: Case = { label: 'POST /session-sigs: cache hit (same caller)', samples: [], nodeRequests: [], unexpected: 0 };
    const floor: Case = { label: 'GET /delegation (gateway + worker + 1 DynamoDB read)', samples: [], nodeRequests: [], unexpected: 0 };
    const hitCaller = `${BENCH_CALLER_PREFIX}hit`;
    const first = await issue(hitCaller); // fills the hit scope (and warms the path)
    if (first.status !== 200) throw new Error(`POST /session-sigs answered ${first.status} on the first request`);
    // Interleaved, so load from other work lands on every case alike.
    for (let i = 0; i < n; i++) {
      const m = await issue(`${BENCH_CALLER_PREFIX}miss-${i}`);
      miss.samples.push(m.ms);
      miss.nodeRequests.push(m.requests);
      if (m.status !== 200 || m.source !== 'nodes' || m.requests === 0) miss.unexpected++;
      const h = await issue(hitCaller);
      hit.samples.push(h.ms);
      hit.nodeRequests.push(h.requests);
      if (h.status !== 200 || h.source !== 'cache' || h.requests !== 0) hit.unexpected++;
      const f = await timed(() => stack.request('GET', '/delegation', { caller: hitCaller }));
      floor.samples.push(f.ms);
      if (f.value.status !== 200) floor.unexpected++;
    }

    // Throughput: CONCURRENT cache hits at once.
    const before = nodeRequests(stack);
    const burst = await timed(() => Promise.all(Array.from({ length: CONCURRENT }, () => issue(hitCaller))));
    const burstRequests = nodeRequests(stack) - before;
    const burstBad = burst.value.filter((r) => r.status !== 200 || r.source !== 'cache').length;
    const burstStatuses = [...new Set(burst.value.map((r) => r.status))].sort().join(',');
    const burstLatencies = burst.value.map((r) => r.ms);

    stops.push(await stop(stack, 'fresh state (temp dir removed)'));

    // Persistent data dir: first start (bootstrap) vs restart on the same dir.
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-local-stack-'));
    tmpDirs.push(dataDir);
    const firstOnDir = await start('dataDir: first start (bootstrap)', { ...base, dataDir });
    stops.push(await stop(firstOnDir.stack, 'dataDir: after first start'));
    const restart = await start('dataDir: restart (same dir)', { ...base, dataDir });
    const restartCheck = await restart.stack.request('POST', '/session-sigs', {
      caller: hitCaller,
      body: { ...body, pkpPublicKey: restart.stack.pkp.publicKey },
    });
    stops.push(await stop(restart.stack, 'dataDir: after restart'));
    const restartSamePkp = restart.stack.pkp.publicKey === firstOnDir.stack.pkp.publicKey;

    // ---- tables ----
    const starts = [firstInProcess.sample, fresh.sample, firstOnDir.sample, restart.sample];
    const parallelPhase = (s: StartSample, bundleMs = s.parts.bundle ?? 0) =>
      Math.max(bundleMs, ...PARALLEL_PARTS.filter((p) => p !== 'bundle').map((p) => s.parts[p] ?? 0));
    const coldEstimate = fresh.sample.ms - parallelPhase(fresh.sample) + parallelPhase(fresh.sample, cold.ms);
    const startTable: Table = {
      title: 'time to ready of startLocalStack()',
      columns: ['start', 'time to ready', 'vs fresh (warm cache)', 'bundle part'],
      rows: [
        ...starts.map((s) => [s.label, fmtMs(s.ms), fmtRatio(s.ms / fresh.sample.ms), `${fmtMs(s.parts.bundle ?? NaN)} (${s.bundle ?? '?'})`]),
        [
          'fresh state, bundle cache cold (estimate: cold build in the parallel phase)',
          `~${fmtMs(coldEstimate)}`,
          fmtRatio(coldEstimate / fresh.sample.ms),
          fmtMs(cold.ms),
        ],
      ],
    };
    const bundleTable: Table = {
      title: 'bundleFunctions(ALL_FUNCTIONS) alone',
      columns: ['case', 'time', 'cached'],
      rows: [
        ['cold: build into an empty temp dir', fmtMs(cold.ms), String(cold.value.cached)],
        ['warm: shared cache, inputs unchanged (size+mtime check)', fmtMs(warm.ms), String(warm.value.cached)],
      ],
    };
    const usedParts = PART_ORDER.filter((p) => starts.some((s) => s.parts[p] !== undefined));
    const partsTable: Table = {
      title: 'per-part breakdown from onProgress (ms per part; bundle, dynamodb and devnet run in parallel)',
      columns: ['part', ...starts.map((s) => s.label)],
      rows: usedParts.map((p) => [p, ...starts.map((s) => (s.parts[p] === undefined ? '-' : fmtMs(s.parts[p] as number)))]),
    };
    const hitMs = median(hit.samples);
    const issuanceTable: Table = {
      title: `HTTP through the gateway on 127.0.0.1; ${n} iterations each, interleaved`,
      columns: ['case', 'n', 'median', 'p95', 'max', 'node requests / request', 'vs hit', 'unexpected'],
      rows: [caseRow(miss, hitMs), caseRow(hit, hitMs), caseRow(floor, hitMs)],
    };
    const sequentialEstimate = hitMs * CONCURRENT;
    const throughputTable: Table = {
      title: `${CONCURRENT} concurrent cache-hit issuances (one caller; IssueSessionSigs scales out to 2 environments, the rest queue)`,
      columns: [
        'wall',
        'requests/s',
        'latency min',
        'latency median',
        'latency p95',
        'vs sequential (n × hit median)',
        'statuses',
        'not 200 + cache',
        'node requests',
      ],
      rows: [
        [
          fmtMs(burst.ms),
          (CONCURRENT / (burst.ms / 1000)).toFixed(1),
          fmtMs(Math.min(...burstLatencies)),
          fmtMs(median(burstLatencies)),
          fmtMs(percentile(burstLatencies, 95)),
          fmtRatio(burst.ms / sequentialEstimate),
          burstStatuses,
          String(burstBad),
          String(burstRequests),
        ],
      ],
    };
    const leaks = stops.flatMap((s) => s.leftOpen);
    const stopTable: Table = {
      title: 'stack.stop()',
      columns: ['after', 'stop', 'ports', 'ports open after stop'],
      rows: stops.map((s) => [s.label, fmtMs(s.ms), String(s.ports.length), s.leftOpen.length ? `LEFT OPEN: ${s.leftOpen.join(',')}` : 'none']),
    };

    const domainHit = recordedDomainHitMs();
    const floorMs = median(floor.samples);
    const notes = [
      `A restart on a data dir is ${fmtRatio(firstOnDir.sample.ms / restart.sample.ms)} faster than the first start on it (${fmtMs(firstOnDir.sample.ms)} → ${fmtMs(restart.sample.ms)}): no capacity mint, no PKP mint; ` +
        `it served ${restartSamePkp ? 'the same PKP' : 'A DIFFERENT PKP'} and its first issuance answered ${restartCheck.status}.`,
      `Cold bundle build ${fmtMs(cold.ms)} vs warm cache check ${fmtMs(warm.ms)} (${fmtRatio(cold.ms / warm.ms)}); the shared cache was ${warmCheck.cached ? 'already current' : 'rebuilt'} before the run. ` +
        'The cold row estimates a start as the warm one with the cold build in place of the bundle part in the parallel phase (bundle ‖ DynamoDB Local ‖ devnet); the build competes with them for 2 cores, so the real figure is higher.',
      `A node round over HTTP costs ${fmtRatio(median(miss.samples) / hitMs)} a cache hit (${fmtMs(median(miss.samples))} vs ${fmtMs(hitMs)}); GET /delegation, ${fmtMs(floorMs)}, is the floor of what the gateway + worker hop + one DynamoDB read cost.`,
      domainHit !== undefined
        ? `The recorded baseline's in-process domain hit (issuance section, another run) is ${fmtMs(domainHit)}: HTTP + worker add ~${fmtMs(hitMs - domainHit)} (${fmtRatio(hitMs / domainHit)}) to a hit here, indicative only (different run, different load; the functions here also run the bundled code in a worker thread).`
        : 'No recorded domain-hit figure in baseline.md to compare with (run the issuance section).',
      `${CONCURRENT} concurrent hits took ${fmtMs(burst.ms)} (${(CONCURRENT / (burst.ms / 1000)).toFixed(1)} req/s) vs ~${fmtMs(sequentialEstimate)} one by one (${fmtRatio(burst.ms / sequentialEstimate)}): each environment runs one at a time, ` +
        `as on Lambda, and the function scales out to 2 environments (one more cold start, its Lit handshake counted in node requests) on 2 cores; the rest wait in the queue, so the first answer came after ${fmtMs(Math.min(...burstLatencies))} (a Lambda fleet would add environments instead).`,
      `The first start in this process (which also loads the modules and warms the JIT, as every \`npm start\` does) took ${fmtMs(firstInProcess.sample.ms)} vs ${fmtMs(fresh.sample.ms)} for the next fresh start (${fmtRatio(firstInProcess.sample.ms / fresh.sample.ms)}). ` +
        'Each start is one sample: on a loaded machine (load average at the top) starts vary by several seconds, so compare parts within a column before columns.',
      leaks.length === 0 ? 'Every port was released after every stop().' : `PORTS LEFT LISTENING after stop(): ${leaks.join(', ')}`,
      `${logLines} function/part log lines at WARN were dropped (the SDK's "Storage key … is missing" warning is two lines per node round).`,
    ];
    const unexpected = miss.unexpected + hit.unexpected + floor.unexpected + burstBad;
    if (unexpected > 0)
      notes.push(`UNEXPECTED: ${unexpected} requests did not answer as expected (status, wallet-sig source or node requests; see the tables).`);
    if (guard.blocked.length > 0) notes.push(`NON-LOOPBACK network attempts blocked in the main thread: ${guard.blocked.length}`);

    return {
      id: ID,
      title: TITLE,
      tables: [startTable, partsTable, bundleTable, issuanceTable, throughputTable, stopTable],
      notes,
      data: {
        iterations: n,
        starts: starts.map((s) => ({ label: s.label, ms: round1(s.ms), parts: s.parts, bundle: s.bundle })),
        coldStartEstimateMs: round1(coldEstimate),
        bundle: { coldMs: round1(cold.ms), warmMs: round1(warm.ms), cacheWasCurrent: warmCheck.cached },
        http: {
          miss: { ms: summarize(miss.samples), nodeRequestsMedian: median(miss.nodeRequests), unexpected: miss.unexpected },
          hit: { ms: summarize(hit.samples), nodeRequestsMedian: median(hit.nodeRequests), unexpected: hit.unexpected },
          getDelegation: { ms: summarize(floor.samples), unexpected: floor.unexpected },
          recordedDomainHitMs: domainHit,
        },
        throughput: {
          concurrent: CONCURRENT,
          wallMs: round1(burst.ms),
          requestsPerSecond: round1(CONCURRENT / (burst.ms / 1000)),
          latency: summarize(burstLatencies),
          bad: burstBad,
          nodeRequests: burstRequests,
        },
        stops: stops.map((s) => ({ label: s.label, ms: round1(s.ms), ports: s.ports.length, leftOpen: s.leftOpen })),
        restart: { samePkp: restartSamePkp, firstIssuanceStatus: restartCheck.status },
        blockedNetworkAttempts: guard.blocked.length,
      },
    };
  } finally {
    await Promise.allSettled([...running].map((s) => s.stop()));
    for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
    guard.restore();
  }
}
