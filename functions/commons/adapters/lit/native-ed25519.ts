/**
 * Ed25519 signing with Node's native crypto (OpenSSL) for keys in the SDK's nacl format.
 *
 * The SDK stores a session key as hex `{ publicKey, secretKey }` where secretKey is nacl's 64-byte
 * form: the 32-byte seed followed by the public key. Ed25519 is deterministic (RFC 8032), so the
 * native signature of the same seed and message is the same 64 bytes nacl makes, about 100x
 * faster. One catch: nacl hashes the public key *as stored in the secret key* instead of
 * deriving it, so a secret key whose second half is not the seed's public key signs differently;
 * such a key is refused here (undefined) and the caller lets the SDK sign.
 */
import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { setBounded } from '../../bounded-map';

/** DER header of a PKCS#8 Ed25519 private key; the 32-byte seed follows (RFC 8410). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
/** An SPKI Ed25519 public key is 12 header bytes + the 32-byte key. */
const SPKI_ED25519_HEADER_BYTES = 12;
const NACL_SECRET_KEY_HEX = /^[0-9a-fA-F]{128}$/;
/** Keys kept per process: one per active session scope; the oldest goes first beyond this. */
const MAX_CACHED_KEYS = 1024;

/** KeyObjects by nacl secret key hex: building one costs more than a signature. */
const keys = new Map<string, KeyObject>();

/**
 * A native signing key for a nacl secret key (hex), or undefined when nacl would not sign with
 * exactly this key (malformed hex, or a second half that is not the seed's public key).
 */
export function nativeEd25519Key(naclSecretKeyHex: string): KeyObject | undefined {
  const cached = keys.get(naclSecretKeyHex);
  if (cached) return cached;
  if (!NACL_SECRET_KEY_HEX.test(naclSecretKeyHex)) return undefined;
  const secret = Buffer.from(naclSecretKeyHex, 'hex');
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, secret.subarray(0, 32)]), format: 'der', type: 'pkcs8' });
  const derived = createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_HEADER_BYTES);
  if (!derived.equals(secret.subarray(32))) return undefined;
  setBounded(keys, MAX_CACHED_KEYS, naclSecretKeyHex, key);
  return key;
}

/** Lowercase hex of the Ed25519 signature of `message` (UTF-8), as the SDK writes `sig`. */
export function signEd25519Hex(key: KeyObject, message: string): string {
  return sign(null, Buffer.from(message, 'utf8'), key).toString('hex');
}
