/**
 * `npm run devnet`: start a devnet and keep it up until SIGINT/SIGTERM.
 *
 * stdout: one JSON document, the config a client needs (see `DevnetConfigJson`). It includes the
 * owner wallet's PRIVATE KEY: a throwaway key created for this devnet run, printed so that other
 * processes can mint PKPs and capacity credits with it. Never point real funds at it.
 * stderr: progress and the measured start time.
 *
 * Flags: --nodes <n> (default 3), --threshold <t> (default 2), --no-payment (pkpSign without a
 * capacity delegation, like datil-dev), --port-base <p> (nodes on p, p+1, …; default ephemeral),
 * --block-time-ms <ms> (default 2000), --state-dir <dir> (keep the devnet there and come back to it
 * on the next start: same chain, owner wallet, contracts, network key and PKPs; see
 * `StartDevnetOptions.stateDir`). With --state-dir, the owner key printed is the saved one.
 * --lit-action <file> (repeatable: serve that file's Lit Action code by its IPFS CID, printed in
 * `litActions`; the devnet has no IPFS), --lit-action-timeout-ms <ms> (default 30000, the real node's).
 */
import fs from 'node:fs';
import { litActionCid, startDevnet, type Devnet, type StartDevnetOptions } from './index';

export interface CliOptions {
  nodeCount: number;
  threshold: number;
  requirePayment: boolean;
  portBase?: number;
  blockTimeMs?: number;
  stateDir?: string;
  /** --state-dir without --nodes or --threshold: a saved devnet keeps its own shape (a new one gets the defaults). */
  shapeFromState?: true;
  /** --lit-action files, in order. */
  litActionFiles: string[];
  litActionTimeoutMs?: number;
}

/** What the CLI prints on stdout. */
export interface DevnetConfigJson {
  litNodeClientConfig: Devnet['litNodeClientConfig'];
  /** Set `client._blockHashUrl` to this after constructing a LitNodeClient. */
  blockhashUrl: string;
  contractsContext: Devnet['contractsContext'];
  /** A devnet-only throwaway key, printed on purpose; see the file comment. */
  ownerWallet: Devnet['ownerWallet'];
  networkPublicKey: string;
  nodes: Devnet['nodes'];
  threshold: number;
  requirePayment: boolean;
  chainId: number;
  startupMs: number;
  /** With --state-dir: the directory, and whether this start restored it. */
  stateDir?: string;
  restored: boolean;
  /** The --lit-action files and the CIDs the nodes serve them under. */
  litActions: { file: string; cid: string }[];
}

export class CliUsageError extends Error {}

function intFlag(name: string, value: string | undefined, min: number): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < min) throw new CliUsageError(`${name} needs a whole number >= ${min}`);
  return n;
}

export function parseCliArgs(argv: string[]): CliOptions {
  const options: CliOptions = { nodeCount: 3, threshold: 2, requirePayment: true, litActionFiles: [] };
  let thresholdGiven = false;
  let nodesGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--nodes':
        options.nodeCount = intFlag('--nodes', value(), 1);
        nodesGiven = true;
        break;
      case '--threshold':
        options.threshold = intFlag('--threshold', value(), 1);
        thresholdGiven = true;
        break;
      case '--no-payment':
        options.requirePayment = false;
        break;
      case '--port-base':
        options.portBase = intFlag('--port-base', value(), 1);
        break;
      case '--block-time-ms':
        options.blockTimeMs = intFlag('--block-time-ms', value(), 0);
        break;
      case '--state-dir': {
        const dir = value();
        if (!dir || dir.startsWith('--')) throw new CliUsageError('--state-dir needs a directory');
        options.stateDir = dir;
        break;
      }
      case '--lit-action': {
        const file = value();
        if (!file || file.startsWith('--')) throw new CliUsageError('--lit-action needs a file');
        options.litActionFiles.push(file);
        break;
      }
      case '--lit-action-timeout-ms':
        options.litActionTimeoutMs = intFlag('--lit-action-timeout-ms', value(), 10);
        break;
      default:
        throw new CliUsageError(`unknown argument: ${arg}`);
    }
  }
  if (!thresholdGiven) options.threshold = Math.min(options.threshold, options.nodeCount);
  // (--port-base names one port per node, so it needs the node count: it keeps the flags' shape.)
  if (options.stateDir !== undefined && !nodesGiven && !thresholdGiven && options.portBase === undefined) options.shapeFromState = true;
  if (options.threshold > options.nodeCount) throw new CliUsageError('--threshold cannot exceed --nodes');
  if (options.portBase !== undefined && options.portBase + options.nodeCount - 1 > 65535) throw new CliUsageError('--port-base too high');
  return options;
}

/** Reads the --lit-action files (a usage error names the file that cannot be read). */
export function readLitActionFiles(files: string[]): string[] {
  return files.map((file) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      throw new CliUsageError(`--lit-action: cannot read ${file}`);
    }
  });
}

export function toStartOptions(cli: CliOptions, litActionCodes: string[] = []): StartDevnetOptions {
  return {
    ...(litActionCodes.length > 0 ? { litActions: litActionCodes } : {}),
    ...(cli.litActionTimeoutMs === undefined ? {} : { litActionLimits: { timeoutMs: cli.litActionTimeoutMs } }),
    ...(cli.shapeFromState ? {} : { nodeCount: cli.nodeCount, threshold: cli.threshold }),
    requirePayment: cli.requirePayment,
    ports: cli.portBase === undefined ? undefined : Array.from({ length: cli.nodeCount }, (_, i) => cli.portBase! + i),
    blockTimeMs: cli.blockTimeMs,
    ...(cli.stateDir === undefined ? {} : { stateDir: cli.stateDir }),
  };
}

export function configJson(devnet: Devnet, startupMs: number, litActions: DevnetConfigJson['litActions'] = []): DevnetConfigJson {
  return {
    litNodeClientConfig: devnet.litNodeClientConfig,
    blockhashUrl: devnet.blockhashUrl,
    contractsContext: devnet.contractsContext,
    ownerWallet: devnet.ownerWallet,
    networkPublicKey: devnet.networkPublicKey,
    nodes: devnet.nodes,
    threshold: devnet.threshold,
    requirePayment: devnet.requirePayment,
    chainId: devnet.chain.chainId,
    startupMs,
    ...(devnet.stateDir === undefined ? {} : { stateDir: devnet.stateDir }),
    restored: devnet.restored,
    litActions,
  };
}

async function main(): Promise<void> {
  let cli: CliOptions;
  let litActionCodes: string[];
  try {
    cli = parseCliArgs(process.argv.slice(2));
    litActionCodes = readLitActionFiles(cli.litActionFiles);
  } catch (e) {
    process.stderr.write(
      `devnet: ${(e as Error).message}\nusage: npm run devnet -- [--nodes n] [--threshold t] [--no-payment] [--port-base p] [--block-time-ms ms] [--state-dir dir] [--lit-action file]... [--lit-action-timeout-ms ms]\n`,
    );
    process.exitCode = 2;
    return;
  }
  const shape = cli.shapeFromState ? `the nodes saved in ${cli.stateDir} (3, threshold 2, if new)` : `${cli.nodeCount} nodes, threshold ${cli.threshold}`;
  process.stderr.write(`devnet: starting chain and ${shape}; payment ${cli.requirePayment ? 'required' : 'off'}…\n`);
  const started = process.hrtime.bigint();
  const devnet = await startDevnet(toStartOptions(cli, litActionCodes));
  const litActions = await Promise.all(cli.litActionFiles.map(async (file, i) => ({ file, cid: await litActionCid(litActionCodes[i]) })));
  const startupMs = Number((process.hrtime.bigint() - started) / 1_000_000n);
  if (devnet.stateDir) process.stderr.write(`devnet: ${devnet.restored ? 'restored' : 'created'} state in ${devnet.stateDir}\n`);
  process.stderr.write(
    `devnet: up in ${startupMs} ms (${Math.round(process.uptime() * 1000)} ms since the process started); chain ${devnet.litNodeClientConfig.rpcUrl}; nodes ${devnet.nodes.map((n) => n.url).join(' ')}\n`,
  );
  process.stderr.write('devnet: the JSON on stdout includes the owner wallet private key (a throwaway devnet key). Ctrl-C to stop.\n');
  process.stdout.write(`${JSON.stringify(configJson(devnet, startupMs, litActions), null, 2)}\n`);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`devnet: ${signal}, stopping…\n`);
    devnet
      .stop()
      .then(() => {
        process.stderr.write('devnet: stopped\n');
        process.exitCode = 0;
      })
      .catch((e: Error) => {
        process.stderr.write(`devnet: stop failed: ${e.message}\n`);
        process.exitCode = 1;
      });
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

if (require.main === module) {
  main().catch((e: Error) => {
    process.stderr.write(`devnet: failed to start: ${e.message}\n`);
    process.exitCode = 1;
  });
}
