/**
 * The parts the local stack starts, in the order `npm start` reports them, and how a part is run:
 * progress events for people, and any failure turned into a LocalStackError naming the part and
 * what to do about it.
 */
export type StackPart =
  'data-dir' | 'bundle' | 'dynamodb' | 'devnet' | 'secrets' | 'capacity' | 'pkp' | 'lit-actions' | 'config' | 'functions' | 'delegation' | 'http';

export interface ProgressEvent {
  part: StackPart;
  phase: 'start' | 'done' | 'failed';
  /** What this part is, for people. */
  label: string;
  ms?: number;
  message?: string;
}

/** A start failure, naming the part and what to do. */
export class LocalStackError extends Error {
  constructor(
    readonly part: StackPart,
    readonly what: string,
    readonly hint: string,
  ) {
    super(`${part}: ${what}. ${hint}`);
    this.name = 'LocalStackError';
  }
}

const LABELS: Record<StackPart, string> = {
  'data-dir': 'Data directory',
  bundle: 'Function bundles (esbuild)',
  dynamodb: 'DynamoDB Local',
  devnet: 'Devnet (chain + Lit nodes)',
  secrets: 'Secrets Manager stand-in',
  capacity: 'Capacity credits NFT',
  pkp: 'PKP (minted through POST /pkps)',
  'lit-actions': 'Lit Actions (served by CID, permitted for the PKPs)',
  config: 'Service config',
  functions: 'Functions (init, as provisioned concurrency)',
  delegation: 'Capacity delegation (refresher function)',
  http: 'HTTP API',
};

const HINTS: Record<StackPart, string> = {
  'data-dir': 'Check that the directory is writable, or pass another --data-dir',
  bundle: 'Run npm install; if a handler does not compile, npm run typecheck shows where',
  dynamodb: 'DynamoDB Local needs Java 17+ (java and javac on PATH); with --data-dir, the dynamodb folder in it must be writable',
  devnet: 'npm run devnet starts the devnet alone and shows its errors; with --data-dir, a devnet folder from another version can be removed (state is lost)',
  secrets: 'The stand-in listens on 127.0.0.1: check that loopback is available',
  capacity: 'The devnet chain refused the mint: npm run devnet shows whether the chain works',
  pkp: 'The MintPkp function failed: see its log lines (--verbose, or logs/functions.log in the data dir)',
  'lit-actions': 'The devnet chain refused addPermittedAction: npm run devnet shows whether the chain works',
  config: 'The local config is invalid or not deployable: check the configure() edits or the data dir state file',
  functions: 'A function failed its init: see its log lines (--verbose, or logs/functions.log in the data dir)',
  delegation: 'The refresher function could not sign a delegation: see its log lines (--verbose, or logs/functions.log)',
  http: 'Pass --port with a free port (--port 0 picks one)',
};

/** Runs one part with progress, turning any failure into a LocalStackError naming it. */
export type PartRunner = <T>(name: StackPart, run: () => Promise<T>, message?: (v: T) => string | undefined) => Promise<T>;

export function partRunner(progress: (p: ProgressEvent) => void): PartRunner {
  return async (name, run, message) => {
    const started = Date.now();
    progress({ part: name, phase: 'start', label: LABELS[name] });
    try {
      const value = await run();
      progress({ part: name, phase: 'done', label: LABELS[name], ms: Date.now() - started, message: message?.(value) });
      return value;
    } catch (e) {
      const error = e instanceof LocalStackError ? e : new LocalStackError(name, e instanceof Error ? e.message : String(e), HINTS[name]);
      progress({ part: name, phase: 'failed', label: LABELS[name], ms: Date.now() - started, message: error.message });
      throw error;
    }
  };
}

/** What to stop, in reverse order of start; each stop's failure is ignored so the rest still stop. */
export class Cleanups {
  private readonly steps: (() => Promise<unknown>)[] = [];
  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) await step().catch(() => undefined);
  }
}
