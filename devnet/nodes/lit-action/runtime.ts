/**
 * Lit Actions on the devnet: the code store that stands in for IPFS, the CID the real node computes,
 * and one execution in the sandbox worker (sandbox-worker.cjs explains the choice of sandbox).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * `ipfs-only-hash` is what the Lit SDK itself uses for `getIpfsId`; with its defaults (CIDv0,
 * dag-pb UnixFS, 256 KiB chunks) it gives the same CIDs as the real node's
 * `IpfsHasher::default().compute(code)` (ipfs-hasher 0.13): the conformance test checks it
 * against CIDs from the node's own tests.
 */
import * as ipfsOnlyHash from 'ipfs-only-hash';

/** The IPFS CID (v0) of action code, as the real node computes it from the code's UTF-8 bytes. */
export function litActionCid(code: string): Promise<string> {
  return ipfsOnlyHash.of(Buffer.from(code, 'utf8'));
}

/** The real node's limits for an action run in sign_session_key (action_client.rs:46-58; the handler sets none of its own). */
export const REAL_NODE_ACTION_LIMITS = {
  timeoutMs: 30_000,
  memoryLimitMb: 256,
  maxCodeLength: 16 * 1024 * 1024,
  maxResponseLength: 100 * 1024,
  maxLogLength: 100 * 1024,
} as const;

/** What a devnet lets a test or the operator change (time and memory; the rest stay the real node's). */
export interface LitActionLimits {
  timeoutMs: number;
  memoryLimitMb: number;
}

/**
 * Action code by CID: the devnet's IPFS. The real node fetches `litActionIpfsId` from its IPFS
 * gateway and checks the content's hash (utils/web.rs:566-640); here code is registered up front
 * and stored under the CID computed from it, so a CID can only ever name its own code.
 */
export class LitActionStore {
  private readonly byCid = new Map<string, string>();

  async register(code: string): Promise<string> {
    const cid = await litActionCid(code);
    this.byCid.set(cid, code);
    return cid;
  }

  get(cid: string): string | undefined {
    return this.byCid.get(cid);
  }

  cids(): string[] {
    return [...this.byCid.keys()];
  }
}

export type ActionOutcome = 'complete' | 'error' | 'timeout' | 'memory';

export interface ActionRun {
  outcome: ActionOutcome;
  /** What the action passed to `Lit.Actions.setResponse` ('' if nothing). */
  response: string;
  /** What it printed with console.*. */
  logs: string;
  /** For 'error': Deno-style "Uncaught …" text. */
  error?: string;
  /** Calls into the Lit API or globals the devnet does not emulate, if the action made any. */
  notEmulated: string[];
}

export interface ActionInput {
  code: string;
  /** The request's `jsParams`, or null when absent. */
  jsParams: unknown;
  /** The node's auth context for the action (`Lit.Auth`), serialised as the node does (camelCase). */
  authContext: unknown;
  /** The request's HTTP headers (`Lit.Headers`), lower-case names. */
  headers: Record<string, string>;
  limits: LitActionLimits;
}

const WORKER_FILE = path.join(__dirname, 'sandbox-worker.cjs');
let quickJsModule: Promise<WebAssembly.Module> | undefined;
/** QuickJS's WebAssembly, compiled once per process and handed to every worker (a compiled module crosses threads). */
function compiledQuickJs(): Promise<WebAssembly.Module> {
  quickJsModule ??= WebAssembly.compile(fs.readFileSync(require.resolve('@jitl/quickjs-wasmfile-release-sync/wasm')));
  return quickJsModule;
}
/** Past the action's own deadline, the worker is terminated outright: the engine's interrupt handler should have stopped it first. */
const HARD_STOP_GRACE_MS = 5_000;

/** Runs one action in a fresh sandbox; resolves with its outcome, never rejects for anything the action does. */
export async function runLitAction(input: ActionInput): Promise<ActionRun> {
  const wasmModule = await compiledQuickJs();
  return new Promise((resolve) => {
    const worker = new Worker(WORKER_FILE, {
      workerData: {
        wasmModule,
        code: input.code,
        jsParams: input.jsParams === null || input.jsParams === undefined ? null : JSON.stringify(input.jsParams),
        authContext: JSON.stringify(input.authContext),
        headers: input.headers,
        timeoutMs: input.limits.timeoutMs,
        memoryLimitMb: input.limits.memoryLimitMb,
        maxResponseLength: REAL_NODE_ACTION_LIMITS.maxResponseLength,
        maxLogLength: REAL_NODE_ACTION_LIMITS.maxLogLength,
      },
      // The V8 heap of the worker's own JS; the action's heap is QuickJS's, inside WebAssembly memory.
      resourceLimits: { maxOldGenerationSizeMb: 64 },
      stdout: true,
      stderr: true,
    });
    let settled = false;
    const settle = (run: ActionRun): void => {
      if (settled) return;
      settled = true;
      clearTimeout(hardStop);
      void worker.terminate();
      resolve(run);
    };
    const hardStop = setTimeout(() => settle({ outcome: 'timeout', response: '', logs: '', notEmulated: [] }), input.limits.timeoutMs + HARD_STOP_GRACE_MS);
    worker.once('message', (run: ActionRun) => settle(run));
    worker.once('error', (e) =>
      settle({ outcome: 'error', response: '', logs: '', notEmulated: [], error: `devnet sandbox failure: ${String(e.message).slice(0, 200)}` }),
    );
    worker.once('exit', () =>
      settle({ outcome: 'error', response: '', logs: '', notEmulated: [], error: 'devnet sandbox failure: the worker exited without a result' }),
    );
  });
}
