/**
 * `npm start` as a user meets it: `npm start -- …` in a child process. It must print one
 * ready line with the real URL and one copy-paste `curl` line that really issues session sigs;
 * Ctrl-C (SIGINT to the process group, as a terminal sends it) must stop everything, print
 * `stopped`, exit 0, and leave no process and no port behind; a --data-dir keeps state across
 * restarts; a start failure names the part and what to do.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

jest.setTimeout(300_000);

const ROOT = join(__dirname, '..', '..');
const READY = /^lit-session-service local stack ready at (http:\/\/127\.0\.0\.1:(\d+))\s*$/m;
/** Generous bound for a start (devnet + DynamoDB Local + bundles + bootstrap) on a busy 2-core box. */
const START_LIMIT_MS = 240_000;

interface CliRun {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * How the CLI is launched. 'npm': `npm start -- …`, the README's command (npm forwards the
 * terminal's Ctrl-C once more, and then exits by that signal, whatever the CLI's own status).
 * 'tsx': `tsx local/cli.ts` with no npm in between, so the process exit status is the CLI's own.
 */
type Launcher = 'npm' | 'tsx';

/** Spawns the CLI in its own process group (like a terminal job). */
function startCli(args: string[], launcher: Launcher = 'npm'): CliRun {
  let out = '';
  let err = '';
  const [command, argv] = launcher === 'npm' ? ['npm', ['start', '--', ...args]] : [join(ROOT, 'node_modules', '.bin', 'tsx'), ['local/cli.ts', ...args]];
  const child = spawn(command, argv, {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  });
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  running.add(child);
  void exited.then(() => running.delete(child));
  return { child, pid: child.pid!, stdout: () => out, stderr: () => err, exited };
}

/** Children still running if a test failed midway: killed in afterAll (by their own pids). */
const running = new Set<ChildProcess>();

/** Resolves with the ready URL; rejects (with the CLI's stderr tail) when it exits first or takes too long. */
async function waitForReady(run: CliRun): Promise<{ url: string; port: number }> {
  const deadline = Date.now() + START_LIMIT_MS;
  let exit: { code: number | null } | undefined;
  void run.exited.then((e) => (exit = e));
  for (;;) {
    const m = READY.exec(run.stdout());
    // Wait for the whole banner (the curl line comes after the ready line).
    if (m && /^curl .*$/m.test(run.stdout())) return { url: m[1], port: Number(m[2]) };
    if (exit) throw new Error(`the CLI exited (code ${exit.code}) before it was ready:\n${run.stderr().slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`the CLI was not ready in time:\n${run.stderr().slice(-3000)}`);
    await sleep(250);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** pid → parent pid for every process on the machine (from /proc). */
function parentMap(): Map<number, number> {
  const map = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command (which may contain spaces) start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      map.set(Number(entry), Number(fields[1]));
    } catch {
      // gone meanwhile
    }
  }
  return map;
}

/** Every process descended from `root` (root included), right now. */
function processTree(root: number): number[] {
  const parents = parentMap();
  const tree = new Set<number>([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (!tree.has(pid) && tree.has(ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return [...tree].filter((p) => parents.has(p));
}

/** A pid that is alive and not a zombie. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Waits (bounded) for `pids` to be gone; returns those still alive. */
async function survivors(pids: number[]): Promise<number[]> {
  for (let i = 0; i < 40; i++) {
    const alive = pids.filter(isAlive);
    if (alive.length === 0) return [];
    await sleep(250);
  }
  return pids.filter(isAlive);
}

/** Without --data-dir, the log the banner names is a temp file the CLI removes when it stops; a data dir keeps its log. */
function expectLogKeptOnlyInDataDir(stdout: string, dataDir: boolean): void {
  const printed = /^\s*logs\s+(\S+)/m.exec(stdout)?.[1];
  expect(printed).toBeDefined();
  expect({ saysRemoved: /^\s*logs\s+.*removed at stop/m.test(stdout), exists: existsSync(printed!) }).toEqual({ saysRemoved: !dataDir, exists: dataDir });
}

/** How a Ctrl-C'd CLI may exit, by launcher: npm re-raises the Ctrl-C it forwarded (the shell sees 130 / SIGINT, as for any npm script). */
const CTRL_C_EXITS: Record<Launcher, { code: number | null; signal: NodeJS.Signals | null }[]> = {
  tsx: [{ code: 0, signal: null }],
  npm: [
    { code: 0, signal: null },
    { code: 130, signal: null },
    { code: null, signal: 'SIGINT' },
  ],
};

/** Listening on 127.0.0.1:port succeeds (the port is free); the server is closed again. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function runCurl(line: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', line], { cwd: ROOT, maxBuffer: 10 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

interface Session {
  url: string;
  port: number;
  /** The PKP public key as printed. */
  printedPkp: string;
  /** The PKP public key from /_local/info (full). */
  pkp: string;
  delegationVersion: number;
  walletSigSource: string;
  tree: number[];
  stdout: string;
}

/**
 * One full session: start, wait for ready, run the printed curl, read the delegation, then Ctrl-C.
 * Asserts the banner's shape and the clean stop on the way.
 */
async function session(args: string[], launcher: Launcher): Promise<Session> {
  const run = startCli(args, launcher);
  const { url, port } = await waitForReady(run);
  const out = run.stdout();
  expect(out.split('\n').filter((l) => l.startsWith('lit-session-service local stack ready at '))).toHaveLength(1);
  const curlLines = out.split('\n').filter((l) => l.startsWith('curl '));
  // The owner's auth, then (unless your config's policy does not allow it) the example Lit Action: a user it accepts, one it refuses.
  const actionUsers = args.includes('--config') ? [] : ['alice', 'mallory'];
  for (const line of curlLines) expect(line).toContain(`${url}/session-sigs`);
  expect(curlLines.map((l) => /"jsParams":\{"user":"(\w+)"\}/.exec(l)?.[1] ?? 'owner')).toEqual(['owner', ...actionUsers]);
  // Each action curl's outcome: sigs for alice, LIT_ACTION_DENIED for mallory.
  const outcomes = await Promise.all(curlLines.slice(1).map(async (l) => JSON.parse((await runCurl(l)).stdout)));
  expect(outcomes.map((o) => (o.sessionSigs && Object.keys(o.sessionSigs).length > 0 ? 'sigs' : o.error?.code))).toEqual(
    actionUsers.map((u) => (u === 'alice' ? 'sigs' : 'LIT_ACTION_DENIED')),
  );
  const printedPkp = /^\s*PKP\s+(0x04[0-9a-fA-F….]+)/m.exec(out)?.[1];
  expect(printedPkp).toBeDefined();
  // Progress went to stderr while it started (what started, how long it took).
  expect(run.stderr()).toMatch(/✓ .*DynamoDB Local/);

  const curl = await runCurl(curlLines[0]);
  expect(curl.code).toBe(0);
  const issued = JSON.parse(curl.stdout);
  expect(Object.keys(issued.sessionSigs).length).toBeGreaterThanOrEqual(1);
  for (const s of Object.values(issued.sessionSigs) as { sig: string; signedMessage: string }[]) {
    expect(typeof s.sig).toBe('string');
    expect(typeof s.signedMessage).toBe('string');
  }

  const info = await getJson(`${url}/_local/info`);
  expect(info.status).toBe(200);
  const pkp: string = info.body.pkps[0].publicKey;
  expect(pkp.toLowerCase().startsWith(printedPkp!.replace(/[….]+$/, '').toLowerCase())).toBe(true);
  const delegation = await getJson(`${url}/delegation`);
  expect(delegation.status).toBe(200);

  const tree = processTree(run.pid);
  expect(tree.length).toBeGreaterThan(1);

  // Ctrl-C: SIGINT to the whole foreground process group, as a terminal sends it.
  process.kill(-run.pid, 'SIGINT');
  const exit = await run.exited;
  expect(CTRL_C_EXITS[launcher]).toContainEqual({ code: exit.code, signal: exit.signal });
  // The CLI stopped everything itself (one Ctrl-C, even when a wrapper forwards it twice).
  expect(run.stdout()).toMatch(/^stopped\s*$/m);
  expect(run.stderr()).not.toMatch(/again: exiting now/);
  expect(await survivors(tree)).toEqual([]);
  expect(await canListen(port)).toBe(true);
  expectLogKeptOnlyInDataDir(run.stdout(), args.includes('--data-dir'));

  return {
    url,
    port,
    printedPkp: printedPkp!,
    pkp,
    delegationVersion: delegation.body.version,
    walletSigSource: issued.walletSigSource,
    tree,
    stdout: run.stdout(),
  };
}

describe('npm start (local/cli.ts)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lss-cli-'));

  afterAll(async () => {
    // Only if a test failed midway: stop what it started, politely first (the CLI stops DynamoDB
    // Local's Java process, which runs in its own process group), then by pid whatever is left.
    for (const child of [...running]) {
      const tree = processTree(child.pid!);
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      for (const pid of await survivors(tree)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  let first: Session;

  it('npm start serves: the ready line carries the real URL, the printed curl returns session sigs; Ctrl-C stops everything and frees the port', async () => {
    first = await session(['--port', '0', '--data-dir', dataDir], 'npm');
    expect(first.port).toBeGreaterThan(0);
    expect(first.walletSigSource).toBe('nodes');
  });

  it('restarted with the same --data-dir: same PKP, the delegation version continues, the wallet sig comes from the cache; Ctrl-C exits 0', async () => {
    expect(first).toBeDefined();
    const second = await session(['--port', '0', '--data-dir', dataDir], 'tsx');
    expect(second.printedPkp).toBe(first.printedPkp);
    expect(second.pkp).toBe(first.pkp);
    expect(second.delegationVersion).toBeGreaterThanOrEqual(first.delegationVersion);
    expect(second.walletSigSource).toBe('cache');
  });

  it('without --data-dir: fresh state, a new PKP', async () => {
    expect(first).toBeDefined();
    const fresh = await session(['--port', '0'], 'tsx');
    expect(fresh.pkp).not.toBe(first.pkp);
    expect(fresh.walletSigSource).toBe('nodes');
  });

  it('--config runs your own config on the devnet: your policy, its pattern caller as the default, its PKP mapped; the printed curl issues', async () => {
    const run = await session(['--port', '0', '--config', 'config/service.json'], 'tsx');
    expect(run.stdout).toMatch(/^\s*config\s+\S*config\/service\.json: your policy \(2 callers\) on the devnet$/m);
    // The example names its PKP 0x04a1b2…: a devnet PKP stands for it, and the caller is its pattern's.
    expect(run.stdout).toMatch(/^\s*PKP\s+0x04[0-9a-f]{128} \(for 0x04a1b2c3d4e5… of your policy\)$/m);
    expect(run.stdout).toContain('caller   arn:aws:sts::123456789012:assumed-role/app-backend-local (default');
    expect(run.stdout).toMatch(/^curl .*-H 'x-local-caller-arn: arn:aws:sts::123456789012:assumed-role\/app-backend-local'/m);
    expect(run.walletSigSource).toBe('nodes');
  });

  it("--config with a file cdk synth would refuse: exit 1 with synth's message, before anything starts", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lss-cli-config-'));
    try {
      const example = JSON.parse(readFileSync(join(ROOT, 'config', 'service.json'), 'utf8'));
      const cases: [string, unknown, RegExp][] = [
        [
          'retention.json',
          { ...example, observability: { ...example.observability, logRetentionDays: 17 } },
          /observability\.logRetentionDays: 17 is not a retention CloudWatch Logs accepts.*CONFIG_NOT_DEPLOYABLE/,
        ],
        [
          'schedule.json',
          { ...example, delegation: { ...example.delegation, schedule: 'rate(1 day)' } },
          /delegation\.schedule: 'rate\(1 day\)' leaves up to 24\.0 h.*CONFIG_NOT_DEPLOYABLE/,
        ],
        // The issue-14 outage: a 60 s margin with an hourly refresher leaves issuance at 503 for up to an hour of every cycle.
        [
          'margin.json',
          { ...example, delegation: { ...example.delegation, refreshMarginSeconds: 60 } },
          /delegation\.refreshMarginSeconds \(60\) must be at least 7380 for 'rate\(1 hour\)'.*CONFIG_NOT_DEPLOYABLE/,
        ],
        ['invalid.json', { ...example, lit: { network: 'mainnet' } }, /is invalid:\n\s+- lit\.network: must be one of datil-dev, datil-test, datil, custom/],
        ['not-json.json', '{ "serviceName": ', /is not valid JSON/],
      ];
      for (const [name, content, message] of cases) {
        const file = join(dir, name);
        writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
        const run = startCli(['--port', '0', '--config', file], 'tsx');
        const exit = await run.exited;
        expect({ name, code: exit.code }).toEqual({ name, code: 1 });
        expect(run.stderr()).toMatch(/^failed: config: /m);
        expect(run.stderr()).toContain(file);
        expect(run.stderr()).toMatch(message);
        // Nothing started: no progress line for any part.
        expect(run.stderr()).not.toMatch(/DynamoDB Local|Devnet/);
        expect(run.stdout()).not.toMatch(READY);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a start failure names the part and what to do: --port already taken → exit 1, nothing left running', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', () => resolve()));
    const port = (holder.address() as { port: number }).port;
    try {
      const run = startCli(['--port', String(port)]);
      let tree: number[] = [run.pid];
      // Sample the tree while it runs, so every process it started is checked afterwards.
      const sampler = setInterval(() => (tree = [...new Set([...tree, ...processTree(run.pid)])]), 200);
      const exit = await run.exited;
      clearInterval(sampler);
      expect(exit.code).toBe(1);
      const failed = run
        .stderr()
        .split('\n')
        .filter((l) => l.startsWith('failed: '));
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatch(/^failed: [^:]*HTTP[^:]*: /i);
      expect(failed[0]).toContain(String(port));
      expect(failed[0]).toMatch(/--port/); // what to do: choose another port
      expect(run.stdout()).not.toMatch(READY);
      expect(run.stderr()).not.toMatch(/\n\s+at /); // no stack trace for a known failure
      expect(await survivors(tree)).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });
});
