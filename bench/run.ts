/**
 * Benchmark runner: `npm run bench [-- options]`. Runs each section in turn, prints its tables,
 * writes bench/results/latest.json (gitignored) and, with --record, bench/results/baseline.md
 * (committed). Speed and size live here as numbers and ratios; tests never assert them.
 *
 *   --only=devnet-start,bundle-size   run some sections only
 *   --iterations=20                   issuance iterations per case
 *   --latency=50                      per-node added latency (ms) for the second issuance pass; 0 skips it
 *   --record                          also write baseline.md (with --only: baseline-<ids>.md, so a
 *                                     partial run never replaces the whole run's record)
 *   --quick                           a short smoke run (repeat-floor: 3 nodes, +0 ms, 2 iterations)
 *   --out=path.json                   write the JSON there instead of bench/results/latest.json
 *
 * Bounded: fixed loop counts, every server on 127.0.0.1 and stopped by its section, and a time
 * cap per section so a hung part cannot hold the run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeError, skipped, type Section, type SectionResult, type Table } from './section';

const ROOT = path.resolve(__dirname, '..');
const RESULTS_DIR = path.join(__dirname, 'results');
const SECTION_CAP_MS = 150_000;

interface Options {
  only?: Set<string>;
  iterations: number;
  latencyMs: number;
  record: boolean;
  quick: boolean;
  out?: string;
}

const USAGE = 'usage: npm run bench -- [--only=id,id] [--iterations=N] [--latency=MS] [--record] [--quick] [--out=file.json]';

export function parseArgs(argv: readonly string[]): Options {
  const opts: Options = { iterations: 20, latencyMs: 50, record: false, quick: false };
  for (const arg of argv) {
    const [key, value] = arg.split('=', 2) as [string, string | undefined];
    const int = (min: number, maxValue: number): number => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < min || n > maxValue) throw new Error(`${key} must be an integer ${min}..${maxValue}\n${USAGE}`);
      return n;
    };
    if (key === '--record') opts.record = true;
    else if (key === '--quick') opts.quick = true;
    else if (key === '--out' && value) opts.out = path.resolve(value);
    else if (key === '--only' && value) opts.only = new Set(value.split(',').map((s) => s.trim()));
    else if (key === '--iterations') opts.iterations = int(1, 200);
    else if (key === '--latency') opts.latencyMs = int(0, 2000);
    else if (key === '--help' || key === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  return opts;
}

/** Files a section needs, relative to the repository root: if one is missing it is skipped, not failed. */
function missing(files: string[]): string | undefined {
  const absent = files.filter((f) => !fs.existsSync(path.join(ROOT, f)));
  return absent.length ? `missing ${absent.join(', ')}` : undefined;
}

function hasCommand(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

/** A section as the runner knows it: what it needs, and optionally a longer cap than SECTION_CAP_MS. */
type RunnableSection = Section & { requires: () => string | undefined; capMs?: number };

function sections(opts: Options): RunnableSection[] {
  const DEVNET = ['devnet/index.ts', 'devnet/chain/index.ts'];
  const DDB = ['local/dynamodb-local.ts'];
  const java = () => (hasCommand('java', ['-version']) ? undefined : 'no `java` on PATH (DynamoDB Local needs Java 17+)');
  return [
    {
      id: 'devnet-start',
      title: 'Devnet start / stop',
      requires: () => missing(DEVNET),
      run: async () => (await import('./devnet-start')).runDevnetStart(),
    },
    {
      id: 'dynamodb-start',
      title: 'DynamoDB Local start / stop',
      requires: () => missing(DDB) ?? java(),
      run: async () => (await import('./dynamodb-start')).runDynamoDbStart(),
    },
    {
      id: 'bundle-size',
      title: 'Bundle size and cold-start import cost per function',
      requires: () => missing(['lib/routes.ts', 'lib/service-function.ts']),
      run: async () => (await import('./bundle-size')).runBundleSize(),
    },
    {
      id: 'issuance',
      title: 'Issuance latency through the domain',
      requires: () =>
        missing([
          ...DEVNET,
          ...DDB,
          'devnet/fixtures.ts',
          'test/devnet/helpers/offline-guard.ts',
          'functions/commons/domain/issue-session-sigs.ts',
          'functions/commons/domain/delegation-refresher.ts',
          'functions/commons/adapters/lit/index.ts',
          'functions/commons/adapters/dynamodb/index.ts',
          'functions/commons/session-storage/index.ts',
        ]) ?? java(),
      run: async () => (await import('./issuance')).runIssuance({ iterations: opts.iterations, latencyMs: opts.latencyMs }),
    },
    {
      id: 'local-stack',
      title: 'Local stack (npm start): start, HTTP issuance, throughput, stop',
      requires: () =>
        missing([
          ...DEVNET,
          ...DDB,
          'devnet/fixtures.ts',
          'local/stack.ts',
          'local/bundle.ts',
          'local/function-host.ts',
          'local/http-gateway.ts',
          'test/devnet/helpers/offline-guard.ts',
        ]) ?? java(),
      // Four stack starts and a 50-request burst: ~1.5–2.5 min on 2 shared cores.
      capMs: 210_000,
      run: async () => (await import('./local-stack')).runLocalStack({ iterations: opts.iterations }),
    },
    {
      id: 'scale-model',
      title: 'Capacity model: 10,000 issuances/s on Lambda and DynamoDB',
      requires: () => missing(['functions/commons/domain/issue-session-sigs.ts', 'functions/commons/adapters/dynamodb/index.ts', 'bench/results/baseline.md']),
      // 600,000 simulated issuances through the real domain: about 2.5 min on 2 shared cores.
      capMs: 420_000,
      run: async () => (await import('./scale-model')).runScaleModel(),
    },
    {
      id: 'repeat-floor',
      title: 'Repeat issuance at the floor vs the guide pattern',
      requires: () =>
        missing([
          ...DEVNET,
          ...DDB,
          'devnet/fixtures.ts',
          'local/stack.ts',
          'functions/commons/adapters/lit/stored-wallet-sig-signer.ts',
          'test/devnet/helpers/offline-guard.ts',
        ]) ?? java(),
      // 2 node counts x 2 latencies in process, then 4 stack starts: ~5-8 min on 2 shared cores.
      capMs: 900_000,
      run: async () => {
        const { runRepeatFloor, FULL, QUICK } = await import('./repeat-floor');
        return runRepeatFloor(opts.quick ? QUICK : { ...FULL, iterations: opts.iterations, latenciesMs: opts.latencyMs > 0 ? [0, opts.latencyMs] : [0] });
      },
    },
  ];
}

function isModuleNotFound(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND';
}

export async function runSection(section: RunnableSection): Promise<SectionResult> {
  const why = section.requires();
  if (why) return skipped(section.id, section.title, why);
  let timer: NodeJS.Timeout | undefined;
  const capMs = section.capMs ?? SECTION_CAP_MS;
  const cap = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${capMs / 1000} s`)), capMs);
  });
  try {
    return await Promise.race([section.run(), cap]);
  } catch (e) {
    if (isModuleNotFound(e)) return skipped(section.id, section.title, `a module it needs could not be loaded: ${describeError(e)}`);
    return { id: section.id, title: section.title, failed: describeError(e), tables: [], notes: [], data: {} };
  } finally {
    clearTimeout(timer);
  }
}

/** Plain-text table with padded columns. */
export function formatTable(t: Table): string {
  const widths = t.columns.map((c, i) => Math.max(c.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (c ?? '').padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(t.columns), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line)].join('\n');
}

function markdownTable(t: Table): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [`| ${t.columns.map(esc).join(' | ')} |`, `| ${t.columns.map(() => '---').join(' | ')} |`, ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join(
    '\n',
  );
}

function printSection(r: SectionResult): void {
  console.log(`\n== ${r.title} [${r.id}] ==`);
  if (r.skipped) return console.log(`SKIPPED: ${r.skipped}`);
  if (r.failed) return console.log(`FAILED: ${r.failed}`);
  for (const t of r.tables) {
    if (t.title) console.log(`-- ${t.title}`);
    console.log(formatTable(t));
  }
  for (const n of r.notes) console.log(`* ${n}`);
}

interface Machine {
  nproc: number;
  cpu: string;
  memoryGb: number;
  node: string;
  platform: string;
  date: string;
  /** 1-minute load average when the run started: other work on the machine makes every number noisier. */
  loadAverage1m: number;
}

function machine(): Machine {
  let nproc = os.cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || nproc;
  } catch {
    // nproc absent: the CPU count node sees
  }
  return {
    nproc,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 1e9),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
    loadAverage1m: Math.round(os.loadavg()[0] * 100) / 100,
  };
}

function baselineMarkdown(m: Machine, opts: Options, results: SectionResult[], totalMs: number): string {
  const out = [
    '# Benchmark baseline',
    '',
    `Written by \`npm run bench -- --record${opts.only ? ` --only=${[...opts.only].join(',')}` : ''}\` (bench/run.ts). Numbers from one run on the machine below; compare`,
    'ratios rather than absolute times across machines. Speed is measured here, never asserted in tests.',
    '',
    `- date: ${m.date}`,
    `- nproc: ${m.nproc} (${m.cpu}), memory ${m.memoryGb} GB, load average ${m.loadAverage1m} at start`,
    `- node: ${m.node}, ${m.platform}`,
    `- options: iterations=${opts.iterations}, latency=${opts.latencyMs} ms${opts.only ? `, only=${[...opts.only].join(',')}` : ''}`,
    `- whole run: ${(totalMs / 1000).toFixed(1)} s`,
  ];
  for (const r of results) {
    out.push('', `## ${r.title}`, '');
    if (r.skipped) out.push(`Skipped: ${r.skipped}`);
    else if (r.failed) out.push(`Failed: ${r.failed}`);
    for (const t of r.tables) {
      if (t.title) out.push(`${t.title}:`, '');
      out.push(markdownTable(t), '');
    }
    for (const n of r.notes) out.push(`- ${n}`);
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n') + '\n';
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const all = sections(opts);
  if (opts.only) {
    const unknown = [...opts.only].filter((id) => !all.some((s) => s.id === id));
    if (unknown.length) throw new Error(`unknown section(s) ${unknown.join(', ')}; known: ${all.map((s) => s.id).join(', ')}`);
  }
  const m = machine();
  console.log(`lit-session-service benchmarks: nproc ${m.nproc}, node ${m.node}, load ${m.loadAverage1m}, ${m.date}`);
  const started = performance.now();
  const results: SectionResult[] = [];
  for (const section of all.filter((s) => !opts.only || opts.only.has(s.id))) {
    const t0 = performance.now();
    const r = await runSection(section);
    r.data.sectionMs = Math.round(performance.now() - t0);
    results.push(r);
    printSection(r);
  }
  const totalMs = performance.now() - started;
  console.log(`\nwhole run: ${(totalMs / 1000).toFixed(1)} s`);

  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const latest = opts.out ?? path.join(RESULTS_DIR, 'latest.json');
  fs.writeFileSync(latest, JSON.stringify({ machine: m, options: { ...opts, only: opts.only && [...opts.only] }, totalMs, sections: results }, null, 2) + '\n');
  console.log(`wrote ${path.relative(ROOT, latest)}`);
  if (opts.record) {
    const baseline = path.join(RESULTS_DIR, opts.only ? `baseline-${[...opts.only].sort().join('-')}.md` : 'baseline.md');
    fs.writeFileSync(baseline, baselineMarkdown(m, opts, results, totalMs));
    console.log(`wrote ${path.relative(ROOT, baseline)}`);
  }
  return results.some((r) => r.failed) ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code), // the SDK's timers must not hold the process
    (e: unknown) => {
      console.error(describeError(e));
      process.exit(2);
    },
  );
}
