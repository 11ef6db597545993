/**
 * The local stack's bootstrap record in a data dir (`local-stack.json`): what the first start
 * minted, so a restart reuses it instead of minting again.
 */
import * as fs from 'node:fs';
import type { LocalPkp } from './local-config';
import { LocalStackError } from './stack-parts';

export const STATE_FILE = 'local-stack.json';
/** Bump on an incompatible change. */
export const STATE_VERSION = 1;

export interface StateRecord {
  version: number;
  createdAt: string;
  ownerAddress: string;
  capacityTokenId: string;
  pkps: LocalPkp[];
}

export function readState(file: string): StateRecord | undefined {
  if (!fs.existsSync(file)) return undefined;
  let state: StateRecord;
  try {
    state = JSON.parse(fs.readFileSync(file, 'utf8')) as StateRecord;
  } catch {
    throw new LocalStackError('data-dir', `${file} is not valid JSON`, 'Remove the data dir to start fresh (its state is lost)');
  }
  if (state.version !== STATE_VERSION) {
    throw new LocalStackError(
      'data-dir',
      `${file} has state version ${state.version}, this version reads ${STATE_VERSION}`,
      'Remove the data dir to start fresh (its state is lost)',
    );
  }
  return state;
}

/** Written aside and renamed into place: a crash never leaves half a file. */
export function writeState(file: string, state: StateRecord): void {
  const scratch = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(scratch, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(scratch, file);
}
