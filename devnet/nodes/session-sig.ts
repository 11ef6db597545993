/**
 * Verifying a session sig as the node it was made for: the ed25519 signature by the session key,
 * this node's URL, expiry, the requested resources, and the LIT_BLS capability (the wallet sig
 * the network signed in sign_session_key) for the PKP and this session key.
 */
import nacl from 'tweetnacl';
import { sessionSigningDigest, verifyNetworkSignature } from './bls-network-key';
import type { NodeContext } from './node-context';
import { NodeRefusal, refuseUnless } from './node-error';
import { grants, parseSiwe, pkpResourceKeys, recapAttenuations, timeOf } from './siwe-recap';

const CLOCK_SKEW_MS = 60_000;

export interface SessionSig {
  sig: string;
  derivedVia: string;
  signedMessage: string;
  address: string;
  algo: string;
}

/** The signed body of a session sig (what the SDK JSON-stringifies and signs per node). */
export interface SessionSigBody {
  sessionKey: string;
  resourceAbilityRequests: { resource?: { resource?: string; resourcePrefix?: string }; ability?: string }[];
  capabilities: unknown[];
  issuedAt: string;
  expiration: string;
  nodeAddress: string;
}

/** The PKP a pkpSign request is for. */
export interface PkpTarget {
  address: string;
  /** Token id as 64 hex chars, the form LitPKPResource uses. */
  tokenIdHex64: string;
}

/** Verifies `authSig` (a session sig) for a pkpSign on `pkp`; returns its capabilities. */
export function verifySessionSigForPkpSign(ctx: NodeContext, authSig: unknown, pkp: PkpTarget): unknown[] {
  const s = authSig as Partial<SessionSig> | null;
  refuseUnless(
    s && typeof s === 'object' && typeof s.sig === 'string' && typeof s.signedMessage === 'string' && typeof s.address === 'string',
    'NodeInvalidSessionSig',
    'authSig must be a session sig',
  );
  refuseUnless(s.algo === 'ed25519', 'NodeInvalidSessionSig', 'session sig algo must be ed25519');
  refuseUnless(/^[0-9a-f]{64}$/i.test(s.address) && /^[0-9a-f]{128}$/i.test(s.sig), 'NodeInvalidSessionSig', 'session sig address or signature is malformed');
  const signatureOk = nacl.sign.detached.verify(Buffer.from(s.signedMessage, 'utf8'), Buffer.from(s.sig, 'hex'), Buffer.from(s.address, 'hex'));
  refuseUnless(signatureOk, 'NodeInvalidSessionSig', 'session sig signature does not verify under its session key');

  let body: SessionSigBody;
  try {
    body = JSON.parse(s.signedMessage) as SessionSigBody;
  } catch {
    throw new NodeRefusal('NodeInvalidSessionSig', 'session sig signedMessage is not JSON');
  }
  refuseUnless(body.sessionKey === s.address.toLowerCase() || body.sessionKey === s.address, 'NodeInvalidSessionSig', 'session sig is not signed by its session key');
  refuseUnless(body.nodeAddress === ctx.url, 'NodeWrongNodeAddress', 'session sig was made for another node');
  const now = ctx.now();
  refuseUnless(timeOf(body.expiration) > now, 'NodeSessionSigExpired', 'session sig has expired');
  refuseUnless(!(timeOf(body.issuedAt) > now + CLOCK_SKEW_MS), 'NodeInvalidSessionSig', 'session sig is issued in the future');

  const requested = Array.isArray(body.resourceAbilityRequests) ? body.resourceAbilityRequests : [];
  const coversPkp = requested.some(
    (r) =>
      r?.ability === 'pkp-signing' &&
      r.resource?.resourcePrefix === 'lit-pkp' &&
      (r.resource.resource === '*' || r.resource.resource?.toLowerCase() === pkp.tokenIdHex64),
  );
  refuseUnless(coversPkp, 'NodeResourceNotCovered', 'session sig does not request pkp-signing for this PKP');

  const capabilities = Array.isArray(body.capabilities) ? body.capabilities : [];
  const litBls = capabilities.find((c) => (c as { algo?: string } | null)?.algo === 'LIT_BLS') as SessionSig | undefined;
  refuseUnless(litBls && typeof litBls.signedMessage === 'string' && typeof litBls.sig === 'string', 'NodeInvalidSessionSig', 'session sig has no LIT_BLS capability');
  verifyLitBlsCapability(ctx, litBls, body.sessionKey, pkp);
  return capabilities;
}

function verifyLitBlsCapability(ctx: NodeContext, capability: SessionSig, sessionKey: string, pkp: PkpTarget): void {
  let signatureHex: unknown;
  try {
    signatureHex = (JSON.parse(capability.sig) as { ProofOfPossession?: unknown }).ProofOfPossession;
  } catch {
    throw new NodeRefusal('NodeInvalidBlsSignature', 'LIT_BLS capability sig is not JSON');
  }
  refuseUnless(typeof signatureHex === 'string', 'NodeInvalidBlsSignature', 'LIT_BLS capability has no ProofOfPossession');
  const cacheKey = `${ctx.networkPublicKeyHex}:${signatureHex}:${capability.signedMessage}`;
  if (!ctx.blsVerified.has(cacheKey)) {
    const ok = verifyNetworkSignature(ctx.networkPublicKeyHex, sessionSigningDigest(capability.signedMessage), signatureHex);
    refuseUnless(ok, 'NodeInvalidBlsSignature', 'LIT_BLS capability does not verify under the network key');
    if (ctx.blsVerified.size > 10_000) ctx.blsVerified.clear();
    ctx.blsVerified.add(cacheKey);
  }
  const siwe = parseSiwe(capability.signedMessage, 'LIT_BLS capability');
  refuseUnless(siwe.address.toLowerCase() === pkp.address.toLowerCase(), 'NodeInvalidSessionSig', 'LIT_BLS capability is for another PKP');
  refuseUnless(siwe.uri === `lit:session:${sessionKey}`, 'NodeInvalidSessionSig', 'LIT_BLS capability is for another session key');
  refuseUnless(timeOf(siwe.expirationTime) > ctx.now(), 'NodeSessionSigExpired', 'LIT_BLS capability has expired');
  const att = recapAttenuations(siwe);
  refuseUnless(grants(att, pkpResourceKeys(pkp.tokenIdHex64), 'Threshold/Signing'), 'NodeResourceNotCovered', 'LIT_BLS capability does not grant PKP signing for this PKP');
}
