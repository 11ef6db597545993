/**
 * The owner's Ethereum private key, from Secrets Manager through Powertools `getSecret` (cached
 * for `maxAgeSeconds`, so a warm environment reads it about once per five minutes and a
 * rotated key is picked up without a redeploy).
 *
 * The secret holds either the raw key (`0x` + 64 hex) or JSON `{"privateKey":"0x…"}`. Any
 * failure is OWNER_KEY_UNAVAILABLE with a message that names neither the value nor its shape.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Wallet } from 'ethers';
import { ServiceError } from '../errors';
import type { OwnerKeySource } from '../ports';
import { OWNER_KEY_SECRET_ENV } from '../table';
import { DEPENDENCY_ATTEMPT_TIMEOUT_MS, DEPENDENCY_CONNECT_TIMEOUT_MS, withinBudget } from '../dependency-budget';

const PRIVATE_KEY = /^(0x)?[0-9a-fA-F]{64}$/;
export const OWNER_KEY_MAX_AGE_SECONDS = 300;

export type SecretFetcher = (name: string, options: { maxAge: number }) => Promise<unknown>;

export interface OwnerKeySourceOptions {
  /** @default process.env.OWNER_KEY_SECRET */
  secretName?: string;
  /** @default OWNER_KEY_MAX_AGE_SECONDS */
  maxAgeSeconds?: number;
  /** @default Powertools getSecret */
  fetch?: SecretFetcher;
}

const unavailable = (why: string, cause?: unknown) =>
  new ServiceError('OWNER_KEY_UNAVAILABLE', `The owner key is unavailable: ${why}`, { cause, details: { retryAfterSeconds: 30 } });

/** Extracts the private key from the secret's value; undefined when it is neither accepted shape. */
export function parseOwnerKeySecret(value: unknown): string | undefined {
  let text: string | undefined;
  if (typeof value === 'string') text = value.trim();
  else if (value instanceof Uint8Array) text = Buffer.from(value).toString('utf8').trim();
  if (text === undefined) return undefined;
  if (PRIVATE_KEY.test(text)) return text.startsWith('0x') ? text : `0x${text}`;
  if (!text.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    const key = typeof parsed === 'object' && parsed !== null ? (parsed as { privateKey?: unknown }).privateKey : undefined;
    if (typeof key === 'string' && PRIVATE_KEY.test(key)) return key.startsWith('0x') ? key : `0x${key}`;
  } catch {
    // fall through: not JSON
  }
  return undefined;
}

/**
 * Powertools' cached getSecret over a client with attempt timeouts (the SDK's default has none)
 * and two attempts: the call budget (dependency-budget.ts) bounds them together.
 */
function defaultFetcher(): SecretFetcher {
  let provider: SecretsProvider | undefined;
  return (name, opts) => {
    provider ??= new SecretsProvider({
      awsSdkV3Client: new SecretsManagerClient({
        maxAttempts: 2,
        requestHandler: { connectionTimeout: DEPENDENCY_CONNECT_TIMEOUT_MS, requestTimeout: DEPENDENCY_ATTEMPT_TIMEOUT_MS },
      }),
    });
    return provider.get(name, opts);
  };
}

/**
 * An OwnerKeySource: resolves to the owner wallet (an ethers Wallet, whose JSON form carries no
 * key). The wallet object is rebuilt only when the secret's value changes.
 */
export function createOwnerKeySource(options: OwnerKeySourceOptions = {}): OwnerKeySource {
  const fetch: SecretFetcher = options.fetch ?? defaultFetcher();
  const maxAge = options.maxAgeSeconds ?? OWNER_KEY_MAX_AGE_SECONDS;
  let lastKey: string | undefined;
  let lastWallet: Wallet | undefined;

  return async () => {
    const secretName = options.secretName ?? process.env[OWNER_KEY_SECRET_ENV];
    if (!secretName) throw unavailable(`${OWNER_KEY_SECRET_ENV} is not set`);
    let value: unknown;
    try {
      // Bounded: a stalled Secrets Manager costs OWNER_KEY_UNAVAILABLE within the call budget, not a hang.
      value = await withinBudget('Secrets Manager', () => fetch(secretName, { maxAge }));
    } catch (e) {
      throw unavailable('the secret could not be read', e);
    }
    const key = parseOwnerKeySecret(value);
    if (key === undefined) throw unavailable('the secret is not a 0x-hex private key or {"privateKey":"0x…"}');
    if (key === lastKey && lastWallet) return lastWallet;
    // ethers is loaded here, not at module load: functions that never read the key never load it.
    const { ethers } = await import('ethers');
    try {
      lastWallet = new ethers.Wallet(key);
    } catch {
      throw unavailable('the secret is not a valid secp256k1 private key');
    }
    lastKey = key;
    return lastWallet;
  };
}
