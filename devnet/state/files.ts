/**
 * File primitives for the devnet state directory: owner-only permissions (the files hold private
 * keys), atomic replacement (a crash mid-write leaves the old file, never half a file), and JSON
 * reads that fail with the file's name rather than a bare SyntaxError.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DevnetStateError } from './errors';

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

/** Create `dir` (and parents) if needed, and make it owner-only. */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  fs.chmodSync(dir, DIR_MODE);
}

/** Replace `file` with `text` atomically, mode 0600: write a temp file, fsync, rename. */
export function writePrivateFileSync(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`);
  fs.rmSync(tmp, { force: true });
  const fd = fs.openSync(tmp, 'wx', FILE_MODE);
  try {
    fs.writeFileSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.chmodSync(tmp, FILE_MODE); // in case a umask narrowed it oddly; never wider than 0600
  fs.renameSync(tmp, file);
}

/** `writePrivateFileSync` without blocking the event loop (for large files: the chain's state). */
export async function writePrivateFile(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`);
  await fs.promises.rm(tmp, { force: true });
  const handle = await fs.promises.open(tmp, 'wx', FILE_MODE);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.promises.chmod(tmp, FILE_MODE);
  await fs.promises.rename(tmp, file);
}

export function writePrivateJsonSync(file: string, value: unknown): void {
  writePrivateFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Parse `file` as JSON: DEVNET_STATE_PARTIAL when it is missing, DEVNET_STATE_CORRUPT when it is
 * not JSON or `check` rejects it (`check` returns a reason, or undefined when the value is fine).
 */
export function readStateJson<T>(file: string, check: (value: unknown) => string | undefined): T {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DevnetStateError(
        'DEVNET_STATE_PARTIAL',
        file,
        `${file} is missing: the state directory is incomplete (a first start that did not finish, or a file deleted). Restore the file or start with an empty directory.`,
      );
    }
    throw new DevnetStateError('DEVNET_STATE_CORRUPT', file, `cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's message can quote file contents (key material): name the file only.
    throw new DevnetStateError('DEVNET_STATE_CORRUPT', file, `${file} is not valid JSON (truncated or edited?). Restore it, or start with an empty directory.`);
  }
  const problem = check(value);
  if (problem) throw new DevnetStateError('DEVNET_STATE_CORRUPT', file, `${file} is not a valid devnet state file: ${problem}.`);
  return value as T;
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isHex = (v: unknown, bytes?: number): v is string =>
  typeof v === 'string' && (bytes === undefined ? /^0x([0-9a-fA-F]{2})+$/ : new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`)).test(v);
