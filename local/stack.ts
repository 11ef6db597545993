/**
 * The local stack: the whole function set on one machine, no AWS account, no network. DynamoDB
 * Local (the npm-shipped jar), a loopback Secrets Manager, the devnet, the service's functions as
 * emulated Lambda environments running the bundles CDK deploys, and a local API Gateway serving
 * the route table the stack deploys.
 *
 * First run bootstraps like an operator would: the owner key goes into the secret, a capacity
 * credits NFT is minted, a PKP is minted through the service's own POST /pkps, the PKP is added to
 * the local caller's policy (a redeploy: every environment restarts with the new config), and the
 * refresher function makes the first delegation. The refresher then runs on its schedule.
 *
 * With `userConfig` (`npm start -- --config path.json`) the stack runs the user's own config, as
 * deployed, against the devnet (see `localizeConfig`): their callers, policy, delegation, session
 * and API settings, with only what names another network replaced.
 *
 *   const stack = await startLocalStack({ dataDir: '.local-stack' });
 *   await stack.request('POST', '/session-sigs', { body: { pkpPublicKey: stack.pkp.publicKey, ... } });
 *   await stack.stop();
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseServiceConfig, type CallerPolicy, type ServiceConfig } from '../functions/commons/config';
import { findCallerPolicy } from '../functions/commons/domain/policy';
import { functionEnvironment } from '../lib/function-environment';
import { ALL_FUNCTIONS, DELEGATION_REFRESHER, ROUTES } from '../lib/routes';
import { scheduleIntervalSeconds } from '../lib/schedule-interval';
import { litActionCid, startDevnet, type Devnet, type LitActionLimits, type NodeFaults } from '../devnet';
import { litContractsFor, mintCapacityToken } from '../devnet/fixtures';
import { bundleFunctions } from './bundle';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local';
import { FunctionHost, type InvokeOutcome, type LogLine } from './function-host';
import { apiGatewayEvent, CALLER_HEADER, LOCAL_ACCOUNT_ID, startGateway, type Gateway } from './http-gateway';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from './secrets-manager';

export { CALLER_HEADER, UNSIGNED_CALLER } from './http-gateway';

export const LOCAL_CALLERS = {
  app: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:user/local-app`,
  admin: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/local-admin`,
} as const;
export const LOCAL_TABLE_NAME = 'lit-session-service-local';
export const LOCAL_OWNER_KEY_SECRET = 'lit-session-service/owner-key';
/** Bootstrap record in the data dir; bump on an incompatible change. */
const STATE_FILE = 'local-stack.json';
const STATE_VERSION = 1;

export interface LocalPkp {
  publicKey: string;
  ethAddress: string;
  tokenId: string;
}

/** The service config as the stack builds it; `configure` edits it (it is validated again after). */
export type ServiceConfigInput = ServiceConfig;

export type StackPart = 'data-dir' | 'bundle' | 'dynamodb' | 'devnet' | 'secrets' | 'capacity' | 'pkp' | 'lit-actions' | 'config' | 'functions' | 'delegation' | 'http';

/** The example Lit Action `npm start` permits for its PKPs and allows its app caller to use by CID. */
export const EXAMPLE_LIT_ACTION_FILE = path.join(__dirname, 'lit-actions', 'allowlist.js');

export interface ProgressEvent {
  part: StackPart;
  phase: 'start' | 'done' | 'failed';
  /** What this part is, for people. */
  label: string;
  ms?: number;
  message?: string;
}

export interface LocalStackOptions {
  /** Keep all state here across restarts. Absent: fresh state in a temp dir, removed at stop. */
  dataDir?: string;
  /** HTTP port on 127.0.0.1. Default 0 (ephemeral). */
  port?: number;
  /** Devnet shape (when its state is fresh), faults, and Lit Action limits. */
  devnet?: { nodeCount?: number; threshold?: number; blockTimeMs?: number; faults?: Partial<NodeFaults>[]; litActionLimits?: Partial<LitActionLimits> };
  /**
   * More Lit Action code (`npm start -- --lit-action file.js`) for the devnet to serve by CID and
   * every local PKP to permit (scope 1), next to the example action. A caller still needs the CID
   * in its policy's `litActions.allowedCids`.
   */
  litActions?: string[];
  /** PKPs minted at bootstrap (all in the app caller's policy). Default 1. */
  pkpCount?: number;
  /**
   * Run this config (a user's `config/service.json`, validated, and checked deployable by the
   * caller) instead of the local one: see `localizeConfig` for what is replaced.
   */
  userConfig?: ServiceConfig;
  /** Edit the service config before the functions start; validated again after. */
  configure?: (config: ServiceConfigInput, ctx: { pkps: LocalPkp[]; callers: { app: string; admin: string } }) => ServiceConfigInput;
  /** Run the refresher every N ms. Default: the config's schedule; 0 = never. */
  refreshEveryMs?: number;
  /** POWERTOOLS_LOG_LEVEL of the functions. Default 'INFO'. */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /**
   * Execution environments per function at most (each runs one invocation at a time, as on
   * Lambda; requests beyond wait for a free one). Default 2.
   */
  maxEnvironmentsPerFunction?: number;
  /** The caller of requests without the caller header. Default LOCAL_CALLERS.app. */
  defaultCaller?: string;
  onLog?: (line: LogLine) => void;
  onProgress?: (p: ProgressEvent) => void;
}

/** A PKP the user's policy names, and the devnet PKP that stands for it locally. */
export interface PkpMapping {
  configured: string;
  local: LocalPkp;
}

export interface LocalStackInfo {
  url: string;
  pkps: LocalPkp[];
  /** With a user config: which devnet PKP stands for each PKP its policy names. */
  pkpMapping?: PkpMapping[];
  callers: { app: string; admin: string };
  capacityTokenId: string;
  ownerAddress: string;
  /** What `createLitNodeClient` (devnet/index.ts) needs to reach the devnet. */
  devnet: Pick<Devnet, 'litNodeClientConfig' | 'blockhashUrl'>;
}

export interface LocalResponse {
  status: number;
  headers: Record<string, string>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

export interface LocalStack {
  url: string;
  port: number;
  callers: { app: string; admin: string };
  pkp: LocalPkp;
  pkps: LocalPkp[];
  capacityTokenId: string;
  ownerAddress: string;
  dataDir: string;
  persistent: boolean;
  devnet: Devnet;
  dynamodb: DynamoDbLocal;
  secrets: SecretsManagerStandIn;
  config: ServiceConfig;
  /** With a user config: which devnet PKP stands for each PKP its policy names. */
  pkpMapping?: PkpMapping[];
  /** The caller of requests without the caller header. */
  defaultCaller: string;
  functions: {
    recycle(id?: string): Promise<void>;
    invocations(id: string): number;
    coldStarts(id: string): number;
    /** Environments of the function alive now. */
    environments(id: string): number;
  };
  /** Run the refresher function once, as the schedule would. */
  refreshNow(force?: boolean): Promise<{ outcome: string; version?: number; expiresAt?: number }>;
  request(method: 'GET' | 'POST', path: string, opts?: { caller?: string; body?: unknown; rawBody?: string | Buffer; headers?: Record<string, string> }): Promise<LocalResponse>;
  info(): LocalStackInfo;
  curl(): string;
  /** The example Lit Action: its file and CID (permitted for every local PKP; allowed for the local app caller by CID). */
  exampleLitAction: { file: string; cid: string };
  /** CIDs of `options.litActions`, in order. */
  litActionCids: string[];
  /**
   * Copy-paste curls authenticating with the example action: one it accepts, one it refuses.
   * Undefined when the default caller's policy does not allow the example action (a user config).
   */
  litActionCurls(): { accepted: string; refused: string } | undefined;
  stop(): Promise<void>;
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
  functions: 'Functions (cold start)',
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
  config: 'The local config is invalid: check the configure() edits or the data dir state file',
  functions: 'A function failed its init: see its log lines (--verbose, or logs/functions.log in the data dir)',
  delegation: 'The refresher function could not sign a delegation: see its log lines (--verbose, or logs/functions.log)',
  http: 'Pass --port with a free port (--port 0 picks one)',
};

interface StateRecord {
  version: number;
  createdAt: string;
  ownerAddress: string;
  capacityTokenId: string;
  pkps: LocalPkp[];
}

/** How often the refresher runs locally: a rate's interval; a cron's longest gap (the local scheduler has a fixed interval). */
export function scheduleToMs(expression: string): number {
  return scheduleIntervalSeconds(expression) * 1000;
}

function baseConfig(devnet: Devnet, capacityTokenId: string, pkps: LocalPkp[], exampleActionCid: string): ServiceConfig {
  const contracts = Object.fromEntries(Object.entries(devnet.contractsContext.customContext).map(([k, v]) => [k, v.address]));
  return parseServiceConfig({
    serviceName: 'lit-session-service',
    lit: { network: 'custom', custom: { rpcUrl: devnet.contractsContext.rpc, contracts, blockhashUrl: devnet.blockhashUrl }, connectTimeoutMs: 10_000, connectAttempts: 3 },
    ownerKeySecret: LOCAL_OWNER_KEY_SECRET,
    delegation: { capacityTokenId, validitySeconds: 86_400, refreshMarginSeconds: 21_600, uses: '100000', delegatees: 'policy-pkps', schedule: 'rate(1 hour)' },
    session: { defaultExpirationSeconds: 600 },
    policy: {
      callers: [
        {
          principal: LOCAL_CALLERS.app,
          pkps: pkps.map((p) => p.publicKey),
          abilities: [
            { resource: 'pkp', ability: 'pkp-signing' },
            // Not lit-action-execution: an action run with these sigs could sign with any PKP the owner holds (config.ts).
            { resource: 'access-control-condition', ability: 'access-control-condition-decryption' },
          ],
          allowWildcardResources: true,
          maxExpirationSeconds: 86_400,
          rateLimitPerMinute: 600,
          // The example action by CID only: inline code stays refused (the default).
          litActions: { allowedCids: [exampleActionCid], allowInlineCode: false },
        },
        { principal: LOCAL_CALLERS.admin, pkps: [], abilities: [], admin: true, rateLimitPerMinute: 60 },
      ],
    },
    api: { throttleRateLimit: 50, throttleBurstLimit: 100, maxBodyBytes: 16_384 },
    observability: { logRetentionDays: 30, auditRetentionDays: 90, delegationAlarmSeconds: 3_600 },
  });
}

/** The distinct PKP public keys a config's policy names, in order of first appearance (`*` aside). */
export function policyPkps(config: ServiceConfig): string[] {
  const keys: string[] = [];
  for (const caller of config.policy.callers) for (const k of caller.pkps) if (k !== '*' && !keys.includes(k)) keys.push(k);
  return keys;
}

/**
 * A user's config as it runs on the devnet. Replaced: the `lit` network (by the devnet's, a
 * `custom` network; the connect timeout and attempts are kept), `delegation.capacityTokenId` (by
 * the token minted on the devnet), and every PKP the policy names (by the devnet PKP `mapping`
 * gives it: the n-th distinct key by the n-th minted PKP). Everything else is the user's as
 * written: callers and their rights, `*` PKPs, delegation lifetime, margin, uses, delegatees and
 * schedule, session, API limits, the owner-key secret name (the stand-in serves the devnet owner's
 * key under it). Validated again by the same parser.
 */
export function localizeConfig(user: ServiceConfig, local: ServiceConfig, mapping: readonly PkpMapping[]): ServiceConfig {
  const byKey = new Map(mapping.map((m) => [m.configured, m.local.publicKey]));
  return parseServiceConfig({
    ...user,
    lit: { ...local.lit, connectTimeoutMs: user.lit.connectTimeoutMs, connectAttempts: user.lit.connectAttempts },
    delegation: { ...user.delegation, capacityTokenId: local.delegation.capacityTokenId },
    policy: {
      callers: user.policy.callers.map((c) => ({
        ...c,
        pkps: c.pkps.map((k) => {
          if (k === '*') return k;
          const mapped = byKey.get(k);
          if (!mapped) throw new Error(`no devnet PKP stands for ${k}`);
          return mapped;
        }),
      })),
    },
  });
}

/**
 * Who `npm start` calls as by default, and who the admin is. With a user config: its first
 * non-admin (then admin) policy entry, as an ARN it matches: the principal itself, or a pattern
 * with each `*` read as `local` (`…:assumed-role/app-backend-*` → `…:assumed-role/app-backend-local`)
 * when that ARN gets this very entry. Else the local callers.
 */
export function callersFor(user: ServiceConfig | undefined): { app: string; admin: string } {
  if (!user) return { ...LOCAL_CALLERS };
  const arnOf = (entry: CallerPolicy): string | undefined => {
    const arn = entry.principal.replace(/\*/g, 'local');
    return findCallerPolicy(user.policy, arn) === entry ? arn : undefined;
  };
  const first = (admin: boolean) => user.policy.callers.filter((c) => c.admin === admin).map(arnOf).find((a) => a !== undefined);
  return { app: first(false) ?? first(true) ?? LOCAL_CALLERS.app, admin: first(true) ?? LOCAL_CALLERS.admin };
}

function readState(file: string): StateRecord | undefined {
  if (!fs.existsSync(file)) return undefined;
  let state: StateRecord;
  try {
    state = JSON.parse(fs.readFileSync(file, 'utf8')) as StateRecord;
  } catch {
    throw new LocalStackError('data-dir', `${file} is not valid JSON`, 'Remove the data dir to start fresh (its state is lost)');
  }
  if (state.version !== STATE_VERSION) {
    throw new LocalStackError('data-dir', `${file} has state version ${state.version}, this version reads ${STATE_VERSION}`, 'Remove the data dir to start fresh (its state is lost)');
  }
  return state;
}

function writeState(file: string, state: StateRecord): void {
  const scratch = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(scratch, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(scratch, file);
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const progress = options.onProgress ?? (() => undefined);
  const onLog = options.onLog ?? (() => undefined);
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  };

  /** Runs one part with progress, turning any failure into a LocalStackError naming it. */
  async function part<T>(name: StackPart, run: () => Promise<T>, message?: (v: T) => string | undefined): Promise<T> {
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
  }

  try {
    const persistent = options.dataDir !== undefined;
    const dataDir = await part('data-dir', async () => {
      if (options.dataDir === undefined) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lit-session-local-'));
        cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
        return dir;
      }
      const dir = path.resolve(options.dataDir);
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.accessSync(dir, fs.constants.W_OK);
      return dir;
    }, (d) => d);
    const statePath = path.join(dataDir, STATE_FILE);
    const saved = readState(statePath);
    const exampleActionCode = fs.readFileSync(EXAMPLE_LIT_ACTION_FILE, 'utf8');
    const [exampleActionCid, ...litActionCids] = await Promise.all([exampleActionCode, ...(options.litActions ?? [])].map((code) => litActionCid(code)));

    // The three slow, independent parts start together.
    const [bundles, dynamodb, devnet] = await Promise.all([
      part('bundle', () => bundleFunctions(ALL_FUNCTIONS), (b) => (b.cached ? 'unchanged, reused' : 'built')),
      part('dynamodb', async () => {
        const ddb = await startDynamoDbLocal({ tableName: LOCAL_TABLE_NAME, ...(persistent ? { dataDir: path.join(dataDir, 'dynamodb') } : {}) });
        cleanups.push(() => ddb.stop());
        return ddb;
      }, (d) => d.endpoint),
      part('devnet', async () => {
        const d = await startDevnet({ ...options.devnet, litActions: [exampleActionCode, ...(options.litActions ?? [])], ...(persistent ? { stateDir: path.join(dataDir, 'devnet') } : {}) });
        cleanups.push(() => d.stop());
        return d;
      }, (d) => `${d.nodes.length} nodes, threshold ${d.threshold}`),
    ]);
    if (saved && saved.ownerAddress.toLowerCase() !== devnet.ownerWallet.address.toLowerCase()) {
      throw new LocalStackError('data-dir', `${statePath} names owner ${saved.ownerAddress}, but the devnet state holds ${devnet.ownerWallet.address}`, 'The data dir is inconsistent: remove it to start fresh (its state is lost)');
    }

    const secrets = await part('secrets', async () => {
      // The owner key under the local secret name (the bootstrap's config) and the user's, if any.
      const ownerSecret = JSON.stringify({ privateKey: devnet.ownerWallet.privateKey });
      const sm = await startSecretsManagerStandIn({ [LOCAL_OWNER_KEY_SECRET]: ownerSecret, ...(options.userConfig ? { [options.userConfig.ownerKeySecret]: ownerSecret } : {}) });
      cleanups.push(() => sm.stop());
      return sm;
    }, (s) => s.endpoint);

    const capacityTokenId = saved?.capacityTokenId ?? (await part('capacity', async () => {
      const contracts = litContractsFor(devnet, devnet.ownerWallet.privateKey);
      await contracts.connect();
      return mintCapacityToken(contracts);
    }, (id) => `token ${id}`));

    const logLevel = options.logLevel ?? 'INFO';
    const localEnvironment = (config: ServiceConfig) => (def: (typeof ALL_FUNCTIONS)[number]) => ({
      ...functionEnvironment(def, config, dynamodb.tableName),
      // What Lambda and the deployed stack provide, pointed at the local parts.
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      AWS_LAMBDA_FUNCTION_NAME: def.id,
      TZ: 'UTC',
      POWERTOOLS_LOG_LEVEL: logLevel,
      // No CloudWatch or X-Ray here: metrics and traces are off, logs stay.
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
    });

    let pkps = saved?.pkps ?? [];
    let config = baseConfig(devnet, capacityTokenId, pkps, exampleActionCid);
    const host = new FunctionHost({ functions: ALL_FUNCTIONS, bundles, environment: localEnvironment(config), onLog, maxEnvironments: options.maxEnvironmentsPerFunction });
    cleanups.push(() => host.stop());
    const callers = callersFor(options.userConfig);
    const defaultCaller = options.defaultCaller ?? callers.app;
    const gatewayHolder: { gateway?: Gateway } = {};
    // One devnet PKP per PKP the user's policy names (at least pkpCount); a restart mints only what is missing.
    const configured = options.userConfig ? policyPkps(options.userConfig) : [];
    const needed = Math.max(options.pkpCount ?? 1, configured.length);

    if (pkps.length < needed) {
      pkps = await part('pkp', async () => {
        const minted: LocalPkp[] = [...pkps];
        while (minted.length < needed) {
          const out = await host.invoke('MintPkp', apiGatewayEvent({ route: { method: 'POST', path: '/pkps' }, caller: LOCAL_CALLERS.admin, headers: { 'user-agent': 'local-stack-bootstrap' } }));
          const res = expectResult(out, 'MintPkp');
          if (res.statusCode !== 201) throw new Error(`POST /pkps answered ${res.statusCode} ${errorCodeOf(res.body)}`);
          const { pkp } = JSON.parse(res.body) as { pkp: LocalPkp };
          minted.push({ publicKey: pkp.publicKey, ethAddress: pkp.ethAddress, tokenId: pkp.tokenId });
        }
        return minted;
      }, (m) => m.map((p) => p.ethAddress).join(', '));
      writeState(statePath, { version: STATE_VERSION, createdAt: new Date().toISOString(), ownerAddress: devnet.ownerWallet.address, capacityTokenId, pkps });
    }

    // As an operator would: permit the actions for the PKPs (a chain transaction, once per PKP and action).
    await part('lit-actions', async () => {
      const contracts = litContractsFor(devnet, devnet.ownerWallet.privateKey);
      await contracts.connect();
      let added = 0;
      for (const pkp of pkps) {
        for (const cid of [exampleActionCid, ...litActionCids]) {
          if (await contracts.pkpPermissionsContractUtils.read.isPermittedAction(pkp.tokenId, cid)) continue;
          await contracts.addPermittedAction({ ipfsId: cid, pkpTokenId: pkp.tokenId, authMethodScopes: [1] });
          added++;
        }
      }
      return added;
    }, (added) => `example ${exampleActionCid}${litActionCids.length ? ` and ${litActionCids.length} more` : ''}; ${added} permission(s) added`);

    const pkpMapping = options.userConfig ? configured.map((k, i) => ({ configured: k, local: pkps[i] })) : undefined;
    config = await part('config', async () => {
      let next = baseConfig(devnet, capacityTokenId, pkps, exampleActionCid);
      if (options.userConfig) next = localizeConfig(options.userConfig, next, pkpMapping!);
      if (options.configure) next = parseServiceConfig(options.configure(structuredClone(next), { pkps, callers: { ...callers } }));
      // The PKP is now in the policy: a redeploy, as an operator would do after POST /pkps.
      await host.redeploy(localEnvironment(next));
      return next;
    }, (c) => `${c.policy.callers.length} callers${options.userConfig ? ' (your policy)' : ''}`);

    const refresh = async (force = false) => {
      const out = await host.invoke(DELEGATION_REFRESHER.id, force ? { force: true } : {});
      return expectResult(out, DELEGATION_REFRESHER.id) as unknown as { outcome: string; version?: number; expiresAt?: number };
    };
    await part('delegation', () => refresh(), (r) => `${r.outcome}, version ${r.version}`);

    await part('functions', async () => {
      const warmed = await host.prewarm('IssueSessionSigs');
      if (!warmed.ok) throw new Error(`IssueSessionSigs init failed (${warmed.errorType})`);
    });

    const info = (): LocalStackInfo => ({
      url: gatewayHolder.gateway?.url ?? '',
      pkps,
      ...(pkpMapping ? { pkpMapping } : {}),
      callers: { ...callers },
      capacityTokenId,
      ownerAddress: devnet.ownerWallet.address,
      devnet: { litNodeClientConfig: devnet.litNodeClientConfig, blockhashUrl: devnet.blockhashUrl },
    });

    const gateway = await part('http', async () => {
      const g = await startGateway({
        routes: ROUTES,
        invoke: (id, event) => host.invoke(id, event),
        defaultCaller,
        port: options.port ?? 0,
        localRoutes: { '/_local/info': info },
        onLog,
      });
      cleanups.push(() => g.close());
      return g;
    }, (g) => g.url);
    gatewayHolder.gateway = gateway;

    const every = options.refreshEveryMs ?? scheduleToMs(config.delegation.schedule);
    if (every > 0) {
      const timer = setInterval(() => {
        refresh().then(
          (r) => onLog({ source: 'scheduler', text: JSON.stringify({ level: 'INFO', message: 'scheduled refresh', outcome: r.outcome, version: r.version }) }),
          (e: Error) => onLog({ source: 'scheduler', text: JSON.stringify({ level: 'ERROR', message: 'scheduled refresh failed', error: e.message }) }),
        );
      }, every);
      timer.unref();
      cleanups.push(async () => clearInterval(timer));
    }

    let stopping: Promise<void> | undefined;
    const stack: LocalStack = {
      url: gateway.url,
      port: gateway.port,
      callers: { ...callers },
      defaultCaller,
      ...(pkpMapping ? { pkpMapping } : {}),
      pkp: pkps[0],
      pkps,
      capacityTokenId,
      ownerAddress: devnet.ownerWallet.address,
      dataDir,
      persistent,
      devnet,
      dynamodb,
      secrets,
      config,
      functions: {
        recycle: (id) => host.recycle(id),
        invocations: (id) => host.invocations(id),
        coldStarts: (id) => host.coldStartCount(id),
        environments: (id) => host.environmentCount(id),
      },
      refreshNow: refresh,
      request: (method, p, opts = {}) => httpRequest(gateway.url, method, p, opts),
      info,
      curl: () => {
        const pkp = pkpMapping?.[0]?.local ?? pkps[0];
        // `*` where the default caller may use it; else the PKP itself (a user's policy may not grant `*`).
        const wildcard = findCallerPolicy(config.policy, defaultCaller)?.allowWildcardResources ?? false;
        return curlFor(gateway.url, pkp, defaultCaller === LOCAL_CALLERS.app && !options.userConfig ? undefined : defaultCaller, wildcard ? '*' : pkp.tokenId);
      },
      exampleLitAction: { file: EXAMPLE_LIT_ACTION_FILE, cid: exampleActionCid },
      litActionCids,
      litActionCurls: () => {
        const allowed = findCallerPolicy(config.policy, defaultCaller)?.litActions?.allowedCids ?? [];
        if (!allowed.includes(exampleActionCid) && !allowed.includes('*')) return undefined;
        const pkp = pkpMapping?.[0]?.local ?? pkps[0];
        const caller = defaultCaller === LOCAL_CALLERS.app && !options.userConfig ? undefined : defaultCaller;
        const action = (user: string) => ({ litActionIpfsId: exampleActionCid, jsParams: { user } });
        return { accepted: curlFor(gateway.url, pkp, caller, pkp.tokenId, action('alice')), refused: curlFor(gateway.url, pkp, caller, pkp.tokenId, action('mallory')) };
      },
      stop: () => (stopping ??= cleanup()),
    };
    return stack;
  } catch (e) {
    await cleanup();
    throw e;
  }
}

function expectResult(out: InvokeOutcome, id: string): { statusCode: number; body: string } {
  if (out.kind === 'timeout') throw new Error(`${id} timed out`);
  if (out.kind === 'error') throw new Error(`${id} failed (${out.errorType})`);
  return out.value as { statusCode: number; body: string };
}

function errorCodeOf(body: string): string {
  try {
    return (JSON.parse(body) as { error?: { code?: string } }).error?.code ?? '';
  } catch {
    return '';
  }
}

async function httpRequest(
  base: string,
  method: 'GET' | 'POST',
  p: string,
  opts: { caller?: string; body?: unknown; rawBody?: string | Buffer; headers?: Record<string, string> },
): Promise<LocalResponse> {
  const headers: Record<string, string> = { ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers };
  if (opts.caller !== undefined) headers[CALLER_HEADER] = opts.caller;
  const body = typeof opts.rawBody === 'string' ? opts.rawBody : opts.rawBody ? new Uint8Array(opts.rawBody) : opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const res = await fetch(`${base}${p}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: the text
  }
  const resHeaders: Record<string, string> = {};
  res.headers.forEach((v, k) => (resHeaders[k] = v));
  return { status: res.status, headers: resHeaders, body: parsed, text };
}

/** The copy-paste curl `npm start` prints. */
export function curlFor(url: string, pkp: LocalPkp, caller?: string, resourceId = '*', extra: Record<string, unknown> = {}): string {
  const body = JSON.stringify({ pkpPublicKey: pkp.publicKey, resourceAbilityRequests: [{ resource: { kind: 'pkp', id: resourceId }, ability: 'pkp-signing' }], ...extra });
  const callerFlag = caller ? ` -H '${CALLER_HEADER}: ${caller}'` : '';
  return `curl -sS -X POST ${url}/session-sigs -H 'content-type: application/json'${callerFlag} -d '${body}'`;
}
