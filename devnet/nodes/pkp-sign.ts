/**
 * `POST /web/pkp/sign/v1` as the real Lit node (LIT-Protocol/Node v1.0.18) serves it:
 * rust/lit-node/src/endpoints/versions/v1.rs:160-210 then endpoints/pkp.rs:32-273. In order:
 *
 *  0. the body's shape (Rocket's Json guard → 422 NodeBadInput; models/mod.rs:232-245);
 *  1. `authMethods` present → 400 NodeCannotProvideAuthMethodForEndpoint (v1.rs:172-179);
 *  2. `authSig` not a single session sig → 400 NodeInvalidMultipleAuthSigs / NodeCannotProvideAuthSigForEndpoint (v1.rs:181-193);
 *  3. `pubkey` hex of 65 bytes → else 500 without a code (pkp.rs:54-59, utils/web.rs:768-782);
 *  5. the session sig, for `lit-pkp://<token id hex>` (pkp.rs:72-87, session-sig.ts);
 *  6. the first valid capability's `address` as a 20-byte address (pkp.rs:92-103, auth_material.rs:81-93);
 *  7. capacity credits, when the node rate-limits (pkp.rs:104-137, rate-limit.ts);
 *  9. the auth context: from a LIT_BLS capability's `lit-resolvedauthcontext://*` ReCap, else the
 *     session re-validated for `lit-litaction://` (pkp.rs:176-230, utils/web.rs:115-272);
 * 11. `check_pkp_auth` with scope 1 (pkp/utils.rs:363-383, pkp/auth/mod.rs:294-549);
 * 12. the key share (pkp/utils.rs:385-434);
 * 13. the deterministic signing subset of `threshold` nodes; the others answer 200 with a "fail"
 *     share (tss/ecdsa_cait_sith/mod.rs:99-168, peers/utils/derministic_subset.rs:47-97);
 * 14. `toSign` must be 32 bytes below the curve order, checked by signing nodes only
 *     (tss/ecdsa_cait_sith/protocols256k1.rs:380-394).
 * `epoch` is never refused (mod.rs:77-97).
 *
 * Deliberate differences from the real node:
 * - the devnet holds each PKP key whole (ChainView.pkpPrivateKey) and splits a real signature into
 *   additive shares among the subset (ecdsa-shares.ts), instead of running cait-sith;
 * - the subset is drawn among the nodes that are up now (ctx.upNodeIndices()) with the devnet's own
 *   seeded shuffle, not among the epoch's active peers with Rust's StdRng; without an X-Request-Id /
 *   X-Correlation-Id header every node uses "" (the node would use a random id per node);
 * - JSON that the HTTP layer already parsed cannot show duplicate keys or `1.0` vs `1`, which serde
 *   would refuse (422).
 */
import { ethers } from 'ethers';
import { secp256k1 } from '@noble/curves/secp256k1';
import { createHash } from 'node:crypto';
import { ecdsaSignatureShare, failedMessageShare, type SignedMessageShare } from './ecdsa-shares';
import type { NodeContext, NodeRequest } from './node-context';
import { badInput, PublicErrorRefusal, rocketDefault } from './node-error';
import { checkPkpAuth, type AuthMethodContext } from './pkp-permission';
import { handlerPanic, checkRateLimit } from './rate-limit';
import { extractAndVerify } from './recap';
import { isUri, parseRfc3339, parseSiwe, SiweParseError } from './siwe';
import {
  authMaterialType,
  extractWalletSig,
  handle,
  litErr,
  LitFailure,
  litHexToBytes,
  rustStrDebug,
  validateSessionSig,
  type LitError,
  type SessionKeySignedMessage,
  type SessionSigInput,
  type ValidatedSession,
} from './session-sig';

export interface PkpSignResponse {
  success: true;
  signedData: number[];
  signatureShare: SignedMessageShare;
}

// ---------------------------------------------------------------------------------------------
// 0. JsonPKPSigningRequest (models/mod.rs:232-245) as serde reads it; any data error is Rocket's
//    422, answered by the node's catcher (main.rs:94-113).
// ---------------------------------------------------------------------------------------------

type AuthSigItem = { single: SessionSigInput } | { multiple: true };

interface PkpSignRequest {
  toSign: number[];
  pubkey: string;
  authSig: AuthSigItem;
  authMethods: unknown[] | null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isU32 = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff;

/** `JsonAuthSig` (auth_material.rs:731-827): only its five keys, four of them required strings, `algo` a string or null. */
function jsonAuthSigOf(v: unknown): SessionSigInput | undefined {
  if (!isObject(v)) return undefined;
  if (!Object.keys(v).every((k) => ['sig', 'derivedVia', 'signedMessage', 'address', 'algo'].includes(k))) return undefined;
  if (!['sig', 'derivedVia', 'signedMessage', 'address'].every((k) => typeof v[k] === 'string')) return undefined;
  if (v.algo !== undefined && v.algo !== null && typeof v.algo !== 'string') return undefined;
  return {
    sig: v.sig as string,
    derivedVia: v.derivedVia as string,
    signedMessage: v.signedMessage as string,
    address: v.address as string,
    algo: (v.algo as string | null | undefined) ?? null,
  };
}

/** `AuthSigItem` (auth_material.rs:96-102), untagged: Single(JsonAuthSig), else Multiple(MultipleAuthSigs) whose six fields are optional. */
function authSigItemOf(v: unknown): AuthSigItem | undefined {
  const single = jsonAuthSigOf(v);
  if (single) return { single };
  const optionalSig = (x: unknown): boolean => x === undefined || x === null || jsonAuthSigOf(x) !== undefined;
  const chains = ['ethereum', 'solana', 'cosmos', 'kyve', 'cheqd', 'juno'];
  if (isObject(v) && chains.every((c) => optionalSig(v[c]))) return { multiple: true };
  if (Array.isArray(v) && v.length === chains.length && v.every((x) => x === null || jsonAuthSigOf(x) !== undefined)) return { multiple: true };
  return undefined;
}

/** `AuthMethod` (models/mod.rs:157-160): from a map (extra keys ignored) or a sequence of its two fields. */
const isAuthMethod = (v: unknown): boolean =>
  isObject(v) ? isU32(v.authMethodType) && typeof v.accessToken === 'string' : Array.isArray(v) && v.length === 2 && isU32(v[0]) && typeof v[1] === 'string';

function parseRequest(body: unknown): PkpSignRequest {
  let fields: Record<string, unknown>;
  if (isObject(body)) {
    fields = body;
  } else if (Array.isArray(body)) {
    // serde also reads a struct from a sequence of its fields; `epoch` may be left out (it has a
    // default); more elements are serde_json's "trailing characters", a syntax error: Rocket's 400.
    if (body.length > 5) throw rocketDefault(400);
    if (body.length < 4) throw badInput();
    fields = { toSign: body[0], pubkey: body[1], authSig: body[2], authMethods: body[3], ...(body.length === 5 ? { epoch: body[4] } : {}) };
  } else {
    throw badInput();
  }
  const { toSign, pubkey, authSig, authMethods, epoch } = fields;
  if (!Array.isArray(toSign) || !toSign.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) throw badInput();
  if (typeof pubkey !== 'string') throw badInput();
  const item = authSigItemOf(authSig);
  if (!item) throw badInput();
  if (authMethods !== undefined && authMethods !== null && !(Array.isArray(authMethods) && authMethods.every(isAuthMethod))) throw badInput();
  if (epoch !== undefined && !(Number.isInteger(epoch) && (epoch as number) >= 0 && (epoch as number) < 2 ** 64)) throw badInput();
  return { toSign: toSign as number[], pubkey, authSig: item, authMethods: (authMethods as unknown[] | null | undefined) ?? null };
}

// ---------------------------------------------------------------------------------------------
// 9. The auth context resolved from the session (utils/web.rs:115-208)
// ---------------------------------------------------------------------------------------------

interface ResolvedAuthContext {
  authMethodContexts: AuthMethodContext[];
  actionIpfsIdStack: string[];
}

/** serde's "invalid type" text for a serde_json Value (from_value has no positions). */
function unexpectedValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return `boolean \`${v}\``;
  if (typeof v === 'number') return Number.isInteger(v) ? `integer \`${v}\`` : `floating point \`${v}\``;
  if (typeof v === 'string') return `string ${rustStrDebug(v)}`;
  return Array.isArray(v) ? 'sequence' : 'map';
}

class ValueError extends Error {}
const invalidType = (v: unknown, expected: string): ValueError => new ValueError(`invalid type: ${unexpectedValue(v)}, expected ${expected}`);

function valueString(v: unknown): string {
  if (typeof v !== 'string') throw invalidType(v, 'a string');
  return v;
}
function valueVec<T>(v: unknown, element: (x: unknown) => T): T[] {
  if (!Array.isArray(v)) throw invalidType(v, 'a sequence');
  return v.map(element);
}
/** A serde-derived struct from a Value: a map (unknown keys ignored) or an array of its fields in order. */
function valueStruct(v: unknown, name: string, fields: Record<string, (x: unknown) => unknown>, optional: string[] = []): Record<string, unknown> {
  const names = Object.keys(fields);
  const out: Record<string, unknown> = {};
  if (isObject(v)) {
    for (const [key, value] of Object.entries(v)) if (fields[key]) out[key] = fields[key](value);
    for (const n of names) if (!(n in out) && !optional.includes(n)) throw new ValueError(`missing field \`${n}\``);
    return out;
  }
  if (Array.isArray(v)) {
    names.forEach((n, i) => {
      if (i >= v.length) throw new ValueError(`invalid length ${v.length}, expected struct ${name} with ${names.length} elements`);
      out[n] = fields[n](v[i]);
    });
    if (v.length > names.length) throw new ValueError(`invalid length ${v.length}, expected fewer elements in array`);
    return out;
  }
  throw invalidType(v, `struct ${name}`);
}

/** `serde_json::from_value::<AuthContext>` (models/mod.rs:125-152). */
function authContextFromValue(v: unknown): ResolvedAuthContext {
  const authMethod = (x: unknown): unknown =>
    valueStruct(x, 'AuthMethodResponse', {
      userId: valueString,
      appId: valueString,
      authMethodType: (t) => {
        if (typeof t !== 'number' || !Number.isInteger(t)) throw invalidType(t, 'u32');
        if (t < 0 || t > 0xffffffff) throw new ValueError(`invalid value: integer \`${t}\`, expected u32`);
        return t;
      },
      lastRetrievedAt: (t) => t, // set by the node just before (web.rs:168-169)
      expiration: (t) => t, // idem (web.rs:171-172)
      usedForSignSessionKeyRequest: (b) => {
        if (typeof b !== 'boolean') throw invalidType(b, 'a boolean');
        return b;
      },
    });
  const ctx = valueStruct(
    v,
    'AuthContext',
    {
      actionIpfsIds: (x) => valueVec(x, valueString),
      actionIpfsIdStack: (x) => valueVec(x, valueString),
      authSigAddress: (x) => (x === null ? null : valueString(x)),
      authMethodContexts: (x) => valueVec(x, authMethod),
      resources: (x) =>
        valueVec(x, (r) => {
          const s = valueString(r);
          if (!isUri(s)) throw new ValueError('Invalid IRI'); // iri-string's text not read; approximate
          return s;
        }),
      customAuthResource: valueString,
    },
    ['authSigAddress'],
  );
  return {
    authMethodContexts: (ctx.authMethodContexts as Record<string, unknown>[]).map((m) => ({
      userId: m.userId as string,
      appId: m.appId as string,
      authMethodType: m.authMethodType as number,
      usedForSignSessionKeyRequest: m.usedForSignSessionKeyRequest as boolean,
    })),
    actionIpfsIdStack: ctx.actionIpfsIdStack as string[],
  };
}

/**
 * `get_auth_context_from_session_sigs` (utils/web.rs:115-208): every capability whose `derivedVia`
 * is `lit.bls` (not re-validated, `algo` not looked at), the LAST ReCap of its SIWE (statement
 * required), its `lit-resolvedauthcontext://*` → `Auth/Auth` nota-bene `auth_context`; the last one
 * found wins. Undefined when there is none.
 */
function authContextFromSessionSigs(message: SessionKeySignedMessage): ResolvedAuthContext | undefined {
  let resolved: ResolvedAuthContext | undefined;
  for (const capability of message.capabilities) {
    if (capability.derivedVia !== 'lit.bls') continue;
    let siwe;
    try {
      siwe = parseSiwe(capability.signedMessage, ethers.utils.getAddress);
    } catch (e) {
      if (!(e instanceof SiweParseError)) throw e;
      throw handle(litErr('Parser', e.message, 'NodeWalletSignatureJSONError', 'Error parsing wallet sig signed message'));
    }
    let recap;
    try {
      recap = extractAndVerify(siwe);
    } catch {
      continue;
    }
    if (!recap) continue;
    for (const uri of Object.keys(recap.att).sort()) {
      if (uri.slice(0, Math.max(0, uri.indexOf(':'))) !== 'lit-resolvedauthcontext') continue;
      for (const ability of Object.keys(recap.att[uri]).sort()) {
        if (ability !== 'Auth/Auth') continue;
        for (const nb of recap.att[uri][ability]) {
          if (!Object.prototype.hasOwnProperty.call(nb, 'auth_context')) continue;
          // serde_json's IndexMut: null becomes an object, anything else that is not an object panics.
          let authContext = structuredClone(nb.auth_context) as unknown;
          if (authContext === null) authContext = {};
          if (!isObject(authContext)) throw handlerPanic();
          if (!('authMethodContexts' in authContext)) authContext.authMethodContexts = null;
          const methods = authContext.authMethodContexts;
          if (Array.isArray(methods)) {
            for (let i = 0; i < methods.length; i++) {
              if (methods[i] === null) methods[i] = {};
              if (!isObject(methods[i])) throw handlerPanic();
              const method = methods[i] as Record<string, unknown>;
              method.lastRetrievedAt = { secs_since_epoch: 0, nanos_since_epoch: 0 };
              if (siwe.expirationTime === undefined) {
                throw handle(litErr('Validation', 'Could not extract expiration time from SIWE message', 'NodeSIWEMessageError'));
              }
              method.expiration = Math.floor((parseRfc3339(siwe.expirationTime) as number) / 1000);
            }
          }
          try {
            resolved = authContextFromValue(authContext);
          } catch (e) {
            if (!(e instanceof ValueError)) throw e;
            throw handle(litErr('Validation', e.message, 'NodeAuthContextFromSessionSigError', 'Unable to resolve sessionSig authContext'));
          }
        }
      }
    }
  }
  return resolved;
}

// ---------------------------------------------------------------------------------------------
// 13-14. Signing
// ---------------------------------------------------------------------------------------------

/** The errors of the signing step, as pkp.rs:254 wraps them: `unexpected_err(e, "Error signing with the PKP")`. */
const signingFailure = (inner: LitError): PublicErrorRefusal => handle(litErr('Unexpected', inner, undefined, 'Error signing with the PKP'));
/** An error inside `sign_with_pubkey`, wrapped at pkp/utils.rs:471. */
const ecdsaFailure = (inner: LitError): PublicErrorRefusal => signingFailure(litErr('Unexpected', inner, 'NodeUnknownError', 'ECDSA signing failed'));

/**
 * The deterministic signing subset (derministic_subset.rs:47-97): all the nodes when there are
 * exactly `threshold`, else `threshold` of them drawn by a shuffle seeded with `toSign ‖ request id`,
 * sorted by index. Every node computes the same subset.
 */
function signingSubset(ctx: NodeContext, toSign: number[], requestId: string): number[] | undefined {
  const up = [...new Set(ctx.upNodeIndices())].sort((a, b) => a - b);
  if (up.length === ctx.threshold) return up;
  if (up.length < ctx.threshold) return undefined;
  const seed = createHash('sha256').update(Buffer.from(toSign)).update(requestId, 'utf8').digest();
  let counter = 0;
  const random = (bound: number): number => {
    const block = createHash('sha256').update(seed).update(String(counter++)).digest();
    return Number(block.readBigUInt64BE(0) % BigInt(bound));
  };
  const shuffled = [...up];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = random(i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  return shuffled.slice(0, ctx.threshold).sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------
// The endpoint
// ---------------------------------------------------------------------------------------------

/** `NodeInvalidAuthSig` around a session sig failure (auth_material.rs:143-149, utils/web.rs:245-258). */
const invalidAuthSig = (inner: LitError): PublicErrorRefusal => handle(litErr('Validation', inner, 'NodeInvalidAuthSig', 'Invalid AuthSig'));

export async function pkpSign(ctx: NodeContext, body: unknown, request: NodeRequest): Promise<PkpSignResponse> {
  const req = parseRequest(body);

  // v1.rs:172-193, before the handler's tracing context: no correlationId.
  if (req.authMethods !== null) {
    throw handle(litErr('Validation', "Can't provide AuthMethods for pkpSign. You have to provide an SessionSig.", 'NodeCannotProvideAuthMethodForEndpoint'), {
      withoutCorrelationId: true,
    });
  }
  if ('multiple' in req.authSig) {
    throw handle(litErr('Validation', "Can't pass multiple AuthSigs", 'NodeInvalidMultipleAuthSigs'), { withoutCorrelationId: true });
  }
  const sessionSig = req.authSig.single;
  if (authMaterialType(sessionSig.derivedVia, sessionSig.algo) !== 'SessionSig') {
    throw handle(litErr('Validation', "Can't provide AuthSig for pkpSign. You have to provide a SessionSig.", 'NodeCannotProvideAuthSigForEndpoint'), {
      withoutCorrelationId: true,
    });
  }

  // 3. pubkey_to_token_id (utils/web.rs:768-782): any 65 bytes; the token id is keccak256 of them.
  let pubkeyBytes: Buffer;
  try {
    pubkeyBytes = litHexToBytes(req.pubkey);
  } catch (e) {
    if (!(e instanceof LitFailure)) throw e;
    throw handle(litErr('Conversion', e.error));
  }
  if (pubkeyBytes.length !== 65) throw handle(litErr('Validation', `Invalid pubkey length.  Expected 65 bytes, got ${pubkeyBytes.length}`));
  const tokenIdHex = ethers.utils.keccak256(pubkeyBytes).slice(2);

  // 5. The session sig. It is NOT bound to one PKP: no capability's address is compared with the
  // pubkey (validators/siwe.rs:142); the PKP is checked on chain at step 11.
  let session: ValidatedSession;
  try {
    session = validateSessionSig(ctx, sessionSig, { kind: 'PKPNFT', tokenIdHex });
  } catch (e) {
    if (!(e instanceof LitFailure)) throw e;
    throw invalidAuthSig(e.error);
  }

  // 6. The user address: the first valid capability's JSON `address`; `Address::from_slice` panics unless 20 bytes.
  let userAddress: Buffer;
  try {
    userAddress = litHexToBytes(session.capability.address);
  } catch (e) {
    if (!(e instanceof LitFailure)) throw e;
    throw handle(litErr('Conversion', e.error, undefined, 'Error converting hex string to bytes'));
  }
  if (userAddress.length !== 20) throw handlerPanic();

  // 7. Capacity credits.
  await checkRateLimit(ctx, session.message, userAddress);

  // 9. The auth context; an EOA session needs a lit-litaction resource (utils/web.rs:230-263).
  let authContext = authContextFromSessionSigs(session.message);
  if (!authContext) {
    try {
      validateSessionSig(ctx, sessionSig, { kind: 'LitAction', cid: '' });
      extractWalletSig(ctx, session.message); // auth_sig.user_address (web.rs:251-258)
    } catch (e) {
      if (!(e instanceof LitFailure)) throw e;
      throw invalidAuthSig(e.error);
    }
    authContext = { authMethodContexts: [], actionIpfsIdStack: [] };
  }

  // 11. check_pkp_auth with SignAnything. Its last step takes the session's "wallet sig" address
  // (extract_wallet_sig, mod.rs:508-509), whose failure is the error when nothing else passed.
  let walletAddress: string | undefined;
  let walletError: LitError | undefined;
  try {
    walletAddress = extractWalletSig(ctx, session.message).address;
  } catch (e) {
    if (!(e instanceof LitFailure)) throw e;
    walletError = e.error;
  }
  const tokenId = BigInt(`0x${tokenIdHex}`).toString();
  try {
    await checkPkpAuth(ctx, { tokenId, authContext, authSigAddress: walletAddress, requiredScope: 1 });
  } catch (e) {
    if (e instanceof PublicErrorRefusal && e.code === 'NodeAuthSigScopeTooLimited') {
      // check_pkp_auth's error goes through sign_ecdsa and pkp.rs:254's wrapper, whose handling
      // puts the inner error's Display ("validation error: …") in the details.
      throw signingFailure(
        walletError ?? litErr('Validation', 'None of the AuthMethods, AuthSig or Lit Actions meet the requires scope [1].', 'NodeAuthSigScopeTooLimited'),
      );
    }
    throw e;
  }

  // 12. The key share. The devnet holds the whole key (deliberate difference).
  const privateKey = ctx.chainView.pkpPrivateKey(`0x${pubkeyBytes.toString('hex')}`);
  if (!privateKey) throw signingFailure(litErr('Unexpected', `Pubkey share not found on this node PKP: ${req.pubkey}`, 'NodeUnknownError'));
  try {
    // 13. Only the subset signs (the request id is the correlation id: X-Correlation-Id, else X-Request-Id).
    const subset = signingSubset(ctx, req.toSign, request.correlationId ?? '');
    if (!subset) throw ecdsaFailure(litErr('Unexpected', 'Threshold is greater than the number of available peers'));
    if (!subset.includes(ctx.index)) return { success: true, signedData: req.toSign, signatureShare: failedMessageShare() };

    // 14. The message must be a 32-byte hash, below the curve order (ScalarPrimitive::from_slice).
    const inner = (e: LitError): PublicErrorRefusal => ecdsaFailure(litErr('Unexpected', e, 'NodeUnknownError'));
    if (req.toSign.length !== 32) {
      throw inner(
        litErr(
          'Unexpected',
          'Message length to be signed is not 32 bytes.  Please hash it before sending it to the node to sign.  You can use SHA256 or Keccak256 for example',
        ),
      );
    }
    const digest = Uint8Array.from(req.toSign);
    if (BigInt(`0x${Buffer.from(digest).toString('hex')}`) >= secp256k1.CURVE.n) {
      throw inner(litErr('Unexpected', 'crypto error', undefined, 'Could not convert message to sign into ScalarPrimitive'));
    }
    return { success: true, signedData: req.toSign, signatureShare: ecdsaSignatureShare(privateKey, digest, subset.length, subset.indexOf(ctx.index)) };
  } finally {
    privateKey.fill(0);
  }
}
