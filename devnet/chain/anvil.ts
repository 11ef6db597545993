/**
 * Foundry's anvil (the `@foundry-rs/anvil` npm package, pinned; its platform package ships the
 * binary) as a child process of the devnet:
 *
 * - on 127.0.0.1 only, on a port the kernel picks (`--port 0`; anvil prints the port it got, which
 *   is read from its "Listening on" line, so no other process can take the port in between);
 * - ready in well under a second (`startAnvil` resolves once anvil listens), or rejected with
 *   anvil's own words when it exits first or does not listen within `startTimeoutMs`;
 * - stopped by `stop()`: SIGTERM, SIGKILL after `STOP_GRACE_MS`, and resolved after a bounded wait
 *   in every case, so a stop never hangs;
 * - never outliving the devnet's process: on Linux it runs under `setpriv --pdeathsig SIGKILL`
 *   (util-linux, present on every Debian), so the kernel kills it when its parent dies however it
 *   dies (SIGKILL included); everywhere, a process 'exit' hook kills any anvil still running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

/** Grace between SIGTERM and SIGKILL on stop. */
const STOP_GRACE_MS = 3000;
/** After SIGKILL, how long stop() waits for the exit event before giving up on it. */
const KILL_WAIT_MS = 2000;
/** Last bytes of anvil's output kept for error messages. */
const OUTPUT_TAIL_BYTES = 4096;

export interface AnvilOptions {
  chainId: number;
  /**
   * Also mine a block this often (anvil `--block-time` with `--mixed-mining`: transactions are still
   * mined at once, and empty blocks come in between). 0 = blocks only for transactions and evm_mine.
   */
  blockIntervalMs: number;
  /** Start from this state file (anvil `--load-state`, a JSON document written from `anvil_dumpState`). */
  loadStatePath?: string;
  /** Reject when anvil does not listen within this time. Default 30 s (it takes ~50 ms). */
  startTimeoutMs?: number;
  /** Called once when anvil exits without `stop()` having been called. */
  onUnexpectedExit?: (error: Error) => void;
}

export interface AnvilProcess {
  readonly pid: number;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly rpcUrl: string;
  /** `ws://127.0.0.1:<port>` (same server: anvil answers HTTP and WebSocket on one port). */
  readonly wsUrl: string;
  /** True once the process has exited. */
  exited(): boolean;
  /** SIGTERM, SIGKILL after a grace period; resolves once it is gone (bounded wait). Idempotent. */
  stop(): Promise<void>;
}

/** Why anvil could not start (binary missing, exit before listening, timeout). */
export class AnvilStartError extends Error {
  constructor(
    message: string,
    /** anvil's last output, if any. */
    readonly output = '',
  ) {
    super(message);
    this.name = 'AnvilStartError';
  }
}

const PLATFORM_PACKAGES: Record<string, string | undefined> = {
  'linux-x64': '@foundry-rs/anvil-linux-amd64',
  'linux-arm64': '@foundry-rs/anvil-linux-arm64',
  'darwin-x64': '@foundry-rs/anvil-darwin-amd64',
  'darwin-arm64': '@foundry-rs/anvil-darwin-arm64',
  'win32-x64': '@foundry-rs/anvil-win32-amd64',
};

/**
 * The anvil binary inside its platform package (an optional dependency of `@foundry-rs/anvil` that
 * `npm ci` installs for this platform). Nothing is downloaded at run time.
 */
export function anvilBinaryPath(): string {
  const pkg = PLATFORM_PACKAGES[`${process.platform}-${process.arch}`];
  if (!pkg) throw new AnvilStartError(`no anvil build for ${process.platform}-${process.arch} in @foundry-rs/anvil`);
  const name = process.platform === 'win32' ? 'anvil.exe' : 'anvil';
  let binary: string;
  try {
    binary = require.resolve(`${pkg}/bin/${name}`);
  } catch {
    throw new AnvilStartError(
      `the anvil binary is not installed: ${pkg} is missing from node_modules (run npm ci; it is an optional dependency of @foundry-rs/anvil)`,
    );
  }
  try {
    fs.accessSync(binary, fs.constants.X_OK);
  } catch {
    throw new AnvilStartError(`${binary} is not executable (chmod +x it, or reinstall with npm ci)`);
  }
  return binary;
}

/** Linux: the kernel kills anvil when the process that spawned it dies (prctl PR_SET_PDEATHSIG). */
function deathSignalWrapper(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  for (const candidate of ['/usr/bin/setpriv', '/bin/setpriv']) {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Every anvil this process started and has not seen exit: killed when the process exits. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/** Start anvil on 127.0.0.1 (a fresh chain, or `loadStatePath`'s) and wait until it listens. */
export async function startAnvil(options: AnvilOptions): Promise<AnvilProcess> {
  const binary = anvilBinaryPath();
  const args = ['--host', '127.0.0.1', '--port', '0', '--chain-id', String(options.chainId), '--accounts', '0', '--color', 'never'];
  if (options.blockIntervalMs > 0) args.push('--block-time', String(options.blockIntervalMs / 1000), '--mixed-mining');
  if (options.loadStatePath) args.push('--load-state', options.loadStatePath);
  const wrapper = deathSignalWrapper();
  const [command, argv] = wrapper ? [wrapper, ['--pdeathsig', 'SIGKILL', '--', binary, ...args]] : [binary, args];

  const child = spawn(command, argv, {
    // stdin: nothing. anvil logs every block and request to stdout: read it (the port is there) and keep a tail.
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
    windowsHide: true,
  });
  installExitHook();
  running.add(child);

  let tail = '';
  const keepTail = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES);
  };
  let stopping = false;
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      running.delete(child);
      resolve();
    });
  });

  const port = await new Promise<number>((resolve, reject) => {
    let settled = false;
    let stdout = '';
    const timeoutMs = options.startTimeoutMs ?? 30_000;
    const fail = (error: AnvilStartError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    };
    const timer = setTimeout(() => {
      fail(new AnvilStartError(`anvil did not listen within ${timeoutMs} ms`, tail));
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (e) => fail(new AnvilStartError(`cannot run ${binary}: ${e.message}`, tail)));
    child.stderr!.on('data', keepTail);
    child.stdout!.on('data', (chunk: Buffer) => {
      keepTail(chunk);
      if (settled) return;
      stdout += chunk.toString('utf8');
      const match = /Listening on 127\.0\.0\.1:(\d+)/.exec(stdout);
      if (match) {
        settled = true;
        clearTimeout(timer);
        stdout = '';
        resolve(Number(match[1]));
      } else if (stdout.length > 64 * 1024) {
        stdout = stdout.slice(-1024);
      }
    });
    void exitedPromise.then(() => fail(new AnvilStartError(`anvil exited before listening (${describeExit(exitInfo!)}): ${lastLines(tail)}`, tail)));
  }).catch(async (error: unknown) => {
    if (!exitInfo) child.kill('SIGKILL');
    await Promise.race([exitedPromise, delay(KILL_WAIT_MS)]);
    throw error;
  });

  void exitedPromise.then(() => {
    if (!stopping) options.onUnexpectedExit?.(new Error(`anvil (pid ${child.pid}) exited on its own (${describeExit(exitInfo!)}): ${lastLines(tail)}`));
  });

  let stopPromise: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopPromise ??= (async () => {
      stopping = true;
      if (exitInfo) return;
      child.kill('SIGTERM');
      if (await within(exitedPromise, STOP_GRACE_MS)) return;
      child.kill('SIGKILL');
      await within(exitedPromise, KILL_WAIT_MS);
    })();
    return stopPromise;
  };

  return {
    pid: child.pid!,
    port,
    rpcUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    exited: () => exitInfo !== undefined,
    stop,
  };
}

function describeExit(info: { code: number | null; signal: NodeJS.Signals | null }): string {
  return info.signal ? `signal ${info.signal}` : `exit code ${info.code}`;
}

/** The last few non-empty lines of anvil's output, for an error message. */
function lastLines(text: string, count = 5): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.slice(-count).join(' | ') || '(no output)';
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** True when `promise` settles within `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
