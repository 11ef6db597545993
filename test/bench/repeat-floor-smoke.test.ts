/**
 * `npm run bench -- --only=repeat-floor --quick` runs end to end (devnet, DynamoDB Local, the
 * local stack) and writes its JSON: every case measured, repeats with no node round, the machine
 * and date named. A smoke run: no duration is asserted.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '../..');

interface CaseData {
  label: string;
  n: number;
  p50: number;
  p99: number;
  nodeRoundsPer100: number;
  dynamoPerIssuance?: number;
  dynamoByOperation?: Record<string, number>;
  unexpected: number;
}

it('the quick repeat-floor run writes a table and JSON with every case, the machine and the date', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
  try {
    const out = path.join(dir, 'run.json');
    const run = spawnSync(
      process.execPath,
      [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'bench/run.ts', '--only=repeat-floor', '--quick', `--out=${out}`],
      { cwd: ROOT, encoding: 'utf8', timeout: 280_000 },
    );
    expect(run.stdout).toContain('latency per issuance');
    expect(run.status).toBe(0);
    const json = JSON.parse(fs.readFileSync(out, 'utf8')) as {
      machine: { nproc: number; date: string; loadAverage1m: number };
      sections: {
        id: string;
        failed?: string;
        data: { cases: CaseData[]; throughput: { requests: number; statuses: Record<string, number>; notCache: number }[]; prices: object };
      }[];
    };
    expect(json.machine.nproc).toBeGreaterThan(0);
    expect(Date.parse(json.machine.date)).not.toBeNaN();
    const [section] = json.sections;
    expect(section).toMatchObject({ id: 'repeat-floor' });
    expect(section.failed).toBeUndefined();
    const cases = new Map(section.data.cases.map((c) => [c.label, c]));
    for (const prefix of [
      'seed',
      'long-lived',
      'service, first',
      'service, repeat (domain',
      'service, repeat: Lit part',
      'SDK repeat',
      'floor',
      'HTTP (npm start): first',
      'HTTP (npm start): repeat',
    ]) {
      expect([...cases.keys()].some((l) => l.startsWith(prefix))).toBe(true);
    }
    for (const c of section.data.cases) {
      expect(c.unexpected).toBe(0);
      expect(c.n).toBeGreaterThan(0);
      expect(Number.isFinite(c.p99)).toBe(true);
      // A node round per request where one is expected, none on any repeat.
      expect(c.nodeRoundsPer100).toBe(/seed|long-lived|first/.test(c.label) ? 100 : 0);
    }
    const repeat = [...cases.values()].find((c) => c.label.startsWith('service, repeat (domain'))!;
    // What a repeat still sends to DynamoDB: the audit record each time, and the rate-limit counter
    // at most once (only when its lease runs out). How many fewer depends on the wall clock here
    // (a minute's end shrinks leases, a new minute starts them at one again): the savings are
    // asserted with an injected clock in test/storage/scale.test.ts.
    const { PutItem, UpdateItem = 0, ...other } = repeat.dynamoByOperation!;
    expect(other).toEqual({});
    expect(PutItem).toBe(repeat.n);
    expect(UpdateItem).toBeGreaterThan(0);
    expect(UpdateItem).toBeLessThanOrEqual(repeat.n);
    for (const t of section.data.throughput) {
      expect(t.statuses).toEqual({ 200: t.requests });
      expect(t.notCache).toBe(0);
    }
    expect(section.data.prices).toMatchObject({ requestsPerMillionUsd: expect.any(Number), arm64PerGbSecondUsd: expect.any(Number) });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
