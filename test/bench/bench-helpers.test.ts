/**
 * The benchmark runner's own logic: statistics, argument parsing, table layout and the error
 * redaction that keeps secrets out of its output. No timings are asserted here.
 */
import * as path from 'node:path';
import { lambdaCostPerMillion, LAMBDA_PRICES } from '../../bench/repeat-floor';
import { formatTable, parseArgs, runSection } from '../../bench/run';
import { describeError } from '../../bench/section';
import { fmtBytes, fmtMs, median, percentile, summarize } from '../../bench/stats';

describe('bench statistics', () => {
  it('median of odd and even counts, unsorted input left untouched', () => {
    const input = [5, 1, 3];
    expect(median(input)).toBe(3);
    expect(input).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('nearest-rank percentile: p95 of 20 samples is the 19th smallest', () => {
    const samples = Array.from({ length: 20 }, (_, i) => 20 - i); // 20..1
    expect(percentile(samples, 95)).toBe(19);
    expect(percentile(samples, 100)).toBe(20);
    expect(percentile(samples, 0)).toBe(1);
    expect(summarize([2, 1, 3])).toMatchObject({ n: 3, median: 2, max: 3 });
  });

  it('formats durations and sizes in readable units', () => {
    expect(fmtMs(3.456)).toBe('3.46 ms');
    expect(fmtMs(123.44)).toBe('123.4 ms');
    expect(fmtMs(2345)).toBe('2.35 s');
    expect(fmtBytes(4_490_000)).toBe('4.49 MB');
    expect(fmtBytes(812_345)).toBe('812 KB');
  });
});

describe('bench arguments', () => {
  it('defaults: 20 iterations, 50 ms latency, no record, not quick, every section', () => {
    expect(parseArgs([])).toEqual({ iterations: 20, latencyMs: 50, record: false, quick: false });
  });

  it('parses --quick and --out (a path made absolute)', () => {
    const o = parseArgs(['--quick', '--out=some/dir/run.json']);
    expect(o.quick).toBe(true);
    expect(o.out).toBe(path.resolve('some/dir/run.json'));
  });

  it('parses --only, --iterations, --latency and --record', () => {
    const o = parseArgs(['--only=bundle-size,issuance', '--iterations=5', '--latency=0', '--record']);
    expect([...(o.only ?? [])]).toEqual(['bundle-size', 'issuance']);
    expect(o).toMatchObject({ iterations: 5, latencyMs: 0, record: true });
  });

  it('refuses unknown arguments and out-of-range counts (loops stay bounded)', () => {
    expect(() => parseArgs(['--iterations=0'])).toThrow(/--iterations must be an integer 1\.\.200/);
    expect(() => parseArgs(['--iterations=100000'])).toThrow(/1\.\.200/);
    expect(() => parseArgs(['--fast'])).toThrow(/unknown argument --fast/);
  });
});

describe('bench cost estimate', () => {
  it('Lambda cost per million: requests plus GB-seconds at the billed (rounded up) milliseconds', () => {
    const perMsPerMillion = (LAMBDA_PRICES.arm64PerGbSecondUsd * 1e6) / 1000;
    expect(lambdaCostPerMillion(0.4)).toBeCloseTo(LAMBDA_PRICES.requestsPerMillionUsd + perMsPerMillion, 10);
    expect(lambdaCostPerMillion(10, 2048)).toBeCloseTo(LAMBDA_PRICES.requestsPerMillionUsd + 20 * perMsPerMillion, 10);
    expect(lambdaCostPerMillion(99.2)).toBe(lambdaCostPerMillion(100)); // billed in whole milliseconds
    expect(lambdaCostPerMillion(100.2)).toBeGreaterThan(lambdaCostPerMillion(100));
  });
});

describe('bench output', () => {
  it('pads table columns to the widest cell', () => {
    const text = formatTable({ columns: ['a', 'long header'], rows: [['wide cell', 'x']] });
    const [header, rule, row] = text.split('\n');
    expect(header).toBe('a          long header');
    expect(rule).toBe('---------  -----------');
    expect(row).toBe('wide cell  x');
  });

  it('error lines keep the code and drop keys, signatures and JSON bodies', () => {
    const key = '0x' + 'ab'.repeat(32);
    const e = Object.assign(new Error(`signing failed for ${key} with {"sig":"${'cd'.repeat(65)}"}`), { code: 'LIT_NODE_ERROR' });
    const line = describeError(e);
    expect(line).toMatch(/^LIT_NODE_ERROR \(Error: signing failed for <hex> with \{…\}\)$/);
    expect(line).not.toContain('abab');
    expect(line).not.toContain('cdcd');
  });
});

describe('bench sections', () => {
  const base = { id: 'x', title: 'X' };

  it('a section whose parts are missing is skipped with the reason, without running', async () => {
    const run = jest.fn();
    const r = await runSection({ ...base, requires: () => 'missing devnet/index.ts', run });
    expect(r).toMatchObject({ id: 'x', skipped: 'missing devnet/index.ts' });
    expect(run).not.toHaveBeenCalled();
  });

  it('a module that cannot be loaded skips; any other error fails the section, redacted', async () => {
    const notFound = Object.assign(new Error("Cannot find module '../devnet'"), { code: 'MODULE_NOT_FOUND' });
    const skippedResult = await runSection({ ...base, requires: () => undefined, run: () => Promise.reject(notFound) });
    expect(skippedResult.skipped).toMatch(/could not be loaded/);
    const secret = 'ef'.repeat(32);
    const failed = await runSection({ ...base, requires: () => undefined, run: () => Promise.reject(new Error(`boom 0x${secret}`)) });
    expect(failed.failed).toBe('Error: boom <hex>');
    expect(failed.skipped).toBeUndefined();
  });
});
