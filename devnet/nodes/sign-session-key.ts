/**
 * `POST /web/sign_session_key/v1`: a node's BLS share of a PKP's wallet sig over a session key,
 * with every check of the real node (rust/lit-node/src/endpoints/versions/v1.rs:98-153,
 * endpoints/web_client.rs:1102-1875) in its order, and the message it signs REBUILT as the real
 * node rebuilds it: the PKP's address, the nonce's block hash, the block's time as `Issued At`, and
 * one ReCap merging the client's with the node's `lit-resolvedauthcontext://*` grant that records
 * who authenticated (web_client.rs:1660-1774).
 */
import { ethers } from 'ethers';
import { sessionSigningDigest, signShare } from './bls-network-key';
import type { NodeContext, NodeRequest } from './node-context';
import { authenticateWithLitAction } from './lit-action/session-key-action';
import { badInput, notEmulated, PublicErrorRefusal, refuse } from './node-error';
import { checkPkpAuth, type AuthContext, type AuthMethodContext } from './pkp-permission';
import { encodeRecap, extractAndVerify, mergeRecaps, RecapError, recapStatement, type Capability } from './recap';
import { blockTimestampText, formatSiwe, parseSiwe, SiweParseError, type SiweFields } from './siwe';
import { siweTimeRefusal } from './time-rules';
import { verifyEthWalletAuthMethod } from './wallet-sig';

/** tss/common/curve_type.rs:9-19: the curve names serde accepts (case-sensitive). */
const CURVE_TYPES = new Set(['BLS', 'K256', 'Ed25519', 'Ed448', 'Ristretto25519', 'P256', 'P384', 'RedJubjub']);
/** pkp/auth/constants.rs:1-11: auth method types the real node verifies against outside services (OAuth, JWKS, WebAuthn, Stytch). */
const EXTERNAL_AUTH_METHOD_TYPES = new Set([3, 4, 5, 6, 8, 9, 10, 11, 12, 13]);
const RESOLVED_AUTH_CONTEXT = 'lit-resolvedauthcontext';
const BLOCK_MAX_AGE_MS = 30 * 86_400_000;

export interface SignSessionKeyResponse {
  result: 'success';
  signatureShare: { ProofOfPossession: string };
  shareIndex: number;
  curveType: 'BLS';
  siweMessage: string;
  dataSigned: string;
  blsRootPubkey: string;
}

interface SignSessionKeyRequest {
  sessionKey: string;
  authMethods: { authMethodType: number; accessToken: string }[];
  pkpPublicKey?: string;
  authSig?: unknown;
  siweMessage: string;
  curveType: string;
  code?: string;
  litActionIpfsId?: string;
  /** Any JSON (`Option<serde_json::Value>`); null is absent. */
  jsParams?: unknown;
}

const isU32 = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff;
const optionalString = (v: unknown): boolean => v === undefined || v === null || typeof v === 'string';

/** The serde shape of JsonSignSessionKeyRequestV1 (models/mod.rs:204-218); anything else is Rocket's 422. */
function parseRequest(body: unknown): SignSessionKeyRequest {
  const b = body as Record<string, unknown> | null;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw badInput();
  const methodsOk =
    Array.isArray(b.authMethods) &&
    b.authMethods.every(
      (m) =>
        typeof m === 'object' &&
        m !== null &&
        isU32((m as { authMethodType?: unknown }).authMethodType) &&
        typeof (m as { accessToken?: unknown }).accessToken === 'string',
    );
  const epochOk = b.epoch === undefined || (Number.isSafeInteger(b.epoch) && (b.epoch as number) >= 0);
  const authSigOk = b.authSig === undefined || b.authSig === null || (typeof b.authSig === 'object' && !Array.isArray(b.authSig));
  if (
    typeof b.sessionKey !== 'string' ||
    !methodsOk ||
    typeof b.siweMessage !== 'string' ||
    typeof b.curveType !== 'string' ||
    !CURVE_TYPES.has(b.curveType) ||
    !optionalString(b.pkpPublicKey) ||
    !optionalString(b.code) ||
    !optionalString(b.litActionIpfsId) ||
    !authSigOk ||
    !epochOk
  ) {
    throw badInput();
  }
  return {
    sessionKey: b.sessionKey,
    authMethods: b.authMethods as SignSessionKeyRequest['authMethods'],
    pkpPublicKey: (b.pkpPublicKey as string | null) ?? undefined,
    authSig: b.authSig ?? undefined,
    siweMessage: b.siweMessage,
    curveType: b.curveType,
    code: (b.code as string | null) ?? undefined,
    litActionIpfsId: (b.litActionIpfsId as string | null) ?? undefined,
    jsParams: b.jsParams ?? undefined,
  };
}

/** lit-core `hex_to_bytes`: optional 0x, odd length padded with a leading 0. Undefined when not hex. */
function hexBytes(text: string): Uint8Array | undefined {
  let hex = text.startsWith('0x') ? text.slice(2) : text;
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return /^[0-9a-fA-F]*$/.test(hex) ? ethers.utils.arrayify(`0x${hex}`) : undefined;
}

/** Steps 8a-8b (web_client.rs:1228-1250, utils/web.rs:524-539): the PKP's address from its public key bytes. */
function pkpAddressFromKey(pkpPublicKey: string): string {
  const bytes = hexBytes(pkpPublicKey);
  if (!bytes) throw new PublicErrorRefusal(undefined, ['conversion error: failed to decode hex from str: Invalid character'], { kind: 'Conversion' });
  if (bytes.length < 33) {
    throw new PublicErrorRefusal(
      undefined,
      ['Error hex decoding pkpPublicKey', 'validation error: Invalid pubkey length.  Expected generally 33 or 64 bytes.'],
      { kind: 'Parser' },
    );
  }
  return ethers.utils.getAddress(`0x${ethers.utils.keccak256(bytes.slice(1)).slice(-40)}`);
}

/** Step 13 (siwe_db/db.rs:153-179, rpc.rs:106-146): the nonce must be a block hash of the chain, no more than 30 days old when first seen. */
async function blockOfNonce(ctx: NodeContext, nonce: string): Promise<{ hash: string; timestamp: number }> {
  const known = ctx.knownBlocks.get(nonce);
  if (known) return known; // stored blocks are accepted with no further age check, as in the node's database
  const fail = (reason: string, code?: 'NodeInvalidBlockhash' | 'NodeSIWEMessageError'): PublicErrorRefusal =>
    new PublicErrorRefusal(code, ['Error fetching block from hash', reason], { kind: 'Validation' });
  const bytes = hexBytes(nonce);
  if (!bytes) throw fail('conversion error: failed to decode hex from str: Invalid character');
  if (bytes.length > 32) throw fail(`validation error: given val has a len ('${bytes.length}') > 32`);
  const padded = new Uint8Array(32);
  padded.set(bytes); // H256 from a shorter slice is left-aligned
  const block = await ctx.chainView.blockByHash(ethers.utils.hexlify(padded));
  if (!block) throw fail('validation error: Invalid block hash', 'NodeInvalidBlockhash');
  const oldest = ctx.now() - BLOCK_MAX_AGE_MS;
  if (block.timestamp * 1000 < oldest) {
    const fmt = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
    throw fail(`validation error: Blocktime ${fmt(block.timestamp * 1000)} is beyond the max expiry timestamp of ${fmt(oldest)}`, 'NodeSIWEMessageError');
  }
  ctx.knownBlocks.set(nonce, block);
  ctx.knownBlocks.set(block.hash, block);
  return block;
}

/** Step 7: each auth method in request order; an EthWallet one is verified, others are refused as the node or the devnet must. */
function verifyAuthMethods(methods: SignSessionKeyRequest['authMethods'], nowMs: number): AuthMethodContext[] {
  return methods.map((m) => {
    if (m.authMethodType === 1) return verifyEthWalletAuthMethod(m.accessToken, nowMs);
    if (EXTERNAL_AUTH_METHOD_TYPES.has(m.authMethodType))
      throw notEmulated(`auth method type ${m.authMethodType} (verified by the real node against an outside identity service)`);
    throw new PublicErrorRefusal(undefined, [`validation error: Unsupported auth method type: ${m.authMethodType}`], { kind: 'Unexpected' });
  });
}

export async function signSessionKey(ctx: NodeContext, body: unknown, request: NodeRequest): Promise<SignSessionKeyResponse> {
  const req = parseRequest(body);
  // 1-2: before the handler's context, so without a correlation id (v1.rs:116-135).
  if (req.curveType !== 'BLS') {
    throw new PublicErrorRefusal('NodeInvalidCurveType', [`Invalid curve_type: ${req.curveType} - only BLS curve type is allowed for this endpoint`], {
      withoutCorrelationId: true,
    });
  }
  if (req.authSig !== undefined) {
    throw new PublicErrorRefusal(
      'NodeInvalidAuthSigForSessionKey',
      ["You can't provide an AuthSig on this endpoint.  Instead, send it as an AuthMethod in the authMethods array."],
      { withoutCorrelationId: true },
    );
  }
  const now = ctx.now();
  // 4
  let siwe: SiweFields;
  try {
    siwe = parseSiwe(req.siweMessage, ethers.utils.getAddress);
  } catch (e) {
    throw new PublicErrorRefusal('NodeSIWEMessageError', ['Error parsing SIWE message', e instanceof SiweParseError ? e.message : 'Formatting Error'], {
      kind: 'Parser',
    });
  }
  // 5
  if (siwe.statement?.includes(RESOLVED_AUTH_CONTEXT))
    throw refuse('NodeInvalidAuthContextResource', "Can't define Auth Context resources in capability", { twice: false });
  // 7
  const authMethodContexts = verifyAuthMethods(req.authMethods, now);
  // 8
  let pkpAddress: string;
  let tokenId: string;
  if (req.pkpPublicKey !== undefined) {
    pkpAddress = pkpAddressFromKey(req.pkpPublicKey);
    if (siwe.address.toLowerCase() !== pkpAddress.toLowerCase()) {
      throw refuse(
        'NodeSIWEMessageError',
        `Address in SIWE message ${siwe.address.slice(2).toLowerCase()} does not match PKP ETH address ${pkpAddress.slice(2).toLowerCase()}`,
        { kind: 'Parser' },
      );
    }
    tokenId = ethers.BigNumber.from(ethers.utils.keccak256(hexBytes(req.pkpPublicKey) as Uint8Array)).toString();
  } else {
    // 8d: the PKP of the first auth method; the SIWE address is then never compared (web_client.rs:1268-1307).
    const first = authMethodContexts[0];
    if (!first) throw refuse(undefined, 'No auth methods provided', { kind: 'Validation' });
    const id = ethers.utils.keccak256(ethers.utils.toUtf8Bytes(`${first.userId}:${first.appId}`));
    const [found] = await ctx.chainView.tokenIdsForAuthMethod(first.authMethodType, id);
    const key = found === undefined ? null : await ctx.chainView.pkpPublicKeyOf(found);
    if (found === undefined || key === null) throw new PublicErrorRefusal('NodePKPTokenIdNotFound', [], { kind: 'Unexpected' });
    tokenId = found;
    pkpAddress = ethers.utils.computeAddress(key);
  }
  // 9 (enable_siwe_validation, default true)
  if (siwe.uri !== req.sessionKey) {
    throw refuse('NodeSIWEMessageError', `URI in SIWE message ${siwe.uri} does not match URI in request ${req.sessionKey}`, { kind: 'Parser' });
  }
  const timeRefusal = siweTimeRefusal(siwe, now);
  if (timeRefusal) throw timeRefusal;
  // 11: Lit Action authentication (web_client.rs:1350-1518); the node's auth context so far is the verified auth methods.
  const authContext: AuthContext = {
    actionIpfsIds: [],
    actionIpfsIdStack: [],
    authSigAddress: null,
    authMethodContexts,
    resources: [],
    customAuthResource: '',
  };
  const action = await authenticateWithLitAction(ctx, req, authContext, request);
  if (action) {
    authContext.actionIpfsIdStack.push(action.cid);
    authContext.customAuthResource = action.response;
  }
  // 13
  const block = await blockOfNonce(ctx, siwe.nonce);
  // 15-16
  let userCapability: Capability | undefined;
  try {
    userCapability = extractAndVerify(siwe);
  } catch (e) {
    throw new PublicErrorRefusal('NodeSIWECapabilityInvalid', [e instanceof RecapError ? e.message : 'invalid capability'], { kind: 'Parser' });
  }
  if (!userCapability) throw new PublicErrorRefusal(undefined, ['Unable to convert SIWE into Capability object'], { kind: 'Conversion' });
  if (Object.keys(userCapability.att).some((uri) => uri.startsWith(`${RESOLVED_AUTH_CONTEXT}:`))) {
    throw refuse('NodeInvalidAuthContextResource', "Can't define Auth Context resources in capability", { twice: false });
  }
  // 17: the message the network signs.
  const nodeCapability: Capability = { att: { [`${RESOLVED_AUTH_CONTEXT}://*`]: { 'Auth/Auth': [{ auth_context: authContext }] } }, prf: [] };
  const merged = mergeRecaps(nodeCapability, userCapability);
  const addition = recapStatement(merged);
  const signed: SiweFields = {
    ...siwe,
    address: pkpAddress,
    nonce: block.hash,
    issuedAt: blockTimestampText(block.timestamp),
    statement: siwe.statement ? `${siwe.statement} ${addition}` : addition,
    resources: [encodeRecap(merged)],
  };
  const text = formatSiwe(signed);
  // 19: may these identities act for this PKP (scope 2: sign personal message)?
  await checkPkpAuth(ctx, { tokenId, authContext, requiredScope: 2 });
  const digest = sessionSigningDigest(text);
  return {
    result: 'success',
    signatureShare: { ProofOfPossession: signShare(ctx.blsShare, digest) },
    shareIndex: ctx.index,
    curveType: 'BLS',
    siweMessage: text,
    dataSigned: Buffer.from(digest).toString('hex'),
    blsRootPubkey: ctx.networkPublicKeyHex,
  };
}
