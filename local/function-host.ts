/**
 * Emulated Lambda functions: one worker thread per function is one execution environment, with
 * the function's own environment variables (lib/function-environment.ts, as deployed), memory
 * limit and timeout, running the esbuild bundle. An environment starts on first use (a cold
 * start) and is kept warm after. Unlike Lambda, concurrent invocations of one function share its
 * environment (the handlers are written for that: per-request state lives in AsyncLocalStorage).
 *
 * Like Lambda: a timed-out invocation retires its environment (a fresh one serves the next
 * request); an environment that crashes is replaced; `recycle` forces the next invocation to
 * be a cold start (a config change or a redeploy does the same).
 */
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { Readable } from 'node:stream';
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
  /** Defaults as in lib/service-function.ts. */
  defaultTimeoutSeconds?: number;
  defaultMemoryMb?: number;
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
  private invocationsServed = 0;

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
      for (const [id, p] of this.pending) this.settle(id, { kind: 'error', errorType: 'Runtime.ExitError', coldStart: p.coldStart, ms: Date.now() - p.started });
      this.onGone(this);
    });
  }

  get invocations(): number {
    return this.invocationsServed;
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
    else if (m.type === 'blocked') this.onLog({ source: this.def.id, text: JSON.stringify({ level: 'WARN', message: 'loopback guard blocked a request', target: m.target }) });
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
    this.invocationsServed++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        onTimeout();
        this.settle(id, { kind: 'timeout' } as never);
      }, Math.max(0, started + timeoutMs - Date.now()));
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

export class FunctionHost {
  private readonly defs: Map<string, FunctionDef>;
  private readonly current = new Map<string, Environment>();
  private readonly all = new Set<Environment>();
  private readonly counts = new Map<string, number>();
  private readonly coldStarts = new Map<string, number>();
  private nextId = 1;
  private stopped = false;

  constructor(private options: FunctionHostOptions) {
    this.defs = new Map(options.functions.map((d) => [d.id, d]));
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

  /** Starts the function's environment now (provisioned-concurrency style) and waits for its init. */
  async prewarm(id: string): Promise<{ ok: boolean; errorType?: string }> {
    const env = this.environmentFor(id).env;
    return env.ready;
  }

  async invoke(id: string, event: unknown): Promise<InvokeOutcome> {
    if (this.stopped) return { kind: 'error', errorType: 'HostStopped', coldStart: false, ms: 0 };
    const def = this.def(id);
    const started = Date.now();
    this.counts.set(id, this.invocations(id) + 1);
    const { env, coldStart } = this.environmentFor(id);
    const timeoutMs = (def.timeoutSeconds ?? this.options.defaultTimeoutSeconds ?? 29) * 1000;
    const init = await Promise.race([
      env.ready,
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), Math.max(0, started + timeoutMs - Date.now())).unref()),
    ]);
    if (init === 'timeout') {
      this.retire(id, env);
      return { kind: 'timeout', coldStart, ms: Date.now() - started };
    }
    if (!init.ok) {
      // Lambda retries init on the next invocation in a fresh environment.
      this.retire(id, env);
      return { kind: 'error', errorType: init.errorType, coldStart, ms: Date.now() - started };
    }
    return env.invoke(this.nextId++, event, timeoutMs, coldStart, started, () => this.retire(id, env));
  }

  /** The next invocation of `id` (of every function when absent) is a cold start. */
  async recycle(id?: string): Promise<void> {
    const ids = id === undefined ? [...this.current.keys()] : [id];
    await Promise.all(ids.map((i) => {
      const env = this.current.get(i);
      if (!env) return undefined;
      this.current.delete(i);
      return env.retire();
    }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current.clear();
    await Promise.all([...this.all].map((e) => e.kill()));
  }

  private retire(id: string, env: Environment): void {
    if (this.current.get(id) === env) this.current.delete(id);
    void env.retire();
  }

  private environmentFor(id: string): { env: Environment; coldStart: boolean } {
    const existing = this.current.get(id);
    if (existing && !existing.dead && !existing.retired) return { env: existing, coldStart: false };
    const def = this.def(id);
    const bundle = this.options.bundles.functions.get(id);
    if (!bundle) throw new Error(`No bundle for ${id}`);
    const memoryMb = def.memoryMb ?? this.options.defaultMemoryMb ?? 1024;
    const data: RuntimeData = {
      functionName: id,
      bundle,
      memoryMb,
      timeoutMs: (def.timeoutSeconds ?? this.options.defaultTimeoutSeconds ?? 29) * 1000,
    };
    const onLog = this.options.onLog ?? (() => undefined);
    const env = new Environment(def, this.options.bundles.runtime, data, this.options.environment(def), onLog, (gone) => {
      this.all.delete(gone);
      if (this.current.get(id) === gone) this.current.delete(id);
    });
    this.all.add(env);
    this.current.set(id, env);
    this.coldStarts.set(id, this.coldStartCount(id) + 1);
    return { env, coldStart: true };
  }
}
