/**
 * The chain on disk: anvil's whole state (every block, transaction, receipt, account, contract
 * and storage slot) as one JSON document, `<dbPath>/state.json`, read back at start with anvil's
 * `--load-state`. The devnet writes it itself, from `anvil_dumpState`, and replaces it atomically
 * (temp file, fsync, rename): a process killed mid-write leaves the previous state, never half a
 * file. (anvil's own `--dump-state`/`--state-interval` write the file in place.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { ethers } from 'ethers';
import { DevnetStateError } from '../state/errors';
import { isObject, readStateJson, writePrivateFile } from '../state/files';

export const CHAIN_STATE_FILE = 'state.json';

export const chainStateFile = (dbPath: string): string => path.join(dbPath, CHAIN_STATE_FILE);

const gunzipAsync = promisify(gunzip);

/** Dump anvil's state and replace `file` with it atomically (mode 0600). */
export async function saveChainState(provider: ethers.providers.JsonRpcProvider, file: string): Promise<void> {
  // anvil_dumpState answers with gzip'd JSON as 0x-hex; --load-state reads the JSON.
  const dumped = (await provider.send('anvil_dumpState', [])) as string;
  const json = await gunzipAsync(Buffer.from(dumped.startsWith('0x') ? dumped.slice(2) : dumped, 'hex'));
  await writePrivateFile(file, json);
}

/**
 * Refuse, with a DevnetStateError naming the file, a chain state that anvil cannot load: missing
 * (DEVNET_STATE_PARTIAL), not JSON (truncated or edited) or not shaped as anvil's state
 * (DEVNET_STATE_CORRUPT). Checked before anvil starts, so the message is the devnet's, not anvil's.
 */
export function checkChainStateFile(file: string): void {
  readStateJson(file, (value) => {
    if (!isObject(value)) return 'not a JSON object';
    if (!isObject(value.accounts)) return 'no accounts';
    if (!Array.isArray(value.blocks) || value.blocks.length === 0) return 'no blocks';
    const best = value.best_block_number;
    if (!(Number.isInteger(best) || (typeof best === 'string' && /^0x[0-9a-fA-F]+$/.test(best)))) return 'no best_block_number';
    return undefined;
  });
}

/** True when `dbPath` holds a ganache (leveldb) chain database, from before the devnet ran anvil. */
export function isGanacheDatabase(dbPath: string): boolean {
  return fs.existsSync(path.join(dbPath, 'CURRENT')) && !fs.existsSync(chainStateFile(dbPath));
}

/** A chain state that anvil refused at start (`--load-state`): name the file. */
export function chainStateRefused(file: string, anvilMessage: string, cause: unknown): DevnetStateError {
  return new DevnetStateError(
    'DEVNET_STATE_CORRUPT',
    file,
    `the chain state ${file} cannot be loaded by anvil (${anvilMessage}). Restore it, or start with an empty directory.`,
    { cause },
  );
}
