/**
 * `POST /web/pkp/sign/v1` against the real Lit node's rules (LIT-Protocol/Node v1.0.18, research
 * notes real-node-pkp-sign.md §2-§6): the handler called directly with hand-made session sigs, an
 * in-memory chain and a NodeContext built here. One test per check, each asserting the real node's
 * outcome: HTTP status, errorKind, errorCode, message and details.
 *
 * Where the notes say every session-sig failure is 401 NodeInvalidAuthSig, the node's code says
 * otherwise: lit-core reports the DEEPEST coded error of the chain (error/mod.rs:167-182 and its
 * test at 790-806), so the inner code is on the wire (a real datil reply shows
 * NodeSIWECapabilityInvalid 400 with the "Resource id not found…" details). These tests follow the code.
 */
import { secp256k1 } from '@noble/curves/secp256k1';
import { ed25519 } from '@noble/curves/ed25519';
import { ethers } from 'ethers';
import nacl from 'tweetnacl';
import { createBlsNetworkKey, sessionSigningDigest, signShare } from '../../devnet/nodes/bls-network-key';
import type { NodeContext, NodeRequest } from '../../devnet/nodes/node-context';
import { NodeRefusal } from '../../devnet/nodes/node-error';
import { pkpSign } from '../../devnet/nodes/pkp-sign';
import { encodeRecap, recapStatement, type Attenuations } from '../../devnet/nodes/recap';
import { formatSiwe, type SiweFields } from '../../devnet/nodes/siwe';
import { LitActionStore } from '../../devnet/nodes/lit-action/runtime';
import { UsageLedger } from '../../devnet/nodes/usage-ledger';
import { FakeChainView, tokenIdOf } from './helpers/fake-chain-view';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- SDK internals without an exports entry: required by file path
const { combineEcdsaShares } = require('@lit-protocol/lit-node-client/node_modules/@lit-protocol/crypto') as {
  combineEcdsaShares(shares: unknown[]): Promise<{ r: string; s: string; recid: number }>;
};

class Chain extends FakeChainView {}

const DAY = 86_400_000;
/** A fixed clock: 2025-01-02 10:11:12.345 UTC. */
const NOW = Date.UTC(2025, 0, 2, 10, 11, 12, 345);
const isoAt = (offsetMs: number): string => new Date(NOW + offsetMs).toISOString();
const CORRELATION = 'lit_test';
const PORT = 7470;

const bls = createBlsNetworkKey(1, 1); // one share = the whole secret: its share signature is the network's
const otherBls = createBlsNetworkKey(1, 1);
const blsSign = (text: string, key = bls): string => signShare(key.shares[0], sessionSigningDigest(text)).slice(2);

/** A random wallet (ethers' createRandom derives a mnemonic: slow). */
const randomWallet = (): ethers.Wallet => new ethers.Wallet(ethers.utils.randomBytes(32));

const chain = new Chain();
const minter = randomWallet(); // owns the PKPs
const user = randomWallet(); // the auth method the sessions were made with
const pkpA = randomWallet();
const pkpB = randomWallet();
const pkpC = randomWallet();
const tokenA = chain.addPkp(pkpA, minter.address);
const tokenB = chain.addPkp(pkpB, minter.address);
const tokenC = chain.addPkp(pkpC, minter.address);
chain.permitWallet(tokenA, user.address, [1]);
chain.permitWallet(tokenB, user.address, [1]);
chain.permitWallet(tokenC, user.address, [2]); // personal-sign only: can make a session, cannot pkp/sign
const tokenHex = (wallet: ethers.Wallet): string => ethers.utils.keccak256(wallet.publicKey).slice(2);

const session = nacl.sign.keyPair();
const sessionPub = Buffer.from(session.publicKey).toString('hex');
const digest = Array.from(ethers.utils.arrayify(ethers.utils.keccak256(ethers.utils.toUtf8Bytes('Hello Lit'))));

/** Verified BLS signatures, shared like the devnet's nodes share them (each pairing check runs once). */
const blsVerified = new Set<string>();

function makeCtx(o: Partial<NodeContext> = {}): NodeContext {
  return {
    index: 0,
    url: `http://127.0.0.1:${PORT}`,
    hostPort: `127.0.0.1:${PORT}`,
    blsShare: bls.shares[0],
    networkPublicKeyHex: bls.publicKeyHex,
    chainView: chain,
    rateLimiting: false,
    rateLimitAllocation: false,
    rateLimitWindowSeconds: 86_400,
    threshold: 1,
    upNodeIndices: () => [0],
    currentEpoch: () => 5,
    usage: new UsageLedger(),
    blsVerified,
    knownBlocks: new Map(),
    now: () => NOW,
    litActions: { store: new LitActionStore(), limits: () => ({ timeoutMs: 1000, memoryLimitMb: 16 }) },
    ...o,
  };
}

const request: NodeRequest = { correlationId: CORRELATION, headers: { 'x-request-id': CORRELATION } };

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

async function call(body: unknown, ctx = makeCtx(), req = request): Promise<Reply> {
  try {
    return { status: 200, body: (await pkpSign(ctx, body, req)) as unknown as Record<string, unknown> };
  } catch (e) {
    if (e instanceof NodeRefusal) return { status: e.status, body: e.body(req.correlationId) as Record<string, unknown> };
    throw e;
  }
}

// ---- capabilities and session sigs, built by hand ----------------------------------------------

const authContextOf = (userId: string): Record<string, unknown> => ({
  actionIpfsIdStack: [],
  actionIpfsIds: [],
  authMethodContexts: [{ appId: 'lit', authMethodType: 1, usedForSignSessionKeyRequest: true, userId }],
  authSigAddress: null,
  customAuthResource: '',
  resources: [],
});

const pkpSigningAtt = (authContext: unknown = authContextOf(user.address)): Attenuations => ({
  'lit-pkp://*': { 'Threshold/Signing': [{}] },
  'lit-resolvedauthcontext://*': { 'Auth/Auth': [{ auth_context: authContext }] },
});

interface SiweOpts {
  address?: string;
  uri?: string;
  att?: Attenuations;
  statement?: string;
  issuedAt?: string;
  expiration?: string | null;
  notBefore?: string;
  domain?: string;
}

function siweText(o: SiweOpts, defaults: { address: string; uri: string; att: Attenuations }): string {
  const cap = { att: o.att ?? defaults.att, prf: [] };
  const fields: SiweFields = {
    domain: o.domain ?? 'litprotocol.com',
    address: o.address ?? defaults.address,
    statement: o.statement ?? `Lit Protocol PKP session signature ${recapStatement(cap)}`,
    uri: o.uri ?? defaults.uri,
    version: '1',
    chainId: '1',
    nonce: chain.latest,
    issuedAt: o.issuedAt ?? isoAt(-60_000),
    ...(o.expiration === null ? {} : { expirationTime: o.expiration ?? isoAt(DAY) }),
    ...(o.notBefore ? { notBefore: o.notBefore } : {}),
    resources: [encodeRecap(cap)],
  };
  return formatSiwe(fields);
}

/** A LIT_BLS capability as sign_session_key issues it: the network's BLS signature over a SIWE for the session key. */
let defaultLitBlsCap: Record<string, unknown> | undefined;
function litBlsCap(o: SiweOpts & { key?: typeof bls; derivedVia?: string; algo?: string | null; jsonAddress?: string } = {}): Record<string, unknown> {
  if (Object.keys(o).length === 0) return (defaultLitBlsCap ??= litBlsCapOf(o));
  return litBlsCapOf(o);
}
function litBlsCapOf(o: SiweOpts & { key?: typeof bls; derivedVia?: string; algo?: string | null; jsonAddress?: string }): Record<string, unknown> {
  const text = siweText(o, { address: pkpA.address, uri: `lit:session:${sessionPub}`, att: pkpSigningAtt() });
  return {
    sig: JSON.stringify({ ProofOfPossession: blsSign(text, o.key) }),
    derivedVia: o.derivedVia ?? 'lit.bls',
    signedMessage: text,
    address: o.jsonAddress ?? o.address ?? pkpA.address,
    algo: o.algo === undefined ? 'LIT_BLS' : o.algo,
  };
}

/** An EOA capability: the wallet's EIP-191 signature over a SIWE for the session key. */
async function walletCap(wallet: ethers.Wallet, o: SiweOpts & { jsonAddress?: string } = {}): Promise<Record<string, unknown>> {
  const text = siweText(
    { domain: 'localhost', ...o },
    {
      address: wallet.address,
      uri: `lit:session:${sessionPub}`,
      att: { 'lit-litaction://*': { 'Threshold/Execution': [{}] }, 'lit-pkp://*': { 'Threshold/Signing': [{}] } },
    },
  );
  return { sig: await wallet.signMessage(text), derivedVia: 'web3.eth.personal.sign', signedMessage: text, address: o.jsonAddress ?? wallet.address };
}

/** A capacity delegation as the SDK's createCapacityDelegationAuthSig makes it. */
async function delegationCap(delegator: ethers.Wallet, nb: Record<string, unknown>, o: SiweOpts = {}): Promise<Record<string, unknown>> {
  const text = siweText(
    { domain: 'localhost', statement: undefined, ...o },
    { address: delegator.address, uri: 'lit:capability:delegation', att: { 'lit-ratelimitincrease://*': { 'Auth/Auth': [nb] } } },
  );
  return { sig: await delegator.signMessage(text), derivedVia: 'web3.eth.personal.sign', signedMessage: text, address: delegator.address };
}

interface SessionOpts {
  capabilities?: unknown[];
  resourceAbilityRequests?: unknown[];
  issuedAt?: string;
  expiration?: string;
  nodeAddress?: string;
  signedMessage?: string;
  address?: string;
  sig?: string;
}

const PKP_RAR = { resource: { resource: '*', resourcePrefix: 'lit-pkp' }, ability: 'pkp-signing' };

/** A session sig for this node, signed with the session key (tweetnacl). */
function sessionSig(o: SessionOpts = {}): Record<string, unknown> {
  const signedMessage =
    o.signedMessage ??
    JSON.stringify({
      sessionKey: sessionPub,
      resourceAbilityRequests: o.resourceAbilityRequests ?? [PKP_RAR],
      capabilities: o.capabilities ?? [litBlsCap()],
      issuedAt: o.issuedAt ?? isoAt(-60_000),
      expiration: o.expiration ?? isoAt(DAY),
      nodeAddress: o.nodeAddress ?? `http://127.0.0.1:${PORT}`,
    });
  const sig = o.sig ?? Buffer.from(nacl.sign.detached(Buffer.from(signedMessage, 'utf8'), session.secretKey)).toString('hex');
  return { sig, derivedVia: 'litSessionSignViaNacl', signedMessage, address: o.address ?? sessionPub, algo: 'ed25519' };
}

const body = (authSig: unknown, o: { pubkey?: string; toSign?: unknown; epoch?: unknown } = {}): Record<string, unknown> => ({
  toSign: o.toSign ?? digest,
  pubkey: o.pubkey ?? pkpA.publicKey,
  authSig,
  epoch: o.epoch ?? 5,
});

// ---- expected bodies ------------------------------------------------------------------------

const KIND_TEXT = {
  Validation: 'An error related to validation has occured.',
  Unexpected: 'An unexpected has occured.',
  Conversion: 'An error related to type conversion has occured.',
};

function expectRefusal(reply: Reply, e: { status: number; kind: string; code?: string; message: string; details: unknown[]; correlated?: boolean }): void {
  expect(reply.status).toBe(e.status);
  expect(reply.body).toEqual({
    errorKind: e.kind,
    ...(e.code ? { errorCode: e.code } : {}),
    status: e.status,
    message: e.message,
    ...(e.correlated === false ? {} : { correlationId: CORRELATION }),
    details: e.details,
  });
}

const expectSuccess = (reply: Reply): void => {
  expect(reply.body).toMatchObject({ success: true, signedData: digest });
  expect(reply.status).toBe(200);
  expect((reply.body.signatureShare as Record<string, unknown>).result).toBe('success');
};

/** The two details of "no valid capability" (session_sigs.rs:172-187, 363-367). */
const NO_VALID_CAPABILITY = [
  'validation error: Resource id not found in auth_sig capabilities: validation error: Could not find valid capability.',
  'Resource id not found in auth_sig capabilities',
];
function expectNoValidCapability(reply: Reply): void {
  expectRefusal(reply, {
    status: 400,
    kind: 'Validation',
    code: 'NodeSIWECapabilityInvalid',
    message: 'Invalid Capability object in SIWE resource ReCap',
    details: NO_VALID_CAPABILITY,
  });
}

const SCOPE_TOO_LIMITED = {
  status: 401,
  kind: 'Validation',
  code: 'NodeAuthSigScopeTooLimited',
  message: 'auth_sig scope that is passed does not support the requested operation',
  details: ['validation error: None of the AuthMethods, AuthSig or Lit Actions meet the requires scope [1].'],
};

const NOW_TEXT = '2025-01-02 10:11:12.345 UTC';

// =============================================================================================

describe('a valid request (§2.4)', () => {
  it('answers the real SignedMessageShare: snake_case, JSON-quoted upper-case hex, share_index 0, sig_type K256', async () => {
    const reply = await call(body(sessionSig()));
    expectSuccess(reply);
    const share = reply.body.signatureShare as Record<string, unknown>;
    expect(Object.keys(reply.body)).toEqual(['success', 'signedData', 'signatureShare']);
    expect(Object.keys(share)).toEqual(['digest', 'result', 'share_index', 'signature_share', 'big_r', 'public_key', 'sig_type']);
    expect(share.digest).toBe(`"${Buffer.from(digest).toString('hex').toUpperCase()}"`);
    expect(share.share_index).toBe(0);
    expect(share.sig_type).toBe('K256');
    expect(share.signature_share).toMatch(/^"[0-9A-F]{64}"$/);
    expect(share.big_r).toMatch(/^"0[23][0-9A-F]{64}"$/);
    expect(share.public_key).toBe(`"${pkpA.publicKey.slice(2).toUpperCase()}"`);
  });

  it('accepts a pubkey without 0x, and never refuses an epoch (tss/ecdsa_cait_sith/mod.rs:77-97)', async () => {
    expectSuccess(await call(body(sessionSig(), { pubkey: pkpA.publicKey.slice(2) })));
    expectSuccess(await call(body(sessionSig(), { epoch: 999 })));
    const { epoch: _epoch, ...withoutEpoch } = body(sessionSig());
    expectSuccess(await call(withoutEpoch));
  });
});

describe('§2.3 request shape and order', () => {
  it('0: a body serde cannot read is the 422 catcher’s NodeBadInput (kind Unexpected, no correlationId)', async () => {
    const valid = body(sessionSig());
    const broken: unknown[] = [
      'not an object',
      null,
      { ...valid, toSign: [256] },
      { ...valid, toSign: 'abc' },
      { ...valid, pubkey: undefined },
      { ...valid, pubkey: 4 },
      { ...valid, authSig: 'x' },
      { ...valid, authSig: undefined },
      { ...valid, authSig: { ethereum: { sig: 1 } } },
      { ...valid, authSig: [] },
      { ...valid, epoch: -1 },
      { ...valid, epoch: 1.5 },
      { ...valid, epoch: null },
      { ...valid, authMethods: [{ authMethodType: 'x', accessToken: 'y' }] },
    ];
    for (const b of broken) {
      expectRefusal(await call(b), {
        status: 422,
        kind: 'Unexpected',
        code: 'NodeBadInput',
        message:
          'This usually means your JSON body is wrong. Please check that you have sent over every required JSON parameter and that the types are correct according to the docs here https://lit-protocol.github.io/lit-js-sdk/api_docs_html/index.html#litnodeclient',
        details: ['caught rocket 422: bad input error'],
        correlated: false,
      });
    }
  });

  it('1: authMethods, even [], is refused first, before the authSig is looked at (v1.rs:172-179)', async () => {
    for (const authSig of [sessionSig(), { sig: 'x', derivedVia: 'web3.eth.personal.sign', signedMessage: 'x', address: 'x' }]) {
      expectRefusal(await call({ ...body(authSig), authMethods: [] }), {
        status: 400,
        kind: 'Validation',
        code: 'NodeCannotProvideAuthMethodForEndpoint',
        message: KIND_TEXT.Validation,
        details: ["Can't provide AuthMethods for pkpSign. You have to provide an SessionSig."],
        correlated: false,
      });
    }
    expectSuccess(await call({ ...body(sessionSig()), authMethods: null }));
  });

  it('2a: an authSig with an unknown or missing key reads as MultipleAuthSigs: 400 NodeInvalidMultipleAuthSigs (auth_material.rs:173-182)', async () => {
    for (const authSig of [{ ...sessionSig(), extra: 1 }, { ...sessionSig(), sig: 5 }, { derivedVia: 'litSessionSignViaNacl' }, {}, { ethereum: null }]) {
      expectRefusal(await call(body(authSig)), {
        status: 400,
        kind: 'Validation',
        code: 'NodeInvalidMultipleAuthSigs',
        message: 'Auth sig is not valid against any recognized chain',
        details: ["Can't pass multiple AuthSigs"],
        correlated: false,
      });
    }
  });

  it('2b: an authSig that is not derivedVia litSessionSignViaNacl with algo ed25519 is 400 NodeCannotProvideAuthSigForEndpoint (v1.rs:181-193)', async () => {
    const s = sessionSig();
    for (const authSig of [
      { ...s, derivedVia: 'web3.eth.personal.sign' },
      { ...s, algo: null },
      { ...s, algo: 'ED25519' },
      { sig: s.sig, derivedVia: s.derivedVia, signedMessage: s.signedMessage, address: s.address },
      litBlsCap(),
    ]) {
      expectRefusal(await call(body(authSig)), {
        status: 400,
        kind: 'Validation',
        code: 'NodeCannotProvideAuthSigForEndpoint',
        message: KIND_TEXT.Validation,
        details: ["Can't provide AuthSig for pkpSign. You have to provide a SessionSig."],
        correlated: false,
      });
    }
  });

  it('3a: a pubkey that is not hex is 500 Conversion with no errorCode (utils/web.rs:769)', async () => {
    expectRefusal(await call(body(sessionSig(), { pubkey: `0x04zz${'00'.repeat(63)}` })), {
      status: 500,
      kind: 'Conversion',
      message: KIND_TEXT.Conversion,
      details: ["conversion error: failed to decode hex from str: Invalid character 'z' at position 2"],
    });
    // only a lower-case 0x is stripped
    expectRefusal(await call(body(sessionSig(), { pubkey: `0X${pkpA.publicKey.slice(2)}` })), {
      status: 500,
      kind: 'Conversion',
      message: KIND_TEXT.Conversion,
      details: ["conversion error: failed to decode hex from str: Invalid character 'X' at position 1"],
    });
  });

  it('3b: a pubkey of another length than 65 bytes is 500 Validation with no errorCode (utils/web.rs:770-778)', async () => {
    expectRefusal(await call(body(sessionSig(), { pubkey: pkpA.publicKey.slice(0, -2) })), {
      status: 500,
      kind: 'Validation',
      message: KIND_TEXT.Validation,
      details: ['Invalid pubkey length.  Expected 65 bytes, got 64'],
    });
    // an odd length is padded with a leading 0: 129 hex digits are 65 bytes
    expect((await call(body(sessionSig(), { pubkey: `0x${pkpA.publicKey.slice(3)}` }))).body.details).not.toEqual([
      'Invalid pubkey length.  Expected 65 bytes, got 65',
    ]);
  });

  it('6a: a first valid capability whose address is not hex is 500 Conversion (auth_material.rs:88-92)', async () => {
    expectRefusal(await call(body(sessionSig({ capabilities: [litBlsCap({ jsonAddress: 'not-an-address' })] }))), {
      status: 500,
      kind: 'Conversion',
      message: KIND_TEXT.Conversion,
      details: ["conversion error: failed to decode hex from str: Invalid character 'n' at position 0"],
    });
  });

  it('6b: …and one of another length than 20 bytes panics in Address::from_slice: the 500 catcher’s NodeSystemFault', async () => {
    expectRefusal(await call(body(sessionSig({ capabilities: [litBlsCap({ jsonAddress: pkpA.address.slice(0, -2) })] }))), {
      status: 500,
      kind: 'Unexpected',
      code: 'NodeSystemFault',
      message: 'A general system fault has occurred in the node',
      details: ['caught rocket 500: internal server error'],
      correlated: false,
    });
  });
});

describe('§3 the session sig (session_sigs.rs:126-190), the inner code on the wire', () => {
  it('1: an address that is not hex: NodeAuthSigAddressConversionError (Conversion, 400)', async () => {
    expectRefusal(await call(body(sessionSig({ address: 'zz' }))), {
      status: 400,
      kind: 'Conversion',
      code: 'NodeAuthSigAddressConversionError',
      message: "auth_sig address couldn't be converted to Ethereum address",
      details: ["conversion error: conversion error: failed to decode hex from str: Invalid character 'z' at position 0"],
    });
  });

  it('2: an address of another length than 32 bytes: NodeAuthSigAddressConversionError', async () => {
    expectRefusal(await call(body(sessionSig({ address: sessionPub.slice(2) }))), {
      status: 400,
      kind: 'Conversion',
      code: 'NodeAuthSigAddressConversionError',
      message: "auth_sig address couldn't be converted to Ethereum address",
      details: ['conversion error: could not convert slice to array'],
    });
  });

  it('3: 32 bytes that are not a curve point: NodeAuthSigSessionKeyConversionError', async () => {
    let notAPoint = '';
    for (let y = 2; !notAPoint; y++) {
      const candidate = Buffer.alloc(32);
      candidate.writeUInt32LE(y);
      try {
        ed25519.Point.fromHex(candidate, true);
      } catch {
        notAPoint = candidate.toString('hex');
      }
    }
    expectRefusal(await call(body(sessionSig({ address: notAPoint }))), {
      status: 400,
      kind: 'Validation',
      code: 'NodeAuthSigSessionKeyConversionError',
      message: "auth_sig address couldn't be converted to ed25519_dalek PublicKey",
      details: ['validation error: signature error'],
    });
  });

  it('4: a sig that is not 128 hex digits of one case: NodeAuthSigSignatureConversionError (ed25519 hex.rs)', async () => {
    const good = sessionSig().sig as string;
    const mixed = `${good.slice(0, 10).toUpperCase()}${good.slice(10)}`;
    for (const sig of [`0x${good}`, good.slice(2), mixed.match(/[a-f]/) ? mixed : `A${good.slice(1).replace(/[0-9]/, 'b')}`, 'g'.repeat(128)]) {
      expectRefusal(await call(body(sessionSig({ sig }))), {
        status: 400,
        kind: 'Validation',
        code: 'NodeAuthSigSignatureConversionError',
        message: "auth_sig sig couldn't be converted to Signature object",
        details: ['validation error: signature error'],
      });
    }
    // all upper case is fine
    expectSuccess(await call(body(sessionSig({ sig: good.toUpperCase() }))));
  });

  it('5: a signature that does not verify strictly: NodeInvalidAuthSigSessionKeySignature, even one tweetnacl accepts', async () => {
    const wrong = sessionSig({ sig: Buffer.from(nacl.sign.detached(Buffer.from('other'), session.secretKey)).toString('hex') });
    const expected = {
      status: 400,
      kind: 'Validation',
      code: 'NodeInvalidAuthSigSessionKeySignature',
      message: 'auth_sig Session key signature is not valid',
      details: ['validation error: Session key signature is not valid: signature error', 'signature error'],
    };
    expectRefusal(await call(body(wrong)), expected);

    // The identity point as the key: any R = [s]B verifies with tweetnacl, not with verify_strict (small order).
    const identity = `01${'00'.repeat(31)}`;
    const s = 12345n;
    const R = ed25519.Point.BASE.multiply(s).toBytes();
    const sBytes = Buffer.from(s.toString(16).padStart(64, '0'), 'hex').reverse();
    const forged = Buffer.concat([R, sBytes]);
    const signedMessage = sessionSig().signedMessage as string;
    expect(nacl.sign.detached.verify(Buffer.from(signedMessage), forged, Buffer.from(identity, 'hex'))).toBe(true);
    expectRefusal(await call(body(sessionSig({ signedMessage, address: identity, sig: forged.toString('hex') }))), expected);
  });

  it('6: a signedMessage serde cannot read: NodeAuthSigSignedMessageConversionError with serde_json’s text', async () => {
    const cases: [string, string][] = [
      ['not json', 'expected ident at line 1 column 2'],
      ['{}', 'missing field `sessionKey` at line 1 column 2'],
      ['{"sessionKey":5}', 'invalid type: integer `5`, expected a string at line 1 column 15'],
      ['[]', 'invalid length 0, expected struct SessionKeySignedMessage with 6 elements at line 1 column 2'],
    ];
    const message = JSON.parse(sessionSig().signedMessage as string) as Record<string, unknown>;
    // a capability with an extra key fails JsonAuthSig's visitor
    const withExtra = JSON.stringify({ ...message, capabilities: [{ ...(message.capabilities as Record<string, unknown>[])[0], extra: true }] });
    const at = Buffer.byteLength(withExtra.slice(0, withExtra.indexOf('"extra"') + '"extra"'.length));
    cases.push([
      withExtra,
      `unknown field \`extra\`, expected one of \`sig\`, \`derivedVia\`, \`signedMessage\`, \`address\`, \`algo\` at line 1 column ${at}`,
    ]);
    for (const [signedMessage, serde] of cases) {
      expectRefusal(await call(body(sessionSig({ signedMessage }))), {
        status: 400,
        kind: 'Conversion',
        code: 'NodeAuthSigSignedMessageConversionError',
        message: "auth_sig signedMessage couldn't be converted to SessionKeySignedMessage",
        details: [`conversion error: ${serde}`],
      });
    }
    // unknown top-level keys are ignored
    expectSuccess(await call(body(sessionSig({ signedMessage: JSON.stringify({ ...message, extra: 1 }) }))));
  });

  it('7: resourceAbilityRequests without lit-pkp and * or the token id in hex: NodeResourceIdNotFound 404; the ability is ignored', async () => {
    for (const resource of [tokenIdOf(pkpA.publicKey), `0x${tokenHex(pkpA)}`, tokenHex(pkpA).toUpperCase()]) {
      expectRefusal(
        await call(body(sessionSig({ resourceAbilityRequests: [{ resource: { resource, resourcePrefix: 'lit-pkp' }, ability: 'pkp-signing' }] }))),
        {
          status: 404,
          kind: 'Validation',
          code: 'NodeResourceIdNotFound',
          message: 'Could not find the passed resource ID',
          details: [
            `validation error: Could not find requested resource PKPNFT(PKPNFTResource { token_id: "${tokenHex(pkpA)}" }) in the resourceAbilityRequests`,
          ],
        },
      );
    }
    expectSuccess(
      await call(body(sessionSig({ resourceAbilityRequests: [{ resource: { resource: tokenHex(pkpA), resourcePrefix: 'lit-pkp' }, ability: 'anything' }] }))),
    );
  });

  it('8: an issuedAt chrono cannot parse: NodeParserError', async () => {
    expectRefusal(await call(body(sessionSig({ issuedAt: 'yesterday' }))), {
      status: 400,
      kind: 'Parser',
      code: 'NodeParserError',
      message: 'Unable to parse session key signed message',
      details: [
        'parser error: Could not parse issued_at of session key signed message: input contains invalid characters',
        'Could not parse issued_at of session key signed message',
      ],
    });
  });

  it('9: an issuedAt more than 60 s ahead (whole seconds): NodeIatOutsideGracePeriod 403', async () => {
    const text =
      'Session key issued_at 2025-01-02 10:13:12.345 +00:00 is in the future beyond the grace period of 60 seconds (now is 2025-01-02 10:11:12.345 UTC)';
    expectRefusal(await call(body(sessionSig({ issuedAt: isoAt(120_000) }))), {
      status: 403,
      kind: 'Validation',
      code: 'NodeIatOutsideGracePeriod',
      message: 'While signing JWT, IAT outside grace period',
      details: [`validation error: ${text}`, text],
    });
    expectSuccess(await call(body(sessionSig({ issuedAt: isoAt(60_000) }))));
  });

  it('10: an expiration chrono cannot parse: NodeParserError', async () => {
    expectRefusal(await call(body(sessionSig({ expiration: '2025-01-03T00:00:00' }))), {
      status: 400,
      kind: 'Parser',
      code: 'NodeParserError',
      message: 'Unable to parse session key signed message',
      details: [
        'parser error: Could not parse expiration of session key signed message: premature end of input',
        'Could not parse expiration of session key signed message',
      ],
    });
  });

  it('11: an expiration before issuedAt: NodeExpWrongOrTooLarge 403', async () => {
    const text = 'Session key expiration 2025-01-02 10:09:12.345 +00:00 is in behind issue_at which is 2025-01-02 11:10:12.345 +01:00';
    expectRefusal(await call(body(sessionSig({ issuedAt: '2025-01-02T11:10:12.345+01:00', expiration: isoAt(-120_000).replace('Z', '+00:00') }))), {
      status: 403,
      kind: 'Validation',
      code: 'NodeExpWrongOrTooLarge',
      message: 'While signing JWT, EXP too large or wrong',
      details: [`validation error: ${text}`, text],
    });
  });

  it('12: an expiration more than 60 s past: NodeExpWrongOrTooLarge 403; within the grace it passes', async () => {
    const text = `Session key expiration 2025-01-02 10:09:12.345 +00:00 is in the past beyond the grace period of 60 seconds (now is ${NOW_TEXT})`;
    expectRefusal(await call(body(sessionSig({ issuedAt: isoAt(-DAY), expiration: isoAt(-120_000) }))), {
      status: 403,
      kind: 'Validation',
      code: 'NodeExpWrongOrTooLarge',
      message: 'While signing JWT, EXP too large or wrong',
      details: [`validation error: ${text}`, text],
    });
    expectSuccess(await call(body(sessionSig({ issuedAt: isoAt(-DAY), expiration: isoAt(-30_000) }))));
  });

  it('13: an expiration more than 30 days after issuedAt: NodeSIWEMessageError 400', async () => {
    const text =
      'Session key expiration 2025-02-01 10:10:12.346 UTC is beyond the max expiry timestamp of 2025-02-01 10:10:12.345 UTC (issued_at is 2025-01-02 10:10:12.345 UTC)';
    expectRefusal(await call(body(sessionSig({ issuedAt: isoAt(-60_000), expiration: isoAt(30 * DAY - 60_000 + 1) }))), {
      status: 400,
      kind: 'Validation',
      code: 'NodeSIWEMessageError',
      message: 'Error parsing SIWE message',
      details: [`validation error: ${text}`, text],
    });
    expectSuccess(await call(body(sessionSig({ issuedAt: isoAt(-60_000), expiration: isoAt(30 * DAY - 60_000) }))));
  });

  it('14: a nodeAddress that is not this node’s domain:port: NodeNotAuthorized 403; http(s):// and localhost are normalised', async () => {
    const text = `Session key node_address https://127.0.0.1:7471 does not match our node address 127.0.0.1:${PORT}`;
    expectRefusal(await call(body(sessionSig({ nodeAddress: 'https://127.0.0.1:7471' }))), {
      status: 403,
      kind: 'Validation',
      code: 'NodeNotAuthorized',
      message: "User isn't authorized to access to decrypt or receive a JWT for this item",
      details: [`validation error: ${text}`, text],
    });
    for (const nodeAddress of [`localhost:${PORT}`, ` https://localhost:${PORT} `, `127.0.0.1:${PORT}`])
      expectSuccess(await call(body(sessionSig({ nodeAddress }))));
    expect((await call(body(sessionSig({ nodeAddress: `http://127.0.0.1:${PORT}/` })))).status).toBe(403);
  });

  it('15a: no capabilities: NodeSIWECapabilityInvalid with three details', async () => {
    expectRefusal(await call(body(sessionSig({ capabilities: [] }))), {
      status: 400,
      kind: 'Validation',
      code: 'NodeSIWECapabilityInvalid',
      message: 'Invalid Capability object in SIWE resource ReCap',
      details: [
        'validation error: Resource id not found in auth_sig capabilities: validation error: Empty capabilites array.',
        'Resource id not found in auth_sig capabilities',
        'Empty capabilites array.',
      ],
    });
  });

  it('15b: no valid capability: NodeSIWECapabilityInvalid, "Could not find valid capability."', async () => {
    expectNoValidCapability(await call(body(sessionSig({ capabilities: [litBlsCap({ key: otherBls })] }))));
  });
});

describe('§4 the capabilities (validators/siwe.rs:288-347)', () => {
  it('are tried in order; the first valid one wins, invalid ones are skipped', async () => {
    expectSuccess(await call(body(sessionSig({ capabilities: [litBlsCap({ key: otherBls }), await delegationCap(minter, {}), litBlsCap()] }))));
  });

  it('LIT_BLS needs derivedVia lit.bls AND algo LIT_BLS: otherwise it is read as a wallet sig, and fails', async () => {
    expectNoValidCapability(await call(body(sessionSig({ capabilities: [litBlsCap({ algo: null })] }))));
    expectNoValidCapability(await call(body(sessionSig({ capabilities: [litBlsCap({ derivedVia: 'lit.BLS' })] }))));
  });

  it('LIT_BLS: valid now (expiration >= now, notBefore < now, no grace), a missing expiration passes', async () => {
    expectNoValidCapability(await call(body(sessionSig({ capabilities: [litBlsCap({ expiration: isoAt(-1) })] }))));
    expectNoValidCapability(await call(body(sessionSig({ capabilities: [litBlsCap({ notBefore: isoAt(0) })] }))));
    expectSuccess(await call(body(sessionSig({ capabilities: [litBlsCap({ expiration: isoAt(0), notBefore: isoAt(-1) })] }))));
    // without an expiration the capability validates; its auth context must then have no auth method (see 4.2)
    const noMethods = pkpSigningAtt({ ...authContextOf(user.address), authMethodContexts: [] });
    expectSuccess(await call(body(sessionSig({ capabilities: [litBlsCap({ expiration: null, address: minter.address, att: noMethods })] }))));
  });

  it('LIT_BLS: the SIWE URI must be lit:session:<the session sig’s address>', async () => {
    expectNoValidCapability(await call(body(sessionSig({ capabilities: [litBlsCap({ uri: `lit:session:${'ab'.repeat(32)}` })] }))));
  });

  it('every ReCap’s statement must end the SIWE statement', async () => {
    expectNoValidCapability(await call(body(sessionSig({ capabilities: [litBlsCap({ statement: 'Lit Protocol PKP session signature' })] }))));
  });

  it('lit-pkp://* is consulted when present, else lit-pkp://<token id hex>; Threshold/Signing or */*', async () => {
    const ctxAtt = pkpSigningAtt()['lit-resolvedauthcontext://*'];
    const att = (pkp: Attenuations): Attenuations => ({ ...pkp, 'lit-resolvedauthcontext://*': ctxAtt });
    expectNoValidCapability(
      await call(
        body(
          sessionSig({
            capabilities: [
              litBlsCap({ att: att({ 'lit-pkp://*': { 'Threshold/Execution': [{}] }, [`lit-pkp://${tokenHex(pkpA)}`]: { 'Threshold/Signing': [{}] } }) }),
            ],
          }),
        ),
      ),
    );
    expectSuccess(
      await call(body(sessionSig({ capabilities: [litBlsCap({ att: att({ [`lit-pkp://${tokenHex(pkpA)}`]: { 'Threshold/Signing': [{}] } }) })] }))),
    );
    expectSuccess(await call(body(sessionSig({ capabilities: [litBlsCap({ att: att({ 'lit-pkp://*': { '*/*': [{}] } }) })] }))));
    expectNoValidCapability(
      await call(body(sessionSig({ capabilities: [litBlsCap({ att: att({ [`lit-pkp://${tokenHex(pkpB)}`]: { 'Threshold/Signing': [{}] } }) })] }))),
    );
  });

  it('4.4: a session is not bound to one PKP: a session made for PKP A signs for PKP B when B permits the same auth method', async () => {
    const reply = await call(body(sessionSig(), { pubkey: pkpB.publicKey }));
    expectSuccess(reply);
    expect((reply.body.signatureShare as Record<string, unknown>).public_key).toBe(`"${pkpB.publicKey.slice(2).toUpperCase()}"`);
  });

  it('4.3: an EOA session works only with a lit-litaction resource and a Threshold/Execution grant on lit-litaction://*', async () => {
    const eoa = await walletCap(minter); // the PKP owner
    const laRar = { resource: { resource: '*', resourcePrefix: 'lit-litaction' }, ability: 'lit-action-execution' };
    expectSuccess(await call(body(sessionSig({ capabilities: [eoa], resourceAbilityRequests: [PKP_RAR, laRar] }))));
    expectRefusal(await call(body(sessionSig({ capabilities: [eoa] }))), {
      status: 404,
      kind: 'Validation',
      code: 'NodeResourceIdNotFound',
      message: 'Could not find the passed resource ID',
      details: ['validation error: Could not find requested resource LitAction(LitActionResource { cid: "" }) in the resourceAbilityRequests'],
    });
    const pkpOnly = await walletCap(minter, { att: { 'lit-pkp://*': { 'Threshold/Signing': [{}] } } });
    expectNoValidCapability(await call(body(sessionSig({ capabilities: [pkpOnly], resourceAbilityRequests: [PKP_RAR, laRar] }))));
  });

  it('4.1: an EOA capability must be signed (EIP-191, re-serialised SIWE) by its SIWE address; its JSON address is not checked', async () => {
    const laRar = { resource: { resource: '*', resourcePrefix: 'lit-litaction' }, ability: 'lit-action-execution' };
    const forged = { ...(await walletCap(minter)), sig: await user.signMessage((await walletCap(minter)).signedMessage as string) };
    expectNoValidCapability(await call(body(sessionSig({ capabilities: [forged], resourceAbilityRequests: [PKP_RAR, laRar] }))));
    // a JSON address in another form (the node's own test uses ethers' elided Display, session_sigs.rs:840) is not compared with the SIWE address
    const elided = await walletCap(minter, { jsonAddress: minter.address.toLowerCase() });
    expectSuccess(await call(body(sessionSig({ capabilities: [elided], resourceAbilityRequests: [PKP_RAR, laRar] }))));
  });

  it('4.2: an auth_context that does not deserialise: 502 NodeAuthContextFromSessionSigError', async () => {
    const { actionIpfsIds: _dropped, ...broken } = authContextOf(user.address);
    expectRefusal(await call(body(sessionSig({ capabilities: [litBlsCap({ att: pkpSigningAtt(broken) })] }))), {
      status: 502,
      kind: 'Validation',
      code: 'NodeAuthContextFromSessionSigError',
      message: 'Unable to parse Authcontext from sessionSig',
      details: ['missing field `actionIpfsIds`'],
    });
  });

  it('4.2: an auth context from a LIT_BLS capability without an expiration: 400 NodeSIWEMessageError', async () => {
    expectRefusal(await call(body(sessionSig({ capabilities: [litBlsCap({ expiration: null })] }))), {
      status: 400,
      kind: 'Validation',
      code: 'NodeSIWEMessageError',
      message: 'Error parsing SIWE message',
      details: ['Could not extract expiration time from SIWE message'],
    });
  });
});

describe('§5 PKP permission at sign time (pkp/auth/mod.rs:294-549), scope 1', () => {
  it('an auth method permitted only with scope 2 cannot pkp/sign: 401 NodeAuthSigScopeTooLimited', async () => {
    expectRefusal(await call(body(sessionSig(), { pubkey: pkpC.publicKey })), SCOPE_TOO_LIMITED);
  });

  it('a session whose auth method is not permitted at all is refused the same way', async () => {
    const stranger = randomWallet();
    expectRefusal(await call(body(sessionSig({ capabilities: [litBlsCap({ att: pkpSigningAtt(authContextOf(stranger.address)) })] }))), SCOPE_TOO_LIMITED);
  });

  it('the PKP NFT owner passes without any permission or scope', async () => {
    expectSuccess(
      await call(body(sessionSig({ capabilities: [litBlsCap({ att: pkpSigningAtt(authContextOf(minter.address)) })] }), { pubkey: pkpC.publicKey })),
    );
  });

  it('the session’s capability address is checked last: the owner’s address there passes', async () => {
    const stranger = randomWallet();
    expectSuccess(
      await call(body(sessionSig({ capabilities: [litBlsCap({ address: minter.address, att: pkpSigningAtt(authContextOf(stranger.address)) })] }))),
    );
  });

  it('a pubkey that is not a minted PKP: 500 NodeContractResolverConversionFailed from ownerOf', async () => {
    const reply = await call(body(sessionSig(), { pubkey: randomWallet().publicKey }));
    expect(reply.status).toBe(500);
    expect(reply.body).toMatchObject({
      errorKind: 'Unexpected',
      errorCode: 'NodeContractResolverConversionFailed',
      message: KIND_TEXT.Unexpected,
      correlationId: CORRELATION,
    });
    expect((reply.body.details as string[])[0]).toMatch(/^unexpected error: Error getting owner of PKP: /);
  });
});

describe('§6 capacity credits (rate_limiting/), when the node rate-limits', () => {
  const RLI = (i: number, o: Partial<{ owner: string; expiresAt: number; rpk: bigint }> = {}): string => {
    const tokenId = String(1000 + i);
    chain.tokens.set(tokenId, {
      tokenId,
      owner: o.owner ?? minter.address,
      expiresAt: o.expiresAt ?? Math.floor(NOW / 1000) + 86_400,
      requestsPerKilosecond: o.rpk ?? 1_000_000n,
    });
    return tokenId;
  };
  const rlCtx = (o: Partial<NodeContext> = {}): NodeContext => makeCtx({ rateLimiting: true, ...o });
  const pkpHex = pkpA.address.slice(2).toLowerCase();
  const EXCEEDED = { status: 400, body: { message: 'Rate limit exceeded.  Try again later.', errorCode: 'rate_limit_exceeded' } };

  afterEach(() => chain.tokens.clear());

  it('no NFT owned or delegated: 400 rate_limit_exceeded; no free tier (mod.rs:133-159)', async () => {
    expect(await call(body(sessionSig()), rlCtx())).toEqual(EXCEEDED);
    expectSuccess(await call(body(sessionSig()), makeCtx({ rateLimiting: false })));
  });

  it('an unexpired NFT owned by the user address (the first valid capability’s address) is enough; an expired one is not', async () => {
    RLI(1, { owner: pkpA.address, expiresAt: Math.floor(NOW / 1000) });
    expect(await call(body(sessionSig()), rlCtx())).toEqual(EXCEEDED);
    RLI(2, { owner: pkpA.address });
    expectSuccess(await call(body(sessionSig()), rlCtx()));
  });

  it('a delegation: Auth/Auth on lit-ratelimitincrease, delegate_to without 0x, nft_id decimal strings', async () => {
    const id = RLI(3);
    expectSuccess(
      await call(body(sessionSig({ capabilities: [await delegationCap(minter, { nft_id: [id], delegate_to: [pkpHex], uses: '5' }), litBlsCap()] })), rlCtx()),
    );
    // delegate_to absent: anybody
    expectSuccess(await call(body(sessionSig({ capabilities: [await delegationCap(minter, { nft_id: [id] }), litBlsCap()] })), rlCtx()));
  });

  it('delegate_to entries with 0x never match, [] is nobody', async () => {
    const id = RLI(4);
    for (const delegateTo of [[`0x${pkpHex}`], []]) {
      expect(
        await call(body(sessionSig({ capabilities: [await delegationCap(minter, { nft_id: [id], delegate_to: delegateTo }), litBlsCap()] })), rlCtx()),
      ).toEqual(EXCEEDED);
    }
  });

  it('delegate_to that is not an array, or uses that is not a string, panic: the 500 catcher', async () => {
    const id = RLI(5);
    for (const nb of [
      { nft_id: [id], delegate_to: pkpHex },
      { nft_id: [id], uses: 5 },
      { nft_id: [id], uses: 'many' },
    ]) {
      expectRefusal(await call(body(sessionSig({ capabilities: [await delegationCap(minter, nb), litBlsCap()] })), rlCtx()), {
        status: 500,
        kind: 'Unexpected',
        code: 'NodeSystemFault',
        message: 'A general system fault has occurred in the node',
        details: ['caught rocket 500: internal server error'],
        correlated: false,
      });
    }
  });

  it('the delegator need not own the NFTs it names (the node never compares the owner); expired ones are skipped', async () => {
    const notTheDelegators = RLI(6, { owner: randomWallet().address });
    expectSuccess(await call(body(sessionSig({ capabilities: [await delegationCap(user, { nft_id: [notTheDelegators] }), litBlsCap()] })), rlCtx()));
    const expired = RLI(7, { expiresAt: Math.floor(NOW / 1000) - 1 });
    expect(await call(body(sessionSig({ capabilities: [await delegationCap(minter, { nft_id: [expired, 'x', 7] }), litBlsCap()] })), rlCtx())).toEqual(
      EXCEEDED,
    );
  });

  it('no nft_id: every unexpired NFT owned by the delegation’s SIWE address', async () => {
    RLI(8, { owner: user.address });
    expectSuccess(await call(body(sessionSig({ capabilities: [await delegationCap(user, {}), litBlsCap()] })), rlCtx()));
    expect(await call(body(sessionSig({ capabilities: [await delegationCap(minter, {}), litBlsCap()] })), rlCtx())).toEqual(EXCEEDED);
  });

  it('every capability must parse and validate, or the request fails with its error (data.rs:170-177)', async () => {
    RLI(9, { owner: pkpA.address });
    const expired = await delegationCap(minter, {}, { issuedAt: isoAt(-2 * DAY), expiration: isoAt(-DAY) });
    expectRefusal(await call(body(sessionSig({ capabilities: [expired, litBlsCap()] })), rlCtx()), {
      status: 400,
      kind: 'Validation',
      code: 'NodeSIWEMessageError',
      message: 'Error parsing SIWE message',
      details: ['Wallet signature of SIWE is not valid', 'Message is not currently valid'],
    });
    const wrongAddress = { ...(await delegationCap(minter, {})), address: user.address };
    expectRefusal(await call(body(sessionSig({ capabilities: [wrongAddress, litBlsCap()] })), rlCtx()), {
      status: 400,
      kind: 'Validation',
      code: 'NodeSIWEMessageError',
      message: 'Error parsing SIWE message',
      details: ['The address in the SIWE message does not match the address in the auth sig'],
    });
    expectRefusal(await call(body(sessionSig({ capabilities: [{ ...litBlsCap(), signedMessage: 'not siwe' }, litBlsCap()] })), rlCtx()), {
      status: 400,
      kind: 'Parser',
      code: 'NodeSIWECapabilityInvalid',
      message: 'Invalid Capability object in SIWE resource ReCap',
      details: ['Error parsing SIWE message on capability sig', expect.any(String)],
    });
    // without rate limiting the same session signs: invalid capabilities are only skipped there
    expectSuccess(await call(body(sessionSig({ capabilities: [expired, litBlsCap()] })), makeCtx()));
  });

  it('with allocation on: a delegation’s uses are counted per node, keyed by sha256(sig)', async () => {
    const id = RLI(10);
    const delegation = await delegationCap(minter, { nft_id: [id], delegate_to: [pkpHex], uses: '2' });
    const usage = new UsageLedger();
    const ctx = rlCtx({ rateLimitAllocation: true, usage });
    const b = body(sessionSig({ capabilities: [delegation, litBlsCap()] }));
    expectSuccess(await call(b, ctx));
    expectSuccess(await call(b, ctx));
    expect(await call(b, ctx)).toEqual(EXCEEDED);
    expect(usage.usedBy(delegation.sig as string)).toBe(2);
    expect(usage.usesOn(UsageLedger.keyOf(delegation.sig as string), 0)).toBe(2);
    // another node has its own count
    expectSuccess(await call(b, rlCtx({ rateLimitAllocation: true, usage, index: 1, upNodeIndices: () => [1] })));
    // the uses limit is still checked with allocation off…
    expect(await call(b, rlCtx({ usage }))).toEqual(EXCEEDED);
    // …but nothing is counted then: a fresh node serves the delegation any number of times
    const fresh = new UsageLedger();
    for (let k = 0; k < 3; k++) expectSuccess(await call(b, rlCtx({ usage: fresh })));
    expect(fresh.usedBy(delegation.sig as string)).toBe(0);
  });

  it('with allocation on: Σ rpk/1000 per second over the window, then "Try again at" the oldest request + window', async () => {
    RLI(11, { owner: pkpA.address, rpk: 1n });
    const ctx = rlCtx({ rateLimitAllocation: true, rateLimitWindowSeconds: 10_000, usage: new UsageLedger() });
    const b = body(sessionSig());
    let served = 0;
    while ((await call(b, ctx)).status === 200) served++;
    expect(served).toBe(10); // floor(window / 1000 * rpk), the node's own acceptance test rule
    expect(await call(b, ctx)).toEqual({
      status: 400,
      body: { message: `Rate limit exceeded.  Try again at ${new Date(NOW + 10_000_000).toISOString()}`, errorCode: 'rate_limit_exceeded' },
    });
  });
});

describe('§2.3 rows 12-14 signing: the deterministic subset', () => {
  const three = (index: number, o: Partial<NodeContext> = {}): NodeContext => makeCtx({ index, threshold: 2, upNodeIndices: () => [0, 1, 2], ...o });

  it('only threshold nodes sign, the same subset on every node; the others answer 200 with the fail share; the SDK combines the shares', async () => {
    const b = body(sessionSig());
    const replies = await Promise.all([0, 1, 2].map((i) => call(b, three(i))));
    for (const r of replies) expect(r.status).toBe(200);
    const shares = replies.map((r) => r.body.signatureShare as Record<string, unknown>);
    const signing = shares.filter((s) => s.result === 'success');
    expect(signing).toHaveLength(2);
    expect(shares.filter((s) => s.result === 'fail')).toEqual([
      { digest: 'fail', result: 'fail', share_index: 0, signature_share: '', big_r: '', public_key: '', sig_type: '' },
    ]);

    // what the SDK does with them (parse-pkp-sign-response.js, get-signatures.js)
    const parsed = signing.map((s) => {
      const clean = Object.fromEntries(
        Object.entries(s)
          .filter(([k]) => k !== 'result')
          .map(([k, v]) => [k.replace(/(_\w)/g, (m) => m[1].toUpperCase()), typeof v === 'string' ? v.replace(/"/g, '') : v]),
      );
      return { ...clean, dataSigned: clean.digest, sigName: 'sig' };
    });
    const combined = await combineEcdsaShares(parsed);
    const signature = ethers.utils.joinSignature({ r: `0x${combined.r}`, s: `0x${combined.s}`, recoveryParam: combined.recid });
    expect(ethers.utils.recoverAddress(Uint8Array.from(digest), signature)).toBe(pkpA.address);

    // the same request id picks the same subset again
    const again = await Promise.all([0, 1, 2].map((i) => call(b, three(i))));
    expect(again.map((r) => (r.body.signatureShare as Record<string, unknown>).result)).toEqual(shares.map((s) => s.result));
  });

  it('the subset depends on toSign and the request id', async () => {
    const subsets = new Set<string>();
    for (let k = 0; k < 12; k++) {
      const req = { correlationId: `lit_${k}`, headers: {} };
      const replies = await Promise.all([0, 1, 2].map((i) => call(body(sessionSig()), three(i), req)));
      subsets.add(replies.map((r) => (r.body.signatureShare as Record<string, unknown>).result).join(','));
    }
    expect(subsets.size).toBeGreaterThan(1);
  });

  it('14: toSign of another length than 32 is refused by signing nodes only (400 NodeUnknownError); the others answer the fail share', async () => {
    const b = body(sessionSig(), { toSign: digest.slice(1) });
    const replies = await Promise.all([0, 1, 2].map((i) => call(b, three(i))));
    expect(replies.filter((r) => r.status === 200).map((r) => (r.body.signatureShare as Record<string, unknown>).result)).toEqual(['fail']);
    for (const r of replies.filter((x) => x.status !== 200)) {
      expectRefusal(r, {
        status: 400,
        kind: 'Unexpected',
        code: 'NodeUnknownError',
        message: 'Unknown error occured',
        details: [
          'unexpected error: ECDSA signing failed: unexpected error: unexpected error: Message length to be signed is not 32 bytes.  Please hash it before sending it to the node to sign.  You can use SHA256 or Keccak256 for example',
        ],
      });
    }
  });

  it('14: a 32-byte toSign not below the curve order is refused by signing nodes (ScalarPrimitive::from_slice)', async () => {
    const n = Array.from(Buffer.from(secp256k1.CURVE.n.toString(16), 'hex'));
    expectRefusal(await call(body(sessionSig(), { toSign: n })), {
      status: 400,
      kind: 'Unexpected',
      code: 'NodeUnknownError',
      message: 'Unknown error occured',
      details: [
        'unexpected error: ECDSA signing failed: unexpected error: unexpected error: Could not convert message to sign into ScalarPrimitive: crypto error',
      ],
    });
  });

  it('fewer nodes up than the threshold: NodeUnknownError "Threshold is greater than the number of available peers"', async () => {
    expectRefusal(await call(body(sessionSig()), makeCtx({ threshold: 2, upNodeIndices: () => [0] })), {
      status: 400,
      kind: 'Unexpected',
      code: 'NodeUnknownError',
      message: 'Unknown error occured',
      details: ['unexpected error: ECDSA signing failed: unexpected error: Threshold is greater than the number of available peers'],
    });
  });

  it('12: a PKP with an owner but no key share on the node: NodeUnknownError "Pubkey share not found"', async () => {
    const keyless = randomWallet();
    const t = chain.addPkp(keyless, minter.address);
    chain.keys.delete(keyless.publicKey.toLowerCase());
    chain.permitWallet(t, user.address, [1]);
    expectRefusal(await call(body(sessionSig(), { pubkey: keyless.publicKey })), {
      status: 400,
      kind: 'Unexpected',
      code: 'NodeUnknownError',
      message: 'Unknown error occured',
      details: [`unexpected error: Pubkey share not found on this node PKP: ${keyless.publicKey}`],
    });
  });

  it('zeroes the PKP key it was given after use', async () => {
    const handed: Uint8Array[] = [];
    const spying = Object.assign(Object.create(chain) as Chain, {
      pkpPrivateKey(pub: string): Uint8Array | undefined {
        const k = chain.pkpPrivateKey(pub);
        if (k) handed.push(k);
        return k;
      },
    });
    expectSuccess(await call(body(sessionSig()), makeCtx({ chainView: spying })));
    expect(handed).toHaveLength(1);
    expect(handed[0].every((b) => b === 0)).toBe(true);
  });
});
