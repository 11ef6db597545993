/**
 * `npm start`: the local stack in the foreground. Progress goes to stderr as each part starts;
 * the ready banner (URL, PKP, a copy-paste curl) to stdout. Ctrl-C stops everything.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { ServiceConfig } from '../functions/commons/config';
import { NODE_MAJOR } from '../lib/function-defaults';
import { ConfigFileError, readConfigFile } from '../lib/load-config';
import { CALLER_HEADER, LOCAL_CALLERS, LocalStackError, startLocalStack, type LocalStack, type ProgressEvent } from './stack';

const USAGE = `Usage: npm start -- [options]

Runs the service on this machine: DynamoDB Local, a Secrets Manager stand-in, the devnet (a local
Lit network) and the service's functions behind a local HTTP API. No AWS account, no network.

Options:
  --config FILE         run your own config (config/service.json's format): your callers and
                        policy against the devnet. Its network, capacity token and PKPs are
                        replaced by the devnet's (each PKP your policy names gets a devnet PKP);
                        the file is checked as cdk synth checks it first
  --port N              HTTP port on 127.0.0.1 (default 8787; 0 picks a free one)
  --data-dir DIR        keep state (tables, devnet chain and keys, PKP) in DIR across restarts;
                        without it every start is fresh
  --caller ARN          the IAM caller of requests without the ${CALLER_HEADER} header
                        (default ${LOCAL_CALLERS.app}; with --config, your policy's first
                        caller, a pattern's * read as 'local')
  --nodes N             Lit nodes in a fresh devnet (default 3, threshold 2)
  --log-level LEVEL     function log level: DEBUG, INFO, WARN, ERROR (default INFO)
  --concurrency N       execution environments per function (default 2); more requests queue
  --refresh-every SECS  run the delegation refresher this often (default: its schedule, 1 hour)
  --lit-action FILE     Lit Action code for the devnet to serve by its CID and every local PKP to
                        permit (repeatable; the example local/lit-actions/allowlist.js always is);
                        a caller needs the CID in its policy's litActions.allowedCids
  --verbose             print function log lines to stderr too
  --help                this text
`;

function fail(message: string): never {
  process.stderr.write(`failed: ${message}\n`);
  process.exit(1);
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '' : `${(ms / 1000).toFixed(1)} s`;
}

/** The banner's Lit Action part: the example's CID and a curl it accepts and one it refuses; the --lit-action CIDs. */
function litActionLines(stack: LocalStack): string[] {
  const curls = stack.litActionCurls();
  const extra = stack.litActionCids.map((cid) => `  --lit-action served and permitted as ${cid}`);
  if (!curls) return extra.length ? [...extra, ''] : [];
  return [
    `Authenticate with a Lit Action instead (${path.relative(process.cwd(), stack.exampleLitAction.file)}, ${stack.exampleLitAction.cid}): user alice passes, mallory is refused (403 LIT_ACTION_DENIED):`,
    curls.accepted,
    curls.refused,
    ...extra,
    '',
  ];
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: 'string' },
        port: { type: 'string', default: '8787' },
        'data-dir': { type: 'string' },
        caller: { type: 'string' },
        nodes: { type: 'string' },
        'log-level': { type: 'string', default: 'INFO' },
        'refresh-every': { type: 'string' },
        concurrency: { type: 'string' },
        'lit-action': { type: 'string', multiple: true },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (e) {
    fail(`arguments: ${(e as Error).message}. See npm start -- --help`);
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  const port = Number(args.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`arguments: --port must be 0..65535, got '${args.port}'`);
  const nodes = args.nodes === undefined ? undefined : Number(args.nodes);
  if (nodes !== undefined && (!Number.isInteger(nodes) || nodes < 1 || nodes > 10)) fail(`arguments: --nodes must be 1..10, got '${args.nodes}'`);
  const level = String(args['log-level']).toUpperCase();
  if (!['DEBUG', 'INFO', 'WARN', 'ERROR'].includes(level)) fail(`arguments: --log-level must be DEBUG, INFO, WARN or ERROR`);
  const refreshEvery = args['refresh-every'] === undefined ? undefined : Number(args['refresh-every']);
  if (refreshEvery !== undefined && (!Number.isFinite(refreshEvery) || refreshEvery < 0)) fail(`arguments: --refresh-every must be a number of seconds`);
  const concurrency = args.concurrency === undefined ? undefined : Number(args.concurrency);
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16))
    fail(`arguments: --concurrency must be 1..16, got '${args.concurrency}'`);
  if (args.caller !== undefined && !/^arn:aws[a-z-]*:(iam|sts)::\d{12}:/.test(args.caller))
    fail(`arguments: --caller must be an IAM or STS ARN, got '${args.caller}'`);

  // The user's config: read, validated and checked deployable before anything starts, with the
  // messages cdk synth would print for the same file.
  let userConfig: ServiceConfig | undefined;
  if (args.config !== undefined) {
    let file = path.resolve(args.config);
    try {
      const loaded = readConfigFile(args.config);
      file = loaded.file;
      // Before anything starts, on the file as written; the stack checks the config it deploys again.
      const { validateDeployable } = await import('../lib/deploy-checks');
      validateDeployable(loaded.config);
      userConfig = loaded.config;
    } catch (e) {
      if (e instanceof ConfigFileError) fail(`config: ${e.message}`);
      const code = (e as { code?: string }).code;
      if (code === 'CONFIG_NOT_DEPLOYABLE' || code === 'LAMBDA_ENV_TOO_LARGE')
        fail(`config: lit-session-service config file ${file}: ${(e as Error).message} (${code}: cdk synth refuses it too)`);
      throw e;
    }
  }

  const litActions = (args['lit-action'] ?? []).map((file) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      fail(`arguments: --lit-action: cannot read ${file}`);
    }
  });

  const dataDir = args['data-dir'];
  // Fresh state leaves nothing behind, its log included; a data dir keeps its log with its state.
  const scratchLogs = dataDir ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'lit-session-service-logs-'));
  const removeScratch = () => scratchLogs && fs.rmSync(scratchLogs, { recursive: true, force: true });
  process.once('exit', removeScratch);
  const logFile = dataDir ? path.resolve(dataDir, 'logs', 'functions.log') : path.join(scratchLogs!, 'functions.log');
  fs.mkdirSync(path.dirname(logFile), { recursive: true, mode: 0o700 });
  const log = fs.createWriteStream(logFile, { flags: 'a', mode: 0o600 });
  const verbose = args.verbose;

  const err = (s: string) => process.stderr.write(s);
  err(`Starting the local stack${dataDir ? ` (data dir ${path.resolve(dataDir)})` : ' (fresh state; --data-dir keeps it)'} on Node ${process.version}\n`);
  // npm start runs the Node package.json pins; a direct `npx tsx local/cli.ts` may not.
  if (Number(process.versions.node.split('.')[0]) !== NODE_MAJOR) {
    err(`  ! Node ${process.version} is not the functions' runtime (Node ${NODE_MAJOR}, as deployed): run it through npm start\n`);
  }
  const onProgress = (p: ProgressEvent) => {
    if (p.phase === 'start') err(`  … ${p.label}\n`);
    else if (p.phase === 'done') err(`  ✓ ${p.label.padEnd(42)} ${seconds(p.ms).padStart(7)}${p.message ? `  ${p.message}` : ''}\n`);
    else err(`  ✗ ${p.label.padEnd(42)} ${seconds(p.ms).padStart(7)}\n`);
  };

  const started = Date.now();
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      userConfig,
      dataDir,
      port,
      devnet: nodes === undefined ? undefined : { nodeCount: nodes, threshold: Math.min(2, nodes) },
      logLevel: level as 'INFO',
      refreshEveryMs: refreshEvery === undefined ? undefined : refreshEvery * 1000,
      defaultCaller: args.caller,
      maxEnvironmentsPerFunction: concurrency,
      litActions,
      onProgress,
      onLog: (line) => {
        const text = `${line.source}\t${line.text}\n`;
        log.write(text);
        if (verbose) err(text);
      },
    });
  } catch (e) {
    log.end();
    if (e instanceof LocalStackError) fail(`${e.part}: ${e.what}. ${e.hint}`);
    fail(`${(e as Error).message}`);
  }

  const caller = stack.defaultCaller;
  const pkp = stack.pkpMapping?.[0]?.local ?? stack.pkp;
  // With --config, each PKP of the user's policy and the devnet PKP that stands for it.
  const mapping = (stack.pkpMapping ?? []).flatMap((m) => [
    `  PKP      ${m.local.publicKey} (for ${m.configured.slice(0, 14)}… of your policy)`,
    `  address  ${m.local.ethAddress}`,
  ]);
  process.stdout.write(
    [
      '',
      `lit-session-service local stack ready at ${stack.url}`,
      `  started in ${seconds(Date.now() - started)}`,
      ...(userConfig ? [`  config   ${path.resolve(args.config!)}: your policy (${userConfig.policy.callers.length} callers) on the devnet`] : []),
      ...(mapping.length > 0 ? mapping : [`  PKP      ${pkp.publicKey}`, `  address  ${pkp.ethAddress}`]),
      `  caller   ${caller} (default; set the ${CALLER_HEADER} header per request; admin: ${stack.callers.admin})`,
      `  devnet   ${stack.devnet.nodes.length} Lit nodes, chain ${stack.devnet.contractsContext.rpc}`,
      `  state    ${stack.persistent ? stack.dataDir : 'fresh (removed at stop; --data-dir keeps it)'}`,
      `  logs     ${logFile}${dataDir ? '' : ' (removed at stop; --verbose prints them, --data-dir keeps them)'}`,
      '',
      'Issue session sigs:',
      stack.curl(),
      '',
      ...litActionLines(stack),
      `Routes: POST /session-sigs, GET /delegation, POST /delegation/refresh, GET /pkps, POST /pkps, GET /health. npm run demo signs with the PKP. Ctrl-C stops.`,
      '',
    ].join('\n'),
  );

  // One Ctrl-C can arrive twice: the terminal signals the whole process group, and a wrapper in
  // it (npm start, npx) forwards the same signal a few ms later. Only a signal a moment after the
  // first is a second Ctrl-C ("stop now, skip the cleanup").
  const REPEAT_SIGNAL_MS = 1000;
  let stoppingSince: number | undefined;
  const stop = (signal: string) => {
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince < REPEAT_SIGNAL_MS) return;
      err(`${signal} again: exiting now\n`);
      process.exit(130);
    }
    stoppingSince = Date.now();
    err(`\n${signal}: stopping…\n`);
    stack.stop().then(
      () => {
        log.end(() => {
          process.stdout.write('stopped\n');
          process.exit(0);
        });
      },
      (e: Error) => {
        err(`stop failed: ${e.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

void main();
