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
import { parseServiceConfig, type ServiceConfig } from '../functions/commons/config';
import { findCallerPolicy } from '../functions/commons/domain/policy';
import { functionEnvironment } from '../lib/function-environment';
import { ALL_FUNCTIONS, DELEGATION_REFRESHER, ROUTES, type FunctionDef } from '../lib/routes';
import { litActionCid, startDevnet, type Devnet, type LitActionLimits, type NodeFaults } from '../devnet';
import { litContractsFor, mintCapacityToken } from '../devnet/fixtures';
import { bundleFunctions, type Bundles } from './bundle';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local';
import { FunctionHost, type InvokeOutcome, type LogLine } from './function-host';
import { curlFor, httpRequest, type LocalRequestOptions, type LocalResponse } from './http-client';
import { apiGatewayEvent, startGateway } from './http-gateway';
import {
  callersFor,
  EXAMPLE_LIT_ACTION_FILE,
  LOCAL_CALLERS,
  LOCAL_OWNER_KEY_SECRET,
  localConfig,
  localizeConfig,
  policyPkps,
  scheduleToMs,
  type LocalPkp,
  type PkpMapping,
} from './local-config';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from './secrets-manager';
import { Cleanups, LocalStackError, partRunner, type PartRunner, type ProgressEvent } from './stack-parts';
import { readState, STATE_FILE, STATE_VERSION, writeState, type StateRecord } from './state-file';

export { CALLER_HEADER, UNSIGNED_CALLER } from './http-gateway';
export { LOCAL_CALLERS, type LocalPkp, type PkpMapping } from './local-config';
export type { LocalResponse } from './http-client';
export { LocalStackError, type ProgressEvent, type StackPart } from './stack-parts';

export const LOCAL_TABLE_NAME = 'lit-session-service-local';

/** The service config as the stack builds it; `configure` edits it (it is validated again after). */
export type ServiceConfigInput = ServiceConfig;

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
  request(method: 'GET' | 'POST', path: string, opts?: LocalRequestOptions): Promise<LocalResponse>;
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

type RefreshOutcome = { outcome: string; version?: number; expiresAt?: number };

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const part = partRunner(options.onProgress ?? (() => undefined));
  const onLog = options.onLog ?? (() => undefined);
  const cleanups = new Cleanups();
  // The deploy checks bring the CDK (about 1 s to load): loaded while the slow parts start.
  const deployChecks = import('../lib/deploy-checks');
  deployChecks.catch(() => undefined);
  try {
    const persistent = options.dataDir !== undefined;
    const dataDir = await part(
      'data-dir',
      async () => prepareDataDir(options.dataDir, cleanups),
      (d) => d,
    );
    const statePath = path.join(dataDir, STATE_FILE);
    const saved = readState(statePath);
    const actions = await litActionsOf(options.litActions ?? []);
    const services = await startServices(part, cleanups, { options, dataDir, persistent, actions });
    const { devnet } = services;
    if (saved && saved.ownerAddress.toLowerCase() !== devnet.ownerWallet.address.toLowerCase()) {
      throw new LocalStackError(
        'data-dir',
        `${statePath} names owner ${saved.ownerAddress}, but the devnet state holds ${devnet.ownerWallet.address}`,
        'The data dir is inconsistent: remove it to start fresh (its state is lost)',
      );
    }
    const secrets = await part(
      'secrets',
      () => startOwnerKeySecrets(devnet, options.userConfig, cleanups),
      (s) => s.endpoint,
    );
    const capacityTokenId =
      saved?.capacityTokenId ??
      (await part(
        'capacity',
        () => mintCapacity(devnet),
        (id) => `token ${id}`,
      ));

    const environmentFor = localEnvironment(services.dynamodb, secrets, options.logLevel ?? 'INFO');
    const host = new FunctionHost({
      functions: ALL_FUNCTIONS,
      bundles: services.bundles,
      environment: environmentFor(localConfig(devnet, capacityTokenId, saved?.pkps ?? [], actions.exampleCid)),
      onLog,
      maxEnvironments: options.maxEnvironmentsPerFunction,
    });
    cleanups.add(() => host.stop());
    const callers = callersFor(options.userConfig);
    const defaultCaller = options.defaultCaller ?? callers.app;

    // One devnet PKP per PKP the user's policy names (at least pkpCount); a restart mints only what is missing.
    const configured = options.userConfig ? policyPkps(options.userConfig) : [];
    let pkps = saved?.pkps ?? [];
    const needed = Math.max(options.pkpCount ?? 1, configured.length);
    if (pkps.length < needed) {
      pkps = await part(
        'pkp',
        () => mintPkps(host, pkps, needed),
        (m) => m.map((p) => p.ethAddress).join(', '),
      );
      writeState(statePath, {
        version: STATE_VERSION,
        createdAt: new Date().toISOString(),
        ownerAddress: devnet.ownerWallet.address,
        capacityTokenId,
        pkps,
      } satisfies StateRecord);
    }
    await part(
      'lit-actions',
      () => permitLitActions(devnet, pkps, [actions.exampleCid, ...actions.cids]),
      (added) => `example ${actions.exampleCid}${actions.cids.length ? ` and ${actions.cids.length} more` : ''}; ${added} permission(s) added`,
    );

    const pkpMapping = options.userConfig ? configured.map((k, i) => ({ configured: k, local: pkps[i] })) : undefined;
    const config = await part(
      'config',
      async () => {
        let next = localConfig(devnet, capacityTokenId, pkps, actions.exampleCid);
        if (options.userConfig) next = localizeConfig(options.userConfig, next, pkpMapping!);
        if (options.configure) next = parseServiceConfig(options.configure(structuredClone(next), { pkps, callers: { ...callers } }));
        // What runs here would synthesise: the checks cdk synth makes (lib/deploy-checks.ts).
        (await deployChecks).validateDeployable(next);
        // The PKP is now in the policy: a redeploy, as an operator would do after POST /pkps.
        await host.redeploy(environmentFor(next));
        return next;
      },
      (c) => `${c.policy.callers.length} callers${options.userConfig ? ' (your policy)' : ''}`,
    );

    const refresh = async (force = false): Promise<RefreshOutcome> => {
      const out = await host.invoke(DELEGATION_REFRESHER.id, force ? { force: true } : {});
      return expectResult(out, DELEGATION_REFRESHER.id) as unknown as RefreshOutcome;
    };
    await part(
      'delegation',
      () => refresh(),
      (r) => `${r.outcome}, version ${r.version}`,
    );
    await part('functions', async () => {
      // One environment's init ahead of the first request, as provisioned concurrency would: its
      // module code only; the first request still waits for what that code started (the Lit connection).
      const warmed = await host.prewarm('IssueSessionSigs');
      if (!warmed.ok) throw new Error(`IssueSessionSigs init failed (${warmed.errorType})`);
    });

    const facts = { pkps, pkpMapping, callers, capacityTokenId, devnet };
    const gatewayUrl: { url?: string } = {};
    const gateway = await part(
      'http',
      async () => {
        const g = await startGateway({
          routes: ROUTES,
          invoke: (id, event) => host.invoke(id, event),
          defaultCaller,
          port: options.port ?? 0,
          localRoutes: { '/_local/info': () => stackInfo(gatewayUrl.url ?? '', facts) },
          onLog,
        });
        cleanups.add(() => g.close());
        return g;
      },
      (g) => g.url,
    );
    gatewayUrl.url = gateway.url;

    startScheduler(options.refreshEveryMs ?? scheduleToMs(config.delegation.schedule), refresh, onLog, cleanups);

    const curls = new CurlPrinter(gateway.url, config, defaultCaller, options.userConfig !== undefined, pkpMapping?.[0]?.local ?? pkps[0], actions.exampleCid);
    let stopping: Promise<void> | undefined;
    return {
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
      dynamodb: services.dynamodb,
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
      info: () => stackInfo(gateway.url, facts),
      curl: () => curls.issue(),
      exampleLitAction: { file: EXAMPLE_LIT_ACTION_FILE, cid: actions.exampleCid },
      litActionCids: actions.cids,
      litActionCurls: () => curls.litAction(),
      stop: () => (stopping ??= cleanups.run()),
    };
  } catch (e) {
    await cleanups.run();
    throw e;
  }
}

/** The data dir, or a temp dir removed at stop. */
function prepareDataDir(dataDir: string | undefined, cleanups: Cleanups): string {
  if (dataDir === undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lit-session-local-'));
    cleanups.add(async () => fs.rmSync(dir, { recursive: true, force: true }));
    return dir;
  }
  const dir = path.resolve(dataDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.accessSync(dir, fs.constants.W_OK);
  return dir;
}

interface LitActions {
  /** Every action's code: the example first. */
  codes: string[];
  exampleCid: string;
  /** CIDs of the extra actions, in order. */
  cids: string[];
}

async function litActionsOf(extra: string[]): Promise<LitActions> {
  const codes = [fs.readFileSync(EXAMPLE_LIT_ACTION_FILE, 'utf8'), ...extra];
  const [exampleCid, ...cids] = await Promise.all(codes.map((code) => litActionCid(code)));
  return { codes, exampleCid, cids };
}

/** The three slow, independent parts, started together: bundles, DynamoDB Local, the devnet. */
async function startServices(
  part: PartRunner,
  cleanups: Cleanups,
  ctx: { options: LocalStackOptions; dataDir: string; persistent: boolean; actions: LitActions },
): Promise<{ bundles: Bundles; dynamodb: DynamoDbLocal; devnet: Devnet }> {
  const { options, dataDir, persistent } = ctx;
  const [bundles, dynamodb, devnet] = await Promise.all([
    part(
      'bundle',
      () => bundleFunctions(ALL_FUNCTIONS),
      (b) => (b.cached ? 'unchanged, reused' : 'built'),
    ),
    part(
      'dynamodb',
      async () => {
        const ddb = await startDynamoDbLocal({ tableName: LOCAL_TABLE_NAME, ...(persistent ? { dataDir: path.join(dataDir, 'dynamodb') } : {}) });
        cleanups.add(() => ddb.stop());
        return ddb;
      },
      (d) => d.endpoint,
    ),
    part(
      'devnet',
      async () => {
        const d = await startDevnet({ ...options.devnet, litActions: ctx.actions.codes, ...(persistent ? { stateDir: path.join(dataDir, 'devnet') } : {}) });
        cleanups.add(() => d.stop());
        return d;
      },
      (d) => `${d.nodes.length} nodes, threshold ${d.threshold}`,
    ),
  ]);
  return { bundles, dynamodb, devnet };
}

/** The owner key under the local secret name (the bootstrap's config) and the user's, if any. */
async function startOwnerKeySecrets(devnet: Devnet, userConfig: ServiceConfig | undefined, cleanups: Cleanups): Promise<SecretsManagerStandIn> {
  const ownerSecret = JSON.stringify({ privateKey: devnet.ownerWallet.privateKey });
  const sm = await startSecretsManagerStandIn({ [LOCAL_OWNER_KEY_SECRET]: ownerSecret, ...(userConfig ? { [userConfig.ownerKeySecret]: ownerSecret } : {}) });
  cleanups.add(() => sm.stop());
  return sm;
}

async function mintCapacity(devnet: Devnet): Promise<string> {
  const contracts = litContractsFor(devnet, devnet.ownerWallet.privateKey);
  await contracts.connect();
  return mintCapacityToken(contracts);
}

/** A function's environment: what the deployed stack sets, plus what Lambda provides, pointed at the local parts. */
function localEnvironment(dynamodb: DynamoDbLocal, secrets: SecretsManagerStandIn, logLevel: string) {
  return (config: ServiceConfig) => (def: FunctionDef) => ({
    ...functionEnvironment(def, config, dynamodb.tableName),
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
}

/** PKPs minted through the service's own POST /pkps, as an operator would, until there are `needed`. */
async function mintPkps(host: FunctionHost, have: LocalPkp[], needed: number): Promise<LocalPkp[]> {
  const minted: LocalPkp[] = [...have];
  while (minted.length < needed) {
    const out = await host.invoke(
      'MintPkp',
      apiGatewayEvent({ route: { method: 'POST', path: '/pkps' }, caller: LOCAL_CALLERS.admin, headers: { 'user-agent': 'local-stack-bootstrap' } }),
    );
    const res = expectResult(out, 'MintPkp');
    if (res.statusCode !== 201) throw new Error(`POST /pkps answered ${res.statusCode} ${errorCodeOf(res.body)}`);
    const { pkp } = JSON.parse(res.body) as { pkp: LocalPkp };
    minted.push({ publicKey: pkp.publicKey, ethAddress: pkp.ethAddress, tokenId: pkp.tokenId });
  }
  return minted;
}

/** As an operator would: permit the actions for the PKPs (a chain transaction, once per PKP and action). Returns how many were added. */
async function permitLitActions(devnet: Devnet, pkps: LocalPkp[], cids: string[]): Promise<number> {
  const contracts = litContractsFor(devnet, devnet.ownerWallet.privateKey);
  await contracts.connect();
  let added = 0;
  for (const pkp of pkps) {
    for (const cid of cids) {
      if (await contracts.pkpPermissionsContractUtils.read.isPermittedAction(pkp.tokenId, cid)) continue;
      await contracts.addPermittedAction({ ipfsId: cid, pkpTokenId: pkp.tokenId, authMethodScopes: [1] });
      added++;
    }
  }
  return added;
}

/** Runs the refresher every `everyMs` (0: never), as the schedule would; outcomes go to the log. */
function startScheduler(everyMs: number, refresh: () => Promise<RefreshOutcome>, onLog: (line: LogLine) => void, cleanups: Cleanups): void {
  if (everyMs <= 0) return;
  const timer = setInterval(() => {
    refresh().then(
      (r) => onLog({ source: 'scheduler', text: JSON.stringify({ level: 'INFO', message: 'scheduled refresh', outcome: r.outcome, version: r.version }) }),
      (e: Error) => onLog({ source: 'scheduler', text: JSON.stringify({ level: 'ERROR', message: 'scheduled refresh failed', error: e.message }) }),
    );
  }, everyMs);
  timer.unref();
  cleanups.add(async () => clearInterval(timer));
}

/** `GET /_local/info`: what a client of the local stack needs; nothing secret. */
function stackInfo(
  url: string,
  f: { pkps: LocalPkp[]; pkpMapping?: PkpMapping[]; callers: { app: string; admin: string }; capacityTokenId: string; devnet: Devnet },
): LocalStackInfo {
  return {
    url,
    pkps: f.pkps,
    ...(f.pkpMapping ? { pkpMapping: f.pkpMapping } : {}),
    callers: { ...f.callers },
    capacityTokenId: f.capacityTokenId,
    ownerAddress: f.devnet.ownerWallet.address,
    devnet: { litNodeClientConfig: f.devnet.litNodeClientConfig, blockhashUrl: f.devnet.blockhashUrl },
  };
}

/** The curls `npm start` prints, for the default caller and what its policy allows. */
class CurlPrinter {
  /** The caller header, unless the default caller is the gateway's own default (then the curl is shorter). */
  private readonly callerFlag: string | undefined;
  constructor(
    private readonly url: string,
    private readonly config: ServiceConfig,
    private readonly defaultCaller: string,
    userConfig: boolean,
    private readonly pkp: LocalPkp,
    private readonly exampleCid: string,
  ) {
    this.callerFlag = defaultCaller === LOCAL_CALLERS.app && !userConfig ? undefined : defaultCaller;
  }

  issue(): string {
    // `*` where the default caller may use it; else the PKP itself (a user's policy may not grant `*`).
    const wildcard = findCallerPolicy(this.config.policy, this.defaultCaller)?.allowWildcardResources ?? false;
    return curlFor(this.url, this.pkp, this.callerFlag, wildcard ? '*' : this.pkp.tokenId);
  }

  litAction(): { accepted: string; refused: string } | undefined {
    const allowed = findCallerPolicy(this.config.policy, this.defaultCaller)?.litActions?.allowedCids ?? [];
    if (!allowed.includes(this.exampleCid) && !allowed.includes('*')) return undefined;
    const action = (user: string) => ({ litActionIpfsId: this.exampleCid, jsParams: { user } });
    return {
      accepted: curlFor(this.url, this.pkp, this.callerFlag, this.pkp.tokenId, action('alice')),
      refused: curlFor(this.url, this.pkp, this.callerFlag, this.pkp.tokenId, action('mallory')),
    };
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
