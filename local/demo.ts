/**
 * `npm run demo`: what a backend does with the service, end to end. It asks the service for PKP
 * session sigs over HTTP (POST /session-sigs), then signs a message with the PKP through the real
 * Lit SDK's `pkpSign` on the devnet using only those sigs, and checks the signature recovers to
 * the PKP's address.
 *
 * Against a running `npm start` (http://127.0.0.1:8787, or --url); when nothing answers there and
 * no --url was given, it starts its own local stack in-process and stops it at the end.
 *
 *   npm run demo                      # use npm start if it runs, else start a stack
 *   npm run demo -- --url http://127.0.0.1:9000
 *   npm run demo -- --own-stack       # always start a stack in-process
 *
 * Exit 0 when the recovered address is the PKP's; 1 with a message saying what failed otherwise.
 * Prints no secret: session sigs are used, never shown.
 */
import { ethers } from 'ethers';
import { createLitNodeClient, disconnectLitNodeClient, type DevnetLitNodeClientConfig } from '../devnet';
// The gateway module is light (node built-ins only): the caller header has one definition.
import { CALLER_HEADER } from './http-gateway';

export const DEFAULT_URL = 'http://127.0.0.1:8787';
export const DEMO_MESSAGE = 'Hello from lit-session-service: signed by a PKP with session sigs issued over HTTP';

interface DemoPkp {
  publicKey: string;
  ethAddress: string;
  tokenId: string;
}

/** The parts of GET /_local/info the demo uses. */
interface LocalInfo {
  url: string;
  pkps: DemoPkp[];
  devnet: { litNodeClientConfig: DevnetLitNodeClientConfig; blockhashUrl: string };
}

interface Options {
  url?: string;
  caller?: string;
  ownStack: boolean;
  help: boolean;
}

/** A failure the demo explains: what went wrong and what to do. */
export class DemoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoError';
  }
}

const USAGE = `Usage: npm run demo [-- --url URL] [--caller ARN] [--own-stack]

Issues PKP session sigs over HTTP, then signs with the PKP through the Lit SDK using them.
  --url URL      the local stack to use (default ${DEFAULT_URL}; a stack is started in-process
                 when nothing answers there and no --url is given)
  --caller ARN   the caller identity (x-local-caller-arn); default: the server's default caller
  --own-stack    always start a local stack in-process (and stop it at the end)
  --help         this text`;

export function parseDemoArgs(argv: readonly string[]): Options {
  const o: Options = { ownStack: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new DemoError(`${a} needs a value. ${USAGE}`);
      return v;
    };
    if (a === '--url') o.url = value().replace(/\/+$/, '');
    else if (a === '--caller') o.caller = value();
    else if (a === '--own-stack') o.ownStack = true;
    else if (a === '--help' || a === '-h') o.help = true;
    else throw new DemoError(`unknown argument ${a}.\n${USAGE}`);
  }
  return o;
}

/** GET <url>/_local/info, or undefined when nothing answers there (connection refused, timeout). */
async function fetchInfo(url: string): Promise<LocalInfo | undefined> {
  let res: Response;
  try {
    res = await fetch(`${url}/_local/info`, { signal: AbortSignal.timeout(3_000) });
  } catch {
    return undefined;
  }
  if (res.status !== 200) throw new DemoError(`${url}/_local/info answered ${res.status}: is this a lit-session-service local stack (npm start)?`);
  const info = (await res.json().catch(() => undefined)) as LocalInfo | undefined;
  if (!info?.pkps?.length || !info.devnet?.litNodeClientConfig) throw new DemoError(`${url}/_local/info did not describe a local stack with a PKP`);
  return info;
}

/**
 * Signs `message` (its keccak256 digest) with the PKP through the real SDK, authorised only by
 * `sessionSigs`, and recovers the signer's address. Used by the e2e tests too.
 */
export async function signWithSessionSigs(
  devnet: LocalInfo['devnet'],
  pkpPublicKey: string,
  sessionSigs: Record<string, unknown>,
  message: string = DEMO_MESSAGE,
): Promise<{ digest: string; signature: string; recoveredAddress: string }> {
  const client = createLitNodeClient(devnet);
  try {
    await client.connect();
    const digestBytes = ethers.utils.arrayify(ethers.utils.keccak256(ethers.utils.toUtf8Bytes(message)));
    const result = await client.pkpSign({ pubKey: pkpPublicKey, toSign: digestBytes, sessionSigs: sessionSigs as never });
    return {
      digest: ethers.utils.hexlify(digestBytes),
      signature: result.signature,
      recoveredAddress: ethers.utils.recoverAddress(digestBytes, result.signature),
    };
  } finally {
    await disconnectLitNodeClient(client);
  }
}

type Print = (line: string) => void;

/** The first line of a foreign error's message, cut short; withheld if it carries long hex (a sig or key). */
function safeFirstLine(message: unknown): string {
  const line = String(message).split('\n')[0].slice(0, 200);
  return /[0-9a-fA-F]{40,}/.test(line) ? '(message withheld: it quotes key or signature material)' : line;
}

/** The demo itself; returns normally when the signature recovers to the PKP, throws otherwise. */
export async function runDemo(
  options: Options,
  print: Print = (l) => process.stdout.write(`${l}\n`),
  note: Print = (l) => process.stderr.write(`${l}\n`),
): Promise<void> {
  let stop: (() => Promise<void>) | undefined;
  try {
    const url = options.url ?? DEFAULT_URL;
    let info = options.ownStack ? undefined : await fetchInfo(url);
    let where = `${url} (a running local stack)`;
    if (!info) {
      if (options.url !== undefined && !options.ownStack)
        throw new DemoError(`nothing answers at ${url}. Start the local stack there (npm start), or leave out --url to let the demo start one`);
      note(
        options.ownStack ? 'Starting a local stack in-process...' : `Nothing answers at ${url}: starting a local stack in-process (takes a little while)...`,
      );
      // Loaded only here: the stack pulls in DynamoDB Local, the devnet and esbuild.
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when needed: the stack pulls in DynamoDB Local, the devnet and esbuild
      const { startLocalStack } = require('./stack') as typeof import('./stack');
      const stack = await startLocalStack({
        refreshEveryMs: 0,
        onProgress: (p) => {
          if (p.phase !== 'start')
            note(
              `  ${p.phase === 'done' ? '✓' : '✗'} ${p.label}${p.ms === undefined ? '' : `  ${(p.ms / 1000).toFixed(1)} s`}${p.phase === 'failed' && p.message ? `: ${p.message}` : ''}`,
            );
        },
      });
      stop = () => stack.stop();
      info = stack.info() as LocalInfo;
      where = `${stack.url} (started in-process)`;
    }
    const pkp = info.pkps[0];
    print('lit-session-service demo');
    print(`  service      ${where}`);
    print(`  PKP          ${pkp.publicKey}`);
    print(`  PKP address  ${ethers.utils.getAddress(pkp.ethAddress)}`);

    // 1. Session sigs over HTTP, as any backend would ask for them.
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.caller) headers[CALLER_HEADER] = options.caller;
    const body = { pkpPublicKey: pkp.publicKey, resourceAbilityRequests: [{ resource: { kind: 'pkp', id: pkp.tokenId }, ability: 'pkp-signing' }] };
    let res: Response;
    try {
      res = await fetch(`${info.url}/session-sigs`, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(60_000) });
    } catch (e) {
      throw new DemoError(`POST ${info.url}/session-sigs failed: ${(e as Error).message}. Is the local stack still running?`);
    }
    const text = await res.text();
    let issued: { sessionSigs?: Record<string, unknown>; expiresAt?: string; walletSigSource?: string; error?: { code: string; message: string } } = {};
    try {
      issued = JSON.parse(text);
    } catch {
      // reported below
    }
    if (res.status !== 200 || !issued.sessionSigs) {
      const why = issued.error ? `${issued.error.code}: ${issued.error.message}` : text.slice(0, 200);
      throw new DemoError(`POST /session-sigs answered ${res.status} (${why}). Check the caller's policy, or the stack's log`);
    }
    print(
      `1. POST /session-sigs -> 200: session sigs for ${Object.keys(issued.sessionSigs).length} nodes, wallet sig from ${issued.walletSigSource}, valid until ${issued.expiresAt}`,
    );

    // 2. The real SDK signs with the PKP on the devnet, authorised by those sigs only.
    print('2. pkpSign on the devnet with those session sigs');
    let signed: Awaited<ReturnType<typeof signWithSessionSigs>>;
    try {
      signed = await signWithSessionSigs(info.devnet, pkp.publicKey, issued.sessionSigs);
    } catch (e) {
      const err = e as { errorCode?: string; errorKind?: string; message?: string };
      throw new DemoError(
        `pkpSign failed (${err.errorCode ?? err.errorKind ?? 'error'}): ${safeFirstLine(err.message ?? e)}. Check the devnet (npm start's log) and that the PKP is in the delegation`,
      );
    }
    const expected = ethers.utils.getAddress(pkp.ethAddress);
    print(`  message      "${DEMO_MESSAGE}"`);
    print(`  digest       ${signed.digest} (keccak256 of the message)`);
    print(`  signature    ${signed.signature}`);
    print(`  recovered    ${signed.recoveredAddress}`);
    const same = signed.recoveredAddress === expected;
    print(`recovered address == PKP address: ${same ? 'yes' : 'no'}`);
    if (!same) throw new DemoError(`the signature recovers to ${signed.recoveredAddress}, not the PKP's ${expected}`);
  } finally {
    if (stop) await stop();
  }
}

async function main(): Promise<number> {
  try {
    const options = parseDemoArgs(process.argv.slice(2));
    if (options.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    await runDemo(options);
    return 0;
  } catch (e) {
    const name = (e as Error)?.name;
    const message =
      e instanceof DemoError
        ? e.message
        : name === 'LocalStackError'
          ? `the local stack did not start: ${(e as Error).message}`
          : `unexpected ${name ?? 'error'}: ${safeFirstLine((e as Error)?.message ?? e)}`;
    process.stderr.write(`demo failed: ${message}\n`);
    return 1;
  }
}

if (require.main === module) {
  // Explicit exit: SDK and stack timers must not keep the demo alive once it has answered.
  main().then((code) => process.exit(code));
}
