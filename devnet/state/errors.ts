/**
 * Why a devnet state directory cannot be used. Each refusal has a stable code and names the file
 * at fault, so that a user (or the local stack's start-up message) can say what to do; a state
 * directory is never silently replaced by a fresh devnet, since the PKPs and capacity credits
 * minted on it would be lost. Messages never carry key material.
 */
export const DEVNET_STATE_ERROR_CODES = [
  /** devnet-state.json has a `version` this code does not read, or chain/ holds a ganache database (before the chain ran on anvil). */
  'DEVNET_STATE_VERSION',
  /** The state was made for another nodeCount / threshold / chainId than the one asked for. */
  'DEVNET_STATE_MISMATCH',
  /** A state file exists but cannot be read, or its contents contradict each other or the chain. */
  'DEVNET_STATE_CORRUPT',
  /** Some state files are missing (a first start that did not finish, or files deleted by hand). */
  'DEVNET_STATE_PARTIAL',
  /** Another running devnet holds this state directory. */
  'DEVNET_STATE_IN_USE',
  /** The path is not a directory, or holds files that are not a devnet's. */
  'DEVNET_STATE_NOT_A_STATE_DIR',
] as const;

export type DevnetStateErrorCode = (typeof DEVNET_STATE_ERROR_CODES)[number];

export class DevnetStateError extends Error {
  readonly code: DevnetStateErrorCode;
  /** The file or directory at fault (absolute path). */
  readonly file: string;

  constructor(code: DevnetStateErrorCode, file: string, message: string, options: { cause?: unknown } = {}) {
    super(`${code}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DevnetStateError';
    this.code = code;
    this.file = file;
  }
}
