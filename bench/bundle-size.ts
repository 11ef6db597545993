/**
 * Section 3: bundle size and cold-start import cost per function. Each entry of the route table
 * is bundled with esbuild the way `NodejsFunction` does for this project (lib/function-defaults.ts'
 * ESBUILD_OPTIONS, no externals, default main fields), then a fresh `node` process
 * `require()`s it. The import cost is that process's wall time minus an empty file's, the part
 * of a Lambda cold start the code itself adds. Run once plain and once with
 * `NODE_OPTIONS=--enable-source-maps`, which every function of the stack sets.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { SectionResult } from './section';
import { fmtBytes, fmtMs, fmtRatio, median, summarize } from './stats';

const IMPORT_RUNS = 5;
/** Fewer runs with --enable-source-maps (and none for the what-if rows): it only shows the flag's extra cost. */
const SOURCE_MAP_RUNS = 3;
/** The reference row: the Lit SDK required eagerly, bundled the same way. */
const REFERENCE_ID = '(ref) Lit SDK eager';

interface BundleTarget {
  id: string;
  needsLit: boolean;
  /** Not a deployed shape: the Lit SDK left out of the bundle, for comparison. */
  whatIf?: boolean;
  entry: { entryPoints: string[] } | { stdin: { contents: string; resolveDir: string; sourcefile: string } };
}
const PROJECT_ROOT = path.resolve(__dirname, '..');

interface FunctionBundle {
  id: string;
  needsLit: boolean;
  whatIf: boolean;
  jsBytes: number;
  mapBytes: number;
  /** deflate(js) + deflate(map): an estimate of the Lambda zip. */
  zippedBytes: number;
  /** Bytes of the output that come from @lit-protocol/* (per esbuild's metafile). */
  litBytes: number;
  /** Biggest contributors by package, bytes in output. */
  topPackages: [string, number][];
  /** The SDK printed its load-time deprecation line: the Lit SDK was evaluated at import. */
  litEvaluatedAtImport: boolean;
  importMs: number[];
  importWithSourceMapsMs: number[];
  inProcessRequireMs: number[];
}

/** `node_modules/@scope/name/...` → `@scope/name`; project files → `(project)`. */
function packageOf(input: string): string {
  // The innermost package: lit-node-client nests its own @lit-protocol/* copies.
  const all = [
    ...input
      .split(path.sep)
      .join('/')
      .matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g),
  ];
  return all.length ? all[all.length - 1][1] : '(project)';
}

/** One fresh node process that requires `file` and exits: wall ms, in-process require ms, stderr. */
function requireInFreshNode(file: string, nodeOptions: string): { wallMs: number; requireMs: number; stderr: string } {
  const script = `const t=performance.now();require(${JSON.stringify(file)});process.stdout.write(String(performance.now()-t));process.exit(0);`;
  const start = performance.now();
  const r = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
    // A bare environment, like a Lambda sandbox before any config: handlers must load without it.
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', NODE_OPTIONS: nodeOptions },
  });
  const wallMs = performance.now() - start;
  if (r.status !== 0) throw new Error(`node could not require ${path.basename(path.dirname(file))}: ${(r.stderr ?? '').slice(-500)}`);
  return { wallMs, requireMs: Number(r.stdout), stderr: r.stderr ?? '' };
}

export async function runBundleSize(): Promise<SectionResult> {
  const esbuild = await import('esbuild');
  const { ALL_FUNCTIONS } = await import('../lib/routes');
  const { ESBUILD_OPTIONS } = await import('../lib/function-defaults');
  const outRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'lit-bench-bundles-'));
  try {
    const empty = path.join(outRoot, 'empty.js');
    fs.writeFileSync(empty, '');

    const targets: BundleTarget[] = [
      ...ALL_FUNCTIONS.map((def) => ({ id: def.id, needsLit: def.needs.lit, entry: { entryPoints: [path.join(PROJECT_ROOT, def.entry)] } })),
      {
        // Reference: what evaluating the SDK at import would cost (the modules loadLitSdk() imports).
        id: REFERENCE_ID,
        needsLit: true,
        entry: {
          stdin: {
            contents: "require('@lit-protocol/lit-node-client');require('@lit-protocol/auth-helpers');require('@lit-protocol/constants');",
            resolveDir: PROJECT_ROOT,
            sourcefile: 'lit-sdk-eager.js',
          },
        },
      },
    ];
    // What-if rows: the functions that do not need Lit, bundled without the Lit SDK's code (as a
    // split of the lazy Lit import into its own file would give). Never deployed; for comparison.
    for (const def of ALL_FUNCTIONS.filter((d) => !d.needs.lit)) {
      targets.push({ id: `(what-if) ${def.id} w/o Lit code`, needsLit: false, whatIf: true, entry: { entryPoints: [path.join(PROJECT_ROOT, def.entry)] } });
    }
    const built: { def: BundleTarget; outfile: string; jsBytes: number; mapBytes: number; zippedBytes: number; byPackage: Map<string, number> }[] = [];
    for (const def of targets) {
      const outfile = path.join(outRoot, def.id, 'index.js');
      const result = await esbuild.build({
        ...ESBUILD_OPTIONS,
        ...def.entry,
        absWorkingDir: PROJECT_ROOT,
        outfile,
        metafile: true,
        logLevel: 'silent',
        ...(def.whatIf ? { external: ['@lit-protocol/*'] } : {}),
      });
      const js = fs.readFileSync(outfile);
      const map = fs.readFileSync(`${outfile}.map`);
      const output = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('.js'))?.[1];
      const byPackage = new Map<string, number>();
      for (const [input, info] of Object.entries(output?.inputs ?? {})) {
        const pkg = packageOf(input);
        byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + info.bytesInOutput);
      }
      built.push({
        def,
        outfile,
        jsBytes: js.length,
        mapBytes: map.length,
        zippedBytes: zlib.deflateRawSync(js).length + zlib.deflateRawSync(map).length,
        byPackage,
      });
    }

    // Round-robin (every bundle once per round, the empty file first): a burst of load from
    // other work on the machine then hits every row alike instead of one row's whole series.
    const plain = new Map<string, ReturnType<typeof requireInFreshNode>[]>();
    const withMaps = new Map<string, number[]>();
    const emptyPlain: number[] = [];
    const emptyMaps: number[] = [];
    const push = <V>(m: Map<string, V[]>, k: string, v: V) => m.set(k, [...(m.get(k) ?? []), v]);
    for (let round = 0; round < IMPORT_RUNS; round++) {
      emptyPlain.push(requireInFreshNode(empty, '').wallMs);
      for (const b of built) push(plain, b.def.id, requireInFreshNode(b.outfile, ''));
      if (round < SOURCE_MAP_RUNS) {
        emptyMaps.push(requireInFreshNode(empty, '--enable-source-maps').wallMs);
        for (const b of built.filter((x) => !x.def.whatIf)) push(withMaps, b.def.id, requireInFreshNode(b.outfile, '--enable-source-maps').wallMs);
      }
    }
    const baselinePlain = median(emptyPlain);
    const baselineMaps = median(emptyMaps);

    const bundles: FunctionBundle[] = built.map((b) => {
      const runs = plain.get(b.def.id) ?? [];
      return {
        id: b.def.id,
        needsLit: b.def.needsLit,
        whatIf: b.def.whatIf ?? false,
        jsBytes: b.jsBytes,
        mapBytes: b.mapBytes,
        zippedBytes: b.zippedBytes,
        litBytes: [...b.byPackage].filter(([p]) => p.startsWith('@lit-protocol/')).reduce((a, [, n]) => a + n, 0),
        topPackages: [...b.byPackage].sort((x, y) => y[1] - x[1]).slice(0, 6),
        litEvaluatedAtImport: runs.some((r) => /lit-js-sdk/.test(r.stderr)),
        importMs: runs.map((r) => r.wallMs - baselinePlain),
        importWithSourceMapsMs: (withMaps.get(b.def.id) ?? []).map((ms) => ms - baselineMaps),
        inProcessRequireMs: runs.map((r) => r.requireMs),
      };
    });

    const functions = bundles.filter((b) => b.id !== REFERENCE_ID && !b.whatIf);
    const biggest = functions.reduce((a, b) => (b.jsBytes > a.jsBytes ? b : a));
    const biggestImport = Math.max(...functions.map((b) => median(b.importMs)));
    const rows = bundles.map((b) => [
      b.id,
      b.needsLit ? 'yes' : 'no',
      fmtBytes(b.jsBytes),
      fmtBytes(b.mapBytes),
      fmtBytes(b.zippedBytes),
      fmtBytes(b.litBytes),
      fmtRatio(b.jsBytes / biggest.jsBytes),
      fmtMs(median(b.importMs)),
      b.importWithSourceMapsMs.length ? fmtMs(median(b.importWithSourceMapsMs)) : '-',
      fmtMs(median(b.inProcessRequireMs)),
      fmtRatio(median(b.importMs) / biggestImport),
      b.litEvaluatedAtImport ? 'yes' : 'no',
    ]);

    const noLit = functions.filter((b) => !b.needsLit);
    const reference = bundles.find((b) => b.id === REFERENCE_ID);
    const notes = [
      `Import cost = median wall time of ${IMPORT_RUNS} fresh \`node -e require(bundle)\` runs (${SOURCE_MAP_RUNS} with NODE_OPTIONS=--enable-source-maps, as the stack sets it) minus the median for an empty file (${fmtMs(baselinePlain)} plain, ${fmtMs(baselineMaps)} with source maps), taken round-robin. Zip = deflate of index.js + index.js.map (estimate).`,
      `"Lit evaluated at import" = the SDK's load-time deprecation line appeared on stderr. Ratios are against the biggest function bundle (${biggest.id}) and the slowest function import.`,
    ];
    if (reference) {
      notes.push(
        `${REFERENCE_ID}: a bundle that only requires the SDK modules loadLitSdk() loads imports in ${fmtMs(median(reference.importMs))}: ` +
          'what a Lit function pays again on its first Lit call (IssueSessionSigs starts it at init when SERVICE_CONFIG is set), on top of its import.',
      );
    }
    for (const b of noLit) {
      const whatIf = bundles.find((w) => w.whatIf && w.id.includes(` ${b.id} `));
      if (whatIf) {
        notes.push(
          `What-if for ${b.id}: without the Lit SDK's code its bundle would be ${fmtBytes(whatIf.jsBytes)} instead of ${fmtBytes(b.jsBytes)} ` +
            `and import in ${fmtMs(median(whatIf.importMs))} instead of ${fmtMs(median(b.importMs))} (esbuild inlines the lazy \`import('./adapters/lit')\`).`,
        );
      }
      notes.push(
        b.litEvaluatedAtImport
          ? `${b.id} does not need Lit but EVALUATES the Lit SDK at import (${fmtMs(median(b.importMs))}).`
          : `${b.id} does not need Lit and does not evaluate the SDK at import (${fmtMs(median(b.importMs))} vs ${fmtMs(biggestImport)} slowest)` +
              (b.litBytes > 0
                ? `, though its bundle still carries ${fmtBytes(b.litBytes)} of Lit code (lazily required).`
                : ', and its bundle carries no Lit code.'),
      );
    }
    return {
      id: 'bundle-size',
      title: 'Bundle size and cold-start import cost per function',
      tables: [
        {
          columns: [
            'function',
            'needs Lit',
            'index.js',
            '.map',
            'zip (est.)',
            '@lit-protocol/*',
            'size vs biggest',
            'import',
            'import +source maps',
            'require() in-process',
            'import vs slowest',
            'Lit evaluated at import',
          ],
          rows,
        },
      ],
      notes,
      data: {
        esbuild: esbuild.version,
        target: ESBUILD_OPTIONS.target,
        emptyFileBaselineMs: { plain: baselinePlain, enableSourceMaps: baselineMaps },
        functions: bundles.map((b) => ({
          ...b,
          importMs: summarize(b.importMs),
          importWithSourceMapsMs: summarize(b.importWithSourceMapsMs),
          inProcessRequireMs: summarize(b.inProcessRequireMs),
        })),
      },
    };
  } finally {
    fs.rmSync(outRoot, { recursive: true, force: true });
  }
}
