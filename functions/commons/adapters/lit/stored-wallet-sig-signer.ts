/**
 * Repeat issuance at the CPU floor: when the bound scope holds a wallet sig the SDK would reuse,
 * sign the session sigs here, byte-identical to what the SDK's `getSessionSigs` returns for the
 * same inputs and clock (lit-node-client-nodejs.js, 7.4.0), without the work whose result a
 * repeat does not need:
 *
 * - the SDK's pure-JS nacl ed25519, one signature per node: Node's native ed25519 instead
 *   (native-ed25519.ts; deterministic, so the same bytes);
 * - the wasm BLS verification of the stored wallet sig, which the SDK repeats on every call: the
 *   SDK's own check (`checkNeedToResignSessionKey`) runs once per wallet sig per process, and its
 *   "no need to re-sign" is remembered; what it depends on besides the sig's bytes (the session
 *   key URI, the network key, the clock, the resources asked) is part of the memo's key or
 *   checked again on every use, with the SDK's own comparisons;
 * - the owner's SIWE + secp256k1 auth sig, the blockhash fetch, the session capability object
 *   and the SDK's logging: the SDK only uses them when it re-signs, which a repeat does not;
 * - JSON of the shared part of the per-node message, built once rather than once per node.
 *
 * Anything unusual (no session key or wallet sig, a wallet sig not made by the nodes, a key nacl
 * would sign differently with, a client not ready, the SDK's check asking to re-sign or throwing)
 * answers undefined: the caller then goes through `getPkpSessionSigs`, which decides. So this
 * path can only skip a node round the SDK would have skipped too, never hand out different sigs.
 * It does not care how the wallet sig was obtained (owner, caller auth methods, Lit Action).
 */
import { createHash } from 'node:crypto';
import { requestBoundStorage, SDK_STORAGE_KEYS } from '../../session-storage';
import type { LitNodeClientInstance } from './client';
import { nativeEd25519Key, signEd25519Hex } from './native-ed25519';
import type { toLitResourceAbilityRequests } from './resources';
import { loadLitSdk } from './sdk';
import { setBounded } from '../../bounded-map';

type ResourceAbilityRequest = ReturnType<typeof toLitResourceAbilityRequests>[number];
type SdkAuthSig = Parameters<LitNodeClientInstance['checkNeedToResignSessionKey']>[0]['authSig'];
type Capabilities = { verifyCapabilitiesForResource(resource: ResourceAbilityRequest['resource'], ability: ResourceAbilityRequest['ability']): boolean };

/** What the SDK's getSessionSigs reads from the client. */
export type SigningClient = Pick<LitNodeClientInstance, 'ready' | 'connectedNodes' | 'networkPubKey' | 'getSessionKeyUri' | 'checkNeedToResignSessionKey'>;

/** The getPkpSessionSigs parameters that shape the session sigs when the wallet sig is reused. */
export interface StoredWalletSigSigning {
  resourceAbilityRequests: ResourceAbilityRequest[];
  capabilityAuthSigs?: unknown[];
  capacityDelegationAuthSig?: unknown;
  /** ISO; the SDK's default (24 h from now) when absent. */
  expiration?: string;
}

/** One session sig, field for field in the SDK's order. */
export interface LocalSessionSig {
  sig: string;
  derivedVia: 'litSessionSignViaNacl';
  signedMessage: string;
  address: string;
  algo: 'ed25519';
}

/** The parts of a wallet sig's SIWE the SDK's check reads again on every call. */
interface Verified {
  issuedAtMs: number;
  expiresAtMs: number;
  capabilities: Capabilities;
}

/** Wallet sigs the SDK found needing no re-sign, by (sig, message, algo, session key URI, network key). */
const verified = new Map<string, Verified>();
const MAX_VERIFIED = 4096;
const SDK_DEFAULT_EXPIRATION_MS = 24 * 60 * 60 * 1000;

function memoKey(authSig: SdkAuthSig, sessionKeyUri: string, networkPubKey: string | null): string {
  return createHash('sha256')
    .update(JSON.stringify([authSig.algo, authSig.sig, authSig.signedMessage, sessionKeyUri, networkPubKey]))
    .digest('hex');
}

let siwe: Promise<typeof import('siwe')> | undefined;

async function remember(key: string, authSig: SdkAuthSig): Promise<void> {
  // Parsed as the SDK parses it, with the SDK's own SIWE and ReCap code, so the per-use checks
  // below read the same fields the SDK's check reads.
  const [{ SiweMessage }, sdk] = await Promise.all([(siwe ??= import('siwe')), loadLitSdk()]);
  const message = new SiweMessage(authSig.signedMessage);
  if (!message.resources?.length || !message.issuedAt || !message.expirationTime) return;
  setBounded(verified, MAX_VERIFIED, key, {
    issuedAtMs: new Date(message.issuedAt).getTime(),
    expiresAtMs: new Date(message.expirationTime).getTime(),
    capabilities: sdk.authHelpers.decode(message.resources[0]) as Capabilities,
  });
}

const observed = new WeakSet<object>();

/**
 * Remember every wallet sig the SDK's check lets through, also inside `getPkpSessionSigs` (the
 * node round of a cache miss verifies the new wallet sig there), so no later call verifies it
 * again. The check itself is the SDK's, unchanged: this only watches its answer.
 */
export function observeWalletSigChecks(client: SigningClient): void {
  if (observed.has(client)) return;
  observed.add(client);
  const check = client.checkNeedToResignSessionKey;
  client.checkNeedToResignSessionKey = async (args) => {
    const key = memoKey(args.authSig, args.sessionKeyUri, client.networkPubKey);
    const resign = await check(args);
    if (!resign && args.authSig.algo === 'LIT_BLS') await remember(key, args.authSig).catch(() => undefined);
    return resign;
  };
}

function parseStored<T>(key: string): T | undefined {
  const raw = requestBoundStorage.getItem(key);
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return undefined;
  }
}

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v !== '';

/**
 * The session sigs `client.getPkpSessionSigs(params)` would return now, signed locally from the
 * bound scope's wallet sig; undefined when the SDK would re-sign (or when in any doubt).
 */
export async function signWithStoredWalletSig(client: SigningClient, params: StoredWalletSigSigning): Promise<Record<string, LocalSessionSig> | undefined> {
  if (typeof client.checkNeedToResignSessionKey !== 'function' || !(client.connectedNodes instanceof Set)) return undefined; // not the SDK's client
  observeWalletSigChecks(client);
  if (!client.ready || client.connectedNodes.size === 0) return undefined;
  const sessionKey = parseStored<{ publicKey?: unknown; secretKey?: unknown }>(SDK_STORAGE_KEYS.SESSION_KEY);
  const authSig = parseStored<SdkAuthSig>(SDK_STORAGE_KEYS.WALLET_SIGNATURE);
  if (!nonEmpty(sessionKey?.publicKey) || !nonEmpty(sessionKey.secretKey) || !authSig || authSig.algo !== 'LIT_BLS') return undefined;
  // The SDK refuses a wallet sig with an empty field; let it say so.
  if (![authSig.sig, authSig.signedMessage, authSig.address, authSig.derivedVia].every(nonEmpty)) return undefined;
  const signingKey = nativeEd25519Key(sessionKey.secretKey);
  if (!signingKey) return undefined;

  const sessionKeyUri = client.getSessionKeyUri(sessionKey.publicKey);
  const key = memoKey(authSig, sessionKeyUri, client.networkPubKey);
  if (!verified.has(key)) {
    // First use of this wallet sig in this process: the SDK's own check (BLS verify included).
    try {
      if (await client.checkNeedToResignSessionKey({ authSig, sessionKeyUri, resourceAbilityRequests: params.resourceAbilityRequests })) return undefined;
    } catch {
      return undefined;
    }
  }
  const v = verified.get(key);
  if (!v) return undefined;
  // What the SDK's check tests on every call besides the signature: the clock against the SIWE
  // window (validate-bls-session-sig.js, same comparisons) and the resources asked now.
  const now = Date.now();
  if (now >= v.expiresAtMs || now < v.issuedAtMs) return undefined;
  if (!params.resourceAbilityRequests.every((r) => v.capabilities.verifyCapabilitiesForResource(r.resource, r.ability))) return undefined;

  // From here on, getSessionSigs' signing step, in its order.
  const expiration = params.expiration || new Date(now + SDK_DEFAULT_EXPIRATION_MS).toISOString();
  const capabilities = params.capacityDelegationAuthSig
    ? [...(params.capabilityAuthSigs ?? []), params.capacityDelegationAuthSig, authSig]
    : [...(params.capabilityAuthSigs ?? []), authSig];
  const template = {
    sessionKey: sessionKey.publicKey,
    resourceAbilityRequests: params.resourceAbilityRequests,
    capabilities,
    issuedAt: new Date().toISOString(),
    expiration,
  };
  // JSON.stringify({ ...template, nodeAddress }) is the template's JSON with one member appended:
  // the shared part (both auth sigs, a few KB) is serialised once, not once per node.
  const head = `${JSON.stringify(template).slice(0, -1)},"nodeAddress":`;
  const signatures: Record<string, LocalSessionSig> = {};
  for (const nodeAddress of client.connectedNodes) {
    const signedMessage = `${head}${JSON.stringify(nodeAddress)}}`;
    signatures[nodeAddress] = {
      sig: signEd25519Hex(signingKey, signedMessage),
      derivedVia: 'litSessionSignViaNacl',
      signedMessage,
      address: sessionKey.publicKey,
      algo: 'ed25519',
    };
  }
  return signatures;
}
