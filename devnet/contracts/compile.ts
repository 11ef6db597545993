/**
 * Compiles the devnet's Solidity contracts offline with solc-js 0.8.24 and writes
 * `artifacts.json` (abi + bytecode per contract). The artifacts are checked in so the devnet
 * never compiles at start; `test/devnet/chain/artifacts.test.ts` fails when they are stale.
 *
 * Run: `npm run devnet:compile` (tsx devnet/contracts/compile.ts).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The 11 contract names LitContracts needs for network 'custom', deployed by the devnet. The service
 * has the same list (functions/commons/config.ts); kept apart on purpose: the devnet imports nothing
 * from the service, so other projects can use it alone.
 */
export const LIT_CONTRACT_NAMES = [
  'Allowlist',
  'LITToken',
  'Multisender',
  'PKPHelper',
  'PKPNFT',
  'PKPNFTMetadata',
  'PKPPermissions',
  'PubkeyRouter',
  'RateLimitNFT',
  'Staking',
  'StakingBalances',
] as const;
export type LitContractName = (typeof LIT_CONTRACT_NAMES)[number];

export interface ContractArtifact {
  abi: unknown[];
  /** Creation bytecode, 0x-prefixed. */
  bytecode: string;
}

export interface ArtifactsFile {
  compiler: string;
  settings: { evmVersion: string; optimizer: { enabled: boolean; runs: number } };
  contracts: Record<LitContractName, ContractArtifact>;
}

export const CONTRACTS_DIR = __dirname;
export const ARTIFACTS_PATH = join(__dirname, 'artifacts.json');

/**
 * 'paris' (no PUSH0 from shanghai) was the newest EVM version ganache 7.9.2 ran. anvil runs it as
 * well as anything newer; the target stays, since new bytecode would change the contracts
 * fingerprint that every saved devnet state directory is checked against.
 */
const SETTINGS = { evmVersion: 'paris', optimizer: { enabled: true, runs: 200 } };

interface SolcOutput {
  errors?: { severity: 'error' | 'warning' | 'info'; formattedMessage: string }[];
  contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
}

/** Compile every `*.sol` in this folder; throws with solc's messages on any error. */
export function compileContracts(): ArtifactsFile {
  // solc-js is a 9 MB emscripten module: load it only when compiling.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- solc-js is 9 MB: loaded only when compiling
  const solc = require('solc') as { compile(input: string): string; version(): string };
  const sources: Record<string, { content: string }> = {};
  for (const file of readdirSync(CONTRACTS_DIR)
    .filter((f) => f.endsWith('.sol'))
    .sort()) {
    sources[file] = { content: readFileSync(join(CONTRACTS_DIR, file), 'utf8') };
  }
  const input = {
    language: 'Solidity',
    sources,
    settings: { ...SETTINGS, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) {
    throw new Error(`solc failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  }
  const contracts = {} as Record<LitContractName, ContractArtifact>;
  for (const name of LIT_CONTRACT_NAMES) {
    const compiled = output.contracts[`${name}.sol`]?.[name];
    if (!compiled) throw new Error(`solc output lacks ${name} (expected in ${name}.sol)`);
    contracts[name] = { abi: compiled.abi, bytecode: `0x${compiled.evm.bytecode.object}` };
  }
  return { compiler: solc.version(), settings: SETTINGS, contracts };
}

/** The checked-in artifacts, as the devnet deploys them. */
export function loadArtifacts(): ArtifactsFile {
  return JSON.parse(readFileSync(ARTIFACTS_PATH, 'utf8')) as ArtifactsFile;
}

if (require.main === module) {
  const started = Date.now();
  const artifacts = compileContracts();
  writeFileSync(ARTIFACTS_PATH, `${JSON.stringify(artifacts, null, 1)}\n`);
  const sizes = LIT_CONTRACT_NAMES.map((n) => `${n} ${(artifacts.contracts[n].bytecode.length - 2) / 2} B`);
  console.log(`compiled with solc ${artifacts.compiler} in ${Date.now() - started} ms -> ${ARTIFACTS_PATH}\n  ${sizes.join('\n  ')}`);
}
