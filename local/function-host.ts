/**
 * Emulated Lambda functions: one worker thread is one execution environment, with the function's
 * own environment variables (lib/function-environment.ts, as deployed), memory limit and timeout,
 * running the esbuild bundle. As on Lambda, an environment runs one invocation at a time; a
 * request that finds every environment busy gets a new one (a cold start), up to
 * `maxEnvironments` per function. Unlike Lambda, which would keep scaling out, requests beyond
 * that wait in a queue for the next free environment: a laptop has a few cores, not a fleet.
 * The function timeout counts from when an environment takes the invocation, as on Lambda.
 *
 * Like Lambda: a timed-out invocation retires its environment; an environment that crashes is
 * replaced; `recycle` makes the next invocation a cold start (as a config change or redeploy does).
 */
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { Readable } from 'node:stream';
import { functionLimits } from '../lib/function-defaults';
import type { FunctionDef } from '../lib/routes';
import type { HostMessage, RuntimeData, RuntimeMessage } from './lambda-runtime';

export type InvokeOutcome =
  | { kind: 'result'; value: unknown; coldStart: boolean; ms: number }
  /** The handler threw, init failed, or the environment died: API Gateway answers 500. */
  | { kind: 'error'; errorType: string; coldStart: boolean; ms: number }
  /** The function ran past its timeout: API Gateway answers 503. */
  | { kind: 'timeout'; coldStart: boolean; ms: number };

export interface LogLine {
  /** Function id, or the part of the stack that wrote the line. */
  source: string;
  text: string;
}

export interface FunctionHostOptions {
  functions: readonly FunctionDef[];
  /** Bundle file per function id, and the runtime (worker entry). */
  bundles: { functions: Map<string, string>; runtime: string };
  /** Environment variables for a function (its deployed environment plus local endpoints). */
  environment: (def: FunctionDef) => Record<string, string>;
  onLog?: (line: LogLine) => void;
  /** Environments per function at most; more concurrent invocations queue. @default 2 */
  maxEnvironments?: number;
}

interface Pending {
  resolve: (o: InvokeOutcome) => void;
  started: number;
  coldStart: boolean;
  timer: NodeJS.Timeout;
}

/** One execution environment. */
class Environment {
  readonly worker: Worker;
  readonly ready: Promise<{ ok: true } | { ok: false; errorType: string }>;
  readonly pending = new Map<number, Pending>();
  retired = false;
  dead = false;
  /** Running an invocation (one at a time, as on Lambda). */
  busy = false;

  constructor(
    private readonly def: FunctionDef,
    runtime: string,
    data: RuntimeData,
    env: Record<string, string>,
    private readonly onLog: (line: LogLine) => void,
    private readonly onGone: (env: Environment) => void,
  ) {
    this.worker = new Worker(runtime, {
      workerData: data,
      env,
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: data.memoryMb },
    });
    this.pipe(this.worker.stdout);
    this.pipe(this.worker.stderr);
    this.ready = new Promise((resolve) => {
      const onMessage = (m: RuntimeMessage) => {
        if (m.type === 'ready') resolve({ ok: true });
        else if (m.type === 'init-error') resolve({ ok: false, errorType: m.errorType });
      };
      this.worker.on('message', onMessage);
      this.worker.once('exit', () => resolve({ ok: false, errorType: 'Runtime.ExitError' }));
    });
    this.worker.on('message', (m: RuntimeMessage) => this.onMessage(m));
    this.worker.on('error', (e) => {
      // An uncaught exception in the function: Lambda would log it and replace the environment.
      this.onLog({ source: this.def.id, text: JSON.stringify({ level: 'ERROR', message: 'environment crashed', errorType: e.name }) });
    });
    this.worker.once('exit', () => {
      this.dead = true;
      for (const [id, p] of this.pending)
        this.settle(id, { kind: 'error', errorType: 'Runtime.ExitError', coldStart: p.coldStart, ms: Date.now() - p.started });
      this.onGone(this);
    });
  }

  private pipe(stream: Readable): void {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const text = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (text.length > 0) this.onLog({ source: this.def.id, text });
      }
    });
    stream.on('end', () => {
      if (buffered.length > 0) this.onLog({ source: this.def.id, text: buffered });
      buffered = '';
    });
  }

  private onMessage(m: RuntimeMessage): void {
    if (m.type === 'result') this.settle(m.id, { kind: 'result', value: m.result } as never);
    else if (m.type === 'error') this.settle(m.id, { kind: 'error', errorType: m.errorType } as never);
    else if (m.type === 'blocked')
      this.onLog({ source: this.def.id, text: JSON.stringify({ level: 'WARN', message: 'loopback guard blocked a request', target: m.target }) });
  }

  private settle(id: number, outcome: InvokeOutcome): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.resolve({ ...outcome, coldStart: p.coldStart, ms: Date.now() - p.started });
    if (this.retired && this.pending.size === 0) void this.worker.terminate();
  }

  invoke(id: number, event: unknown, timeoutMs: number, coldStart: boolean, started: number, onTimeout: () => void): Promise<InvokeOutcome> {
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          onTimeout();
          this.settle(id, { kind: 'timeout' } as never);
        },
        Math.max(0, started + timeoutMs - Date.now()),
      );
      this.pending.set(id, { resolve, started, coldStart, timer });
      const message: HostMessage = { type: 'invoke', id, event, requestId: randomUUID(), deadlineMs: started + timeoutMs };
      this.worker.postMessage(message);
    });
  }

  /** No new invocations; terminated once the ones in flight finish. */
  retire(): Promise<void> {
    this.retired = true;
    if (this.pending.size === 0 || this.dead) return this.worker.terminate().then(() => undefined);
    return new Promise((resolve) => this.worker.once('exit', () => resolve()));
  }

  kill(): Promise<void> {
    this.retired = true;
    return this.worker.terminate().then(() => undefined);
  }
}

interface Queued {
  event: unknown;
  arrived: number;
  resolve: (o: InvokeOutcome) => void;
}

export class FunctionHost {
  private readonly defs: Map<string, FunctionDef>;
  /** Live environments per function id (not retired). */
  private readonly pools = new Map<string, Environment[]>();
  private readonly queues = new Map<string, Queued[]>();
  private readonly all = new Set<Environment>();
  private readonly counts = new Map<string, number>();
  private readonly coldStarts = new Map<string, number>();
  private nextId = 1;
  private stopped = false;
  private readonly maxEnvironments: number;

  constructor(private options: FunctionHostOptions) {
    this.defs = new Map(options.functions.map((d) => [d.id, d]));
    this.maxEnvironments = Math.max(1, options.maxEnvironments ?? 2);
  }

  /** Replace how environments are made (a new config is a redeploy): every environment is recycled. */
  async redeploy(environment: FunctionHostOptions['environment']): Promise<void> {
    this.options = { ...this.options, environment };
    await this.recycle();
  }

  def(id: string): FunctionDef {
    const def = this.defs.get(id);
    if (!def) throw new Error(`No function ${id} in the route table`);
    return def;
  }

  invocations(id: string): number {
    return this.counts.get(id) ?? 0;
  }

  /** Cold starts per function id so far. */
  coldStartCount(id: string): number {
    return this.coldStarts.get(id) ?? 0;
  }

  /** Environments of the function alive now. */
  environmentCount(id: string): number {
    return this.pool(id).length;
  }

  /** Starts one environment of the function now (provisioned-concurrency style) and waits for its init. */
  async prewarm(id: string): Promise<{ ok: boolean; errorType?: string }> {
    const existing = this.pool(id)[0];
    return (existing ?? this.spawn(id)).ready;
  }

  invoke(id: string, event: unknown): Promise<InvokeOutcome> {
    if (this.stopped) return Promise.resolve({ kind: 'error', errorType: 'HostStopped', coldStart: false, ms: 0 });
    this.def(id);
    this.counts.set(id, this.invocations(id) + 1);
    return new Promise((resolve) => {
      this.queue(id).push({ event, arrived: Date.now(), resolve });
      this.dispatch(id);
    });
  }

  /** The next invocation of `id` (of every function when absent) is a cold start. */
  async recycle(id?: string): Promise<void> {
    const ids = id === undefined ? [...this.pools.keys()] : [id];
    await Promise.all(
      ids.flatMap((i) => {
        const envs = this.pool(i).splice(0);
        return envs.map((env) => env.retire());
      }),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const q of this.queues.values()) for (const item of q.splice(0)) item.resolve({ kind: 'error', errorType: 'HostStopped', coldStart: false, ms: 0 });
    this.pools.clear();
    await Promise.all([...this.all].map((e) => e.kill()));
  }

  private pool(id: string): Environment[] {
    let p = this.pools.get(id);
    if (!p) this.pools.set(id, (p = []));
    return p;
  }

  private queue(id: string): Queued[] {
    let q = this.queues.get(id);
    if (!q) this.queues.set(id, (q = []));
    return q;
  }

  /** Hands queued invocations to idle environments, starting new ones while under the limit. */
  private dispatch(id: string): void {
    const q = this.queue(id);
    while (q.length > 0 && !this.stopped) {
      const pool = this.pool(id);
      let env = pool.find((e) => !e.busy && !e.dead && !e.retired);
      let coldStart = false;
      if (!env) {
        if (pool.length >= this.maxEnvironments) return; // all busy: wait for one to free up
        env = this.spawn(id);
        coldStart = true;
      }
      const item = q.shift()!;
      void this.run(id, env, item, coldStart);
    }
  }

  private async run(id: string, env: Environment, item: Queued, coldStart: boolean): Promise<void> {
    env.busy = true;
    const def = this.def(id);
    const timeoutMs = functionLimits(def).timeoutSeconds * 1000;
    const started = Date.now();
    let outcome: InvokeOutcome;
    try {
      const init = await Promise.race([env.ready, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref())]);
      if (init === 'timeout') {
        this.retire(id, env);
        outcome = { kind: 'timeout', coldStart, ms: Date.now() - item.arrived };
      } else if (!init.ok) {
        // Lambda retries init on the next invocation, in a fresh environment.
        this.retire(id, env);
        outcome = { kind: 'error', errorType: init.errorType, coldStart, ms: Date.now() - item.arrived };
      } else {
        const o = await env.invoke(this.nextId++, item.event, timeoutMs, coldStart, started, () => this.retire(id, env));
        outcome = { ...o, ms: Date.now() - item.arrived };
      }
    } finally {
      env.busy = false;
    }
    item.resolve(outcome);
    this.dispatch(id);
  }

  private retire(id: string, env: Environment): void {
    const pool = this.pool(id);
    const i = pool.indexOf(env);
    if (i >= 0) pool.splice(i, 1);
    void env.retire();
  }

  private spawn(id: string): Environment {
    const def = this.def(id);
    const bundle = this.options.bundles.functions.get(id);
    if (!bundle) throw new Error(`No bundle for ${id}`);
    const limits = functionLimits(def);
    const data: RuntimeData = { functionName: id, bundle, memoryMb: limits.memoryMb, timeoutMs: limits.timeoutSeconds * 1000 };
    const onLog = this.options.onLog ?? (() => undefined);
    const env = new Environment(def, this.options.bundles.runtime, data, this.options.environment(def), onLog, (gone) => {
      this.all.delete(gone);
      const pool = this.pool(id);
      const i = pool.indexOf(gone);
      if (i >= 0) pool.splice(i, 1);
      // A queued invocation may now get a new environment in its place.
      this.dispatch(id);
    });
    this.all.add(env);
    this.pool(id).push(env);
    this.coldStarts.set(id, this.coldStartCount(id) + 1);
    return env;
  }
}
