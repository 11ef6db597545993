/**
 * Reads the service config file at synth time. The path comes from CDK context so that one app
 * can be synthesized for several deployments (`-c lit-session-service:config=config/prod.json`).
 * A bad file fails synth with every problem listed and the file named: a bad config never deploys.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Node } from 'constructs';
import { ConfigError, parseServiceConfig, type ServiceConfig } from '../functions/commons/config';

/** CDK context key that names the config file (cdk.json sets it to `config/service.json`). */
export const CONFIG_CONTEXT_KEY = 'lit-session-service:config';

/** Stable codes for the ways a config file can fail to load. */
export type ConfigFileErrorCode = 'CONFIG_PATH_MISSING' | 'CONFIG_FILE_UNREADABLE' | 'CONFIG_FILE_NOT_JSON' | 'CONFIG_INVALID';

/** Why synth stopped before building anything; the message names the file and every problem. */
export class ConfigFileError extends Error {
  readonly code: ConfigFileErrorCode;
  /** The file as the user named it (absolute when resolved), or undefined when none was named. */
  readonly file?: string;
  /** Each problem as `path: message`, when the file parsed as JSON but failed validation. */
  readonly problems: string[];

  constructor(code: ConfigFileErrorCode, message: string, file?: string, problems: string[] = []) {
    super(message);
    this.name = 'ConfigFileError';
    this.code = code;
    this.file = file;
    this.problems = problems;
  }
}

export interface LoadedConfig {
  config: ServiceConfig;
  /** Absolute path of the file that was read. */
  file: string;
}

/**
 * Reads and validates one config file.
 * @param file path, relative to `baseDir`
 * @param baseDir @default process.cwd() (the CDK CLI runs the app from the project root)
 */
export function readConfigFile(file: string, baseDir: string = process.cwd()): LoadedConfig {
  const abs = path.resolve(baseDir, file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? 'read failed';
    throw new ConfigFileError('CONFIG_FILE_UNREADABLE', `lit-session-service config file ${abs} cannot be read (${reason})`, abs);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigFileError('CONFIG_FILE_NOT_JSON', `lit-session-service config file ${abs} is not valid JSON: ${(e as Error).message}`, abs);
  }
  try {
    return { config: parseServiceConfig(raw), file: abs };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new ConfigFileError('CONFIG_INVALID', `lit-session-service config file ${abs} is invalid:\n  - ${e.problems.join('\n  - ')}`, abs, e.problems);
  }
}

/**
 * Reads the file named by the `lit-session-service:config` context value of `node` (an App or
 * any construct under it).
 */
export function loadConfigFromContext(node: Node, baseDir?: string): LoadedConfig {
  const file: unknown = node.tryGetContext(CONFIG_CONTEXT_KEY);
  if (typeof file !== 'string' || file.length === 0) {
    throw new ConfigFileError(
      'CONFIG_PATH_MISSING',
      `No lit-session-service config file named: set context '${CONFIG_CONTEXT_KEY}' in cdk.json or pass -c ${CONFIG_CONTEXT_KEY}=path/to/config.json`,
    );
  }
  return readConfigFile(file, baseDir);
}
