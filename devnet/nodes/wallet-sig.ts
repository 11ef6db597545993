/**
 * An EthWallet auth method (type 1) as sign_session_key verifies it: the access token is a JSON
 * auth sig whose EIP-191 signature over a SIWE message recovers to its address
 * (rust/lit-node/src/pkp/auth/wallet.rs:31-80 → auth/validators/wallet_sig.rs:28-153). Each failure
 * carries the real node's kind, code and details; "W1".."W9" name the steps in the research notes.
 *
 * Not checked, as on the real node: `derivedVia` and `algo` values, the SIWE nonce, domain, chain
 * id, statement and resources, `Not Before`, replay. No EIP-1271 (contract wallets fail at W4).
 */
import { ethers } from 'ethers';
import { PublicErrorRefusal, refuse } from './node-error';
import { formatSiwe, parseSiwe, SiweParseError, type SiweFields } from './siwe';
import { siweTimeRefusal } from './time-rules';
import type { AuthMethodContext } from './pkp-permission';

const REQUIRED_KEYS = ['sig', 'derivedVia', 'signedMessage', 'address'] as const;
/** wallet_sig.rs:25: a top-level auth sig must not be a session or delegation message. */
const FORBIDDEN_URI_PREFIXES = ['lit:session', 'lit:capability:delegation'];

/** ethers-rs H160 Display: `0x1234…abcd`. */
const shortAddress = (a: string): string => `${a.slice(0, 6)}…${a.slice(-4)}`.toLowerCase();

/** Strict JSON object parse refusing duplicate keys (serde's derived visitor refuses them). */
function parseJsonAuthSig(text: string): Record<string, unknown> {
  const parsed = JSON.parse(text) as unknown; // throws on bad JSON
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('invalid type: expected struct JsonAuthSig');
  const keys = [...text.matchAll(/"((?:[^"\\]|\\.)*)"\s*:/g)].map((m) => m[1]);
  const seen = new Set<string>();
  for (const k of keys) {
    if (seen.has(k) && Object.prototype.hasOwnProperty.call(parsed, k)) throw new Error(`duplicate field \`${k}\``);
    seen.add(k);
  }
  const value = parsed as Record<string, unknown>;
  for (const key of Object.keys(value)) {
    if (!(REQUIRED_KEYS as readonly string[]).includes(key) && key !== 'algo') throw new Error(`unknown field \`${key}\``);
  }
  for (const key of REQUIRED_KEYS) {
    if (value[key] === undefined) throw new Error(`missing field \`${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}\``);
    if (typeof value[key] !== 'string') throw new Error(`invalid type: expected a string for \`${key}\``);
  }
  if (value.algo !== undefined && value.algo !== null && typeof value.algo !== 'string') throw new Error('invalid type: expected a string for `algo`');
  return value;
}

/** Verifies one EthWallet access token; returns the auth method context the node keeps (userId = the address verbatim). */
export function verifyEthWalletAuthMethod(accessToken: string, nowMs: number): AuthMethodContext {
  let authSig: Record<string, unknown>;
  try {
    authSig = parseJsonAuthSig(accessToken);
  } catch (e) {
    // W1
    throw new PublicErrorRefusal(
      'NodeWalletSignatureJSONError',
      [`parser error: Unable to parse string into a JsonAuthSig: ${(e as Error).message.slice(0, 120)}`],
      { kind: 'Parser' },
    );
  }
  const sig = authSig.sig as string;
  const address = authSig.address as string;
  const signedMessage = authSig.signedMessage as string;

  // W2: 65 bytes of hex, 0x optional.
  const sigHex = sig.startsWith('0x') ? sig.slice(2) : sig;
  if (!/^[0-9a-fA-F]*$/.test(sigHex) || sigHex.length !== 130) {
    throw new PublicErrorRefusal('NodeAuthSigSignatureConversionError', ['parser error: Error parsing the signature: invalid signature length'], {
      kind: 'Parser',
    });
  }
  // W3: 20 bytes of hex, 0x optional, any case, no checksum check.
  const addrHex = address.startsWith('0x') ? address.slice(2) : address;
  if (!/^[0-9a-fA-F]{40}$/.test(addrHex)) {
    throw new PublicErrorRefusal('NodeAuthSigAddressConversionError', ['validation error: Invalid character or length'], { kind: 'Validation' });
  }
  const claimed = ethers.utils.getAddress(`0x${addrHex.toLowerCase()}`);
  // W4: the raw message's EIP-191 signature by the claimed address.
  const v = parseInt(sigHex.slice(128), 16);
  let recovered: string | undefined;
  try {
    recovered = [0, 1, 27, 28].includes(v) ? ethers.utils.verifyMessage(signedMessage, `0x${sigHex}`) : undefined;
  } catch {
    recovered = undefined;
  }
  if (recovered !== claimed) {
    const got = recovered ? shortAddress(recovered) : '(none)';
    throw new PublicErrorRefusal(
      undefined,
      [`validation error: Invalid signature verification: Signature verification failed. Expected ${shortAddress(claimed)}, got ${got}`],
      { kind: 'Unexpected' },
    );
  }
  // W5: a SIWE message in siwe-rs's grammar.
  let siwe: SiweFields;
  try {
    siwe = parseSiwe(signedMessage, ethers.utils.getAddress);
  } catch (e) {
    const text = e instanceof SiweParseError ? e.message : 'Formatting Error';
    throw new PublicErrorRefusal(undefined, [`parser error: Parse error on SIWE: ${text}`, 'Parse error on SIWE'], { kind: 'Unexpected' });
  }
  // W6
  if (FORBIDDEN_URI_PREFIXES.some((p) => siwe.uri.startsWith(p))) {
    throw refuse('NodeInvalidAuthSig', `validation error: Invalid URI for top level auth sig: ${siwe.uri}`, { kind: 'Validation', twice: false });
  }
  // W7: the session time rules, reported through the SIWE validation wrapper.
  const timeRefusal = siweTimeRefusal(siwe, nowMs);
  if (timeRefusal) {
    const reason = timeRefusal.details[0];
    const prefix = timeRefusal.kind === 'Parser' ? 'parser error' : 'validation error';
    throw new PublicErrorRefusal(timeRefusal.code, [`validation error: SIWE validation failed: ${prefix}: ${reason}`, reason], { kind: timeRefusal.kind });
  }
  // W8: siwe-rs verifies against the re-serialised message and the SIWE address.
  let siweRecovered: string | undefined;
  try {
    siweRecovered = ethers.utils.verifyMessage(formatSiwe(siwe), `0x${sigHex.slice(0, 128)}${(v % 27).toString(16).padStart(2, '0')}`);
  } catch {
    siweRecovered = undefined;
  }
  if (siweRecovered !== siwe.address) {
    throw new PublicErrorRefusal(
      undefined,
      ['validation error: Error verifying SIWE signature: Recovered key does not match address or contract wallet support is not enabled.'],
      { kind: 'Unexpected' },
    );
  }
  // W9 (unreachable after W4, kept for the order): recovered must be the presented address.
  if (siweRecovered !== claimed) throw new PublicErrorRefusal(undefined, ['Recovered address does not match presented address'], { kind: 'Unexpected' });
  return { userId: address, appId: 'lit', authMethodType: 1, usedForSignSessionKeyRequest: true };
}
