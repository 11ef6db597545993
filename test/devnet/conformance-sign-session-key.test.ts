/**
 * The devnet's nodes against the real Lit node's rules for the handshake, sign_session_key and the
 * HTTP layer (devnet/README.md, conformance table, rows H*, R*, S*, W*, P*, T*, L*, N*, C*, A*, O*):
 * hand-crafted requests whose expected outcome, error kind, code and status were read from
 * LIT-Protocol/Node v1.0.18. One test per row. The SDK's own path is in sdk-session-sigs.test.ts.
 */
import { LIT_ABILITY } from '@lit-protocol/constants';
import { LitPKPResource, RecapSessionCapabilityObject } from '@lit-protocol/auth-helpers';
import { ethers } from 'ethers';
import { SiweMessage } from 'siwe';
import { startLitNodes, type LitNetwork } from '../../devnet/nodes';
import { sessionSigningDigest } from '../../devnet/nodes/bls-network-key';
import { litActionCid } from '../../devnet/nodes/lit-action/runtime';
import { decodeRecap } from '../../devnet/nodes/recap';
import { FakeChainView } from './helpers/fake-chain-view';
import { postToNode, TEST_REQUEST_ID, type RawReply } from './helpers/raw-node';

const DAY = 86_400_000;
const iso = (offsetMs: number): string => new Date(Date.now() + offsetMs).toISOString();
const sessionKey = `lit:session:${'ab'.repeat(32)}`;

const chain = new FakeChainView();
const owner = ethers.Wallet.createRandom();
const stranger = ethers.Wallet.createRandom();
const permittedWallet = ethers.Wallet.createRandom();
const pkpWallet = ethers.Wallet.createRandom();
const tokenId = chain.addPkp(pkpWallet, owner.address);
chain.permitWallet(tokenId, permittedWallet.address, [2]);
let network: LitNetwork;
let node: string;

interface WalletSiwe {
  uri?: string;
  expirationTime?: string | null;
  issuedAt?: string;
  notBefore?: string;
  address?: string;
}

/** An EthWallet auth method: a SIWE signed by `wallet` (EIP-191). `raw` edits the access token. */
async function walletAuthMethod(wallet: ethers.Wallet, o: WalletSiwe = {}, raw?: (authSig: Record<string, unknown>) => Record<string, unknown>) {
  const message = new SiweMessage({
    domain: 'localhost',
    address: o.address ?? wallet.address,
    uri: o.uri ?? 'https://localhost/login',
    version: '1',
    chainId: 1,
    nonce: '1LF00rraLO4f7ZSIt', // not a block hash: the node does not check a wallet sig's nonce
    issuedAt: o.issuedAt ?? iso(0),
    ...(o.expirationTime === null ? {} : { expirationTime: o.expirationTime ?? iso(DAY) }),
    ...(o.notBefore ? { notBefore: o.notBefore } : {}),
  }).prepareMessage();
  const authSig: Record<string, unknown> = {
    sig: await wallet.signMessage(message),
    derivedVia: 'web3.eth.personal.sign',
    signedMessage: message,
    address: wallet.address,
  };
  return { authMethodType: 1, accessToken: JSON.stringify(raw ? raw(authSig) : authSig) };
}

interface SessionSiwe {
  address?: string;
  uri?: string;
  nonce?: string;
  issuedAt?: string;
  expirationTime?: string | null;
  notBefore?: string;
  statement?: string;
  withRecap?: boolean;
}

/** The session SIWE as SDK 7.4.0 builds it (statement, ReCap over lit-pkp://* Threshold/Signing, nonce = latest block hash). */
function sessionSiwe(o: SessionSiwe = {}): string {
  const siwe = new SiweMessage({
    domain: 'litprotocol.com',
    address: o.address ?? pkpWallet.address,
    statement: o.statement ?? 'Lit Protocol PKP session signature',
    uri: o.uri ?? sessionKey,
    version: '1',
    chainId: 1,
    nonce: o.nonce ?? chain.latest,
    issuedAt: o.issuedAt ?? iso(0),
    ...(o.expirationTime === null ? {} : { expirationTime: o.expirationTime ?? iso(DAY) }),
    ...(o.notBefore ? { notBefore: o.notBefore } : {}),
  });
  if (o.withRecap !== false) {
    const recap = new RecapSessionCapabilityObject();
    recap.addCapabilityForResource(new LitPKPResource('*'), LIT_ABILITY.PKPSigning);
    recap.addToSiweMessage(siwe);
  }
  return siwe.prepareMessage();
}

async function body(overrides: Record<string, unknown> = {}, siwe: SessionSiwe = {}): Promise<Record<string, unknown>> {
  return {
    sessionKey,
    authMethods: [await walletAuthMethod(owner)],
    pkpPublicKey: pkpWallet.publicKey,
    siweMessage: sessionSiwe(siwe),
    curveType: 'BLS',
    epoch: 1,
    ...overrides,
  };
}

const signSessionKey = (b: unknown, headers?: Record<string, string>): Promise<RawReply> => postToNode(node, '/web/sign_session_key/v1', b, headers);

/** The real node's PublicError, as `toEqual` expects it. */
function publicError(e: { kind: string; code?: string; status: number; message: string; details?: string[] | jest.AsymmetricMatcher; correlated?: boolean }) {
  return {
    errorKind: e.kind,
    ...(e.code ? { errorCode: e.code } : {}),
    status: e.status,
    message: e.message,
    ...(e.correlated === false ? {} : { correlationId: TEST_REQUEST_ID }),
    ...(e.details ? { details: e.details } : {}),
  };
}

const KIND_TEXT = {
  Validation: 'An error related to validation has occured.',
  Unexpected: 'An unexpected has occured.',
  Conversion: 'An error related to type conversion has occured.',
  Parser: 'An error related to a parsing has occured.',
};
const SIWE_ERROR = 'Error parsing SIWE message';
const SCOPE_TOO_LIMITED = 'auth_sig scope that is passed does not support the requested operation';

function expectSiweError(reply: RawReply, kind: 'Validation' | 'Parser', detail: RegExp): void {
  expect(reply.status).toBe(400);
  expect(reply.body).toEqual(publicError({ kind, code: 'NodeSIWEMessageError', status: 400, message: SIWE_ERROR, details: expect.any(Array) }));
  expect(reply.body.details![0]).toMatch(detail);
}

beforeAll(async () => {
  network = await startLitNodes({ chainView: chain, nodeCount: 3, threshold: 2 });
  node = network.nodes[0].url;
});

afterAll(async () => {
  await network?.stop();
});

describe('HTTP layer (Rocket routes and catchers)', () => {
  it('R1: an unknown path is Rocket’s 404, not a node error', async () => {
    const reply = await postToNode(node, '/web/nothing/v1', {});
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({ error: { code: 404, reason: 'Not Found', description: expect.any(String) } });
  });

  it('R2: a node route only matches a JSON body (format = "json"); another content type is a 404', async () => {
    const reply = await postToNode(node, '/web/sign_session_key/v1', JSON.stringify(await body()), { 'content-type': 'text/plain' });
    expect(reply.status).toBe(404);
  });

  it('R3: JSON that does not parse, or an empty body, is Rocket’s 400', async () => {
    for (const raw of ['{"sessionKey":', '']) {
      const reply = await postToNode(node, '/web/sign_session_key/v1', raw);
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ error: { code: 400, reason: 'Bad Request', description: expect.any(String) } });
    }
  });

  it('R4: a missing field or a wrong type is the node’s 422 NodeBadInput (kind Unexpected, no correlation id)', async () => {
    const valid = await body();
    for (const broken of [
      { ...valid, siweMessage: undefined },
      { ...valid, authMethods: 'x' },
      { ...valid, curveType: 'ECDSA' },
      { ...valid, epoch: -1 },
      { ...valid, epoch: null },
    ]) {
      const reply = await signSessionKey(broken);
      expect(reply.status).toBe(422);
      expect(reply.body).toEqual(
        publicError({
          kind: 'Unexpected',
          code: 'NodeBadInput',
          status: 422,
          message: expect.stringContaining('your JSON body is wrong') as unknown as string,
          details: ['caught rocket 422: bad input error'],
          correlated: false,
        }),
      );
    }
  });

  it('R5: a body over the devnet’s 1 MiB limit is a 413 (the real node allows 100 MiB: a deliberate difference)', async () => {
    const reply = await signSessionKey({ ...(await body()), padding: 'x'.repeat(1024 * 1024) });
    expect(reply.status).toBe(413);
  });

  it('R6: every reply carries the node version header', async () => {
    const reply = await postToNode(node, '/web/handshake/', { clientPublicKey: 'test', challenge: '00'.repeat(32) });
    expect(reply.headers.get('x-lit-node-version')).toBe('1.0.18');
  });

  it('R7: endpoints the devnet does not emulate answer a coded refusal that says so, never a false success', async () => {
    for (const path of ['/web/execute/v1', '/web/encryption/sign/', '/web/pkp/claim']) {
      const reply = await postToNode(node, path, { code: 'x', authSig: {} });
      expect(reply.status).toBe(501);
      expect(reply.body).toMatchObject({ errorKind: 'Unexpected', errorCode: 'DevnetNotEmulated', status: 501 });
      expect(reply.body.details![0]).toMatch(/not emulated by this devnet/);
    }
  });
});

describe('handshake', () => {
  it('H1: answers with the real node’s fields: empty serverPublicKey, the network key three times, the client SDK version, no epoch', async () => {
    const reply = await postToNode(
      node,
      '/web/handshake/',
      { clientPublicKey: 'test', challenge: '00'.repeat(32), epoch: 99 },
      { 'x-lit-sdk-version': '7.4.0' },
    );
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      serverPublicKey: '',
      subnetPublicKey: network.networkPublicKey,
      networkPublicKey: network.networkPublicKey,
      networkPublicKeySet: network.networkPublicKey,
      clientSdkVersion: '7.4.0',
      hdRootPubkeys: expect.any(Array),
      attestation: null,
      latestBlockhash: chain.latest,
    });
  });

  it('H2: needs an X-Request-Id or X-Correlation-Id header', async () => {
    const res = await fetch(`${node}/web/handshake/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientPublicKey: 'test' }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      errorKind: 'Validation',
      errorCode: 'CoreApiMissingRequiredXRequestIdHeader',
      status: 400,
      message: 'Missing required header: X-Correlation-Id / X-Request-Id',
      details: ["Missing 'X-Request-Id' or 'X-Correlation-Id' header."],
    });
  });

  it('H3: refuses an X-Lit-SDK-Version that is not semver, or 0.0.0; reports 1.2.60 when none is sent', async () => {
    for (const v of ['seven', '0.0.0']) {
      const reply = await postToNode(node, '/web/handshake/', { clientPublicKey: 'test' }, { 'x-lit-sdk-version': v });
      expect(reply.status).toBe(400);
      expect(reply.body.errorCode).toBe('CoreApiInvalidXSDKVersionHeader');
    }
    const reply = await postToNode(node, '/web/handshake/', { clientPublicKey: 'test' });
    expect(reply.body.clientSdkVersion).toBe('1.2.60');
  });

  it('H4: needs clientPublicKey (a string): otherwise 422', async () => {
    expect((await postToNode(node, '/web/handshake/', { challenge: '00' })).status).toBe(422);
  });
});

describe('sign_session_key: request checks before the handler context', () => {
  it('S1: curveType other than BLS is NodeInvalidCurveType, without a correlation id', async () => {
    const reply = await signSessionKey(await body({ curveType: 'K256' }));
    expect(reply.body).toEqual(
      publicError({
        kind: 'Validation',
        code: 'NodeInvalidCurveType',
        status: 400,
        message: KIND_TEXT.Validation,
        details: ['Invalid curve_type: K256 - only BLS curve type is allowed for this endpoint'],
        correlated: false,
      }),
    );
  });

  it('S2: a request-level authSig is NodeInvalidAuthSigForSessionKey', async () => {
    const reply = await signSessionKey(
      await body({ authSig: { sig: '0x', derivedVia: 'web3.eth.personal.sign', signedMessage: 'x', address: owner.address } }),
    );
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ errorKind: 'Validation', errorCode: 'NodeInvalidAuthSigForSessionKey', message: KIND_TEXT.Validation });
    expect(reply.body.correlationId).toBeUndefined();
  });
});

describe('sign_session_key: the session SIWE', () => {
  it('S3: a message siwe-rs cannot parse is NodeSIWEMessageError (kind Parser): lower-case address, trailing newline, short nonce', async () => {
    const good = sessionSiwe();
    const variants = [good.replace(pkpWallet.address, pkpWallet.address.toLowerCase()), `${good}\n`, good.replace(/^Nonce: .*$/m, 'Nonce: abc1234')];
    for (const siweMessage of variants) {
      const reply = await signSessionKey(await body({ siweMessage }));
      expect(reply.body).toEqual(
        publicError({
          kind: 'Parser',
          code: 'NodeSIWEMessageError',
          status: 400,
          message: SIWE_ERROR,
          details: [SIWE_ERROR, expect.any(String)] as unknown as string[],
        }),
      );
    }
  });

  it('S4: a statement naming lit-resolvedauthcontext is NodeInvalidAuthContextResource (401)', async () => {
    const reply = await signSessionKey(await body({}, { statement: 'give me lit-resolvedauthcontext://*' }));
    expect(reply.body).toEqual(
      publicError({
        kind: 'Validation',
        code: 'NodeInvalidAuthContextResource',
        status: 401,
        message: KIND_TEXT.Validation,
        details: ["Can't define Auth Context resources in capability"],
      }),
    );
  });

  it('T1: a URI other than the session key is NodeSIWEMessageError (Parser)', async () => {
    expectSiweError(
      await signSessionKey(await body({}, { uri: 'lit:session:other' })),
      'Parser',
      /^URI in SIWE message lit:session:other does not match URI in request lit:session:/,
    );
  });

  it('T2: issuedAt more than 60 s ahead is refused; 30 s ahead is accepted', async () => {
    expectSiweError(await signSessionKey(await body({}, { issuedAt: iso(120_000) })), 'Validation', /is in the future beyond the grace period of 60 seconds/);
    expect((await signSessionKey(await body({}, { issuedAt: iso(30_000) }))).status).toBe(200);
  });

  it('T3: no expiration time is refused (kind Parser)', async () => {
    expectSiweError(await signSessionKey(await body({}, { expirationTime: null })), 'Parser', /^Session key expiration time is not set$/);
  });

  it('T4: an expiration before issuedAt is NodeExpWrongOrTooLarge (403)', async () => {
    const reply = await signSessionKey(await body({}, { issuedAt: iso(-60_000), expirationTime: iso(-120_000) }));
    expect(reply.status).toBe(403);
    expect(reply.body).toMatchObject({ errorKind: 'Validation', errorCode: 'NodeExpWrongOrTooLarge', message: 'While signing JWT, EXP too large or wrong' });
    expect(reply.body.details![0]).toMatch(/is in behind issue_at which is/);
  });

  it('T5: an expiration more than 60 s past is refused; 30 s past is within the grace period', async () => {
    expectSiweError(
      await signSessionKey(await body({}, { issuedAt: iso(-DAY), expirationTime: iso(-120_000) })),
      'Validation',
      /is in the past beyond the grace period of 60 seconds/,
    );
    expect((await signSessionKey(await body({}, { issuedAt: iso(-DAY), expirationTime: iso(-30_000) }))).status).toBe(200);
  });

  it('T6: a lifetime over 30 days is refused; exactly 30 days is accepted', async () => {
    const issuedAt = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
    expectSiweError(
      await signSessionKey(await body({}, { issuedAt, expirationTime: new Date(Date.parse(issuedAt) + 31 * DAY).toISOString() })),
      'Validation',
      /is beyond the max expiry timestamp of/,
    );
    expect((await signSessionKey(await body({}, { issuedAt, expirationTime: new Date(Date.parse(issuedAt) + 30 * DAY).toISOString() }))).status).toBe(200);
  });

  it('T7: Not Before is not checked by sign_session_key (a future one is signed over)', async () => {
    const reply = await signSessionKey(await body({}, { notBefore: iso(3_600_000) }));
    expect(reply.status).toBe(200);
    expect(reply.body.siweMessage).toMatch(/\nNot Before: /);
  });

  it('T8: the session key has no format of its own: any string equal to the SIWE URI is accepted', async () => {
    const uri = 'urn:anything:devnet';
    expect((await signSessionKey(await body({ sessionKey: uri }, { uri }))).status).toBe(200);
  });

  it('E1: the epoch is never refused', async () => {
    for (const epoch of [0, 1, 2, 999]) expect((await signSessionKey(await body({ epoch }))).status).toBe(200);
    const { epoch: _omit, ...noEpoch } = await body();
    expect((await signSessionKey(noEpoch)).status).toBe(200);
  });
});

describe('sign_session_key: the EthWallet auth method (wallet_sig.rs)', () => {
  const withMethod = async (method: { authMethodType: number; accessToken: string }) => signSessionKey(await body({ authMethods: [method] }));

  it('W1: an access token that is not a JsonAuthSig (not JSON, an unknown key, a missing key) is NodeWalletSignatureJSONError (502)', async () => {
    const tokens = [
      'not json',
      (await walletAuthMethod(owner, {}, (a) => ({ ...a, extra: 1 }))).accessToken,
      (await walletAuthMethod(owner, {}, ({ derivedVia: _d, ...a }) => a)).accessToken,
    ];
    for (const accessToken of tokens) {
      const reply = await withMethod({ authMethodType: 1, accessToken });
      expect(reply.status).toBe(502);
      expect(reply.body).toMatchObject({ errorKind: 'Parser', errorCode: 'NodeWalletSignatureJSONError', message: 'Wallet Signature not in JSON format' });
      expect(reply.body.details![0]).toMatch(/^parser error: Unable to parse string into a JsonAuthSig: /);
    }
  });

  it('W2: a sig that is not 65 bytes of hex is NodeAuthSigSignatureConversionError (400)', async () => {
    const reply = await withMethod(await walletAuthMethod(owner, {}, (a) => ({ ...a, sig: '0x1234' })));
    expect(reply.body).toMatchObject({ status: 400, errorKind: 'Parser', errorCode: 'NodeAuthSigSignatureConversionError' });
  });

  it('W3: an address that is not 20 bytes of hex is NodeAuthSigAddressConversionError (400); any case is accepted', async () => {
    expect((await withMethod(await walletAuthMethod(owner, {}, (a) => ({ ...a, address: 'jkl' })))).body).toMatchObject({
      status: 400,
      errorCode: 'NodeAuthSigAddressConversionError',
    });
    expect((await withMethod(await walletAuthMethod(owner, {}, (a) => ({ ...a, address: owner.address.toLowerCase() })))).status).toBe(200);
  });

  it('W4: a signature by another wallet is a 500 with no errorCode (as the real node answers it)', async () => {
    const reply = await withMethod(await walletAuthMethod(stranger, {}, (a) => ({ ...a, address: owner.address })));
    expect(reply.body).toEqual(publicError({ kind: 'Unexpected', status: 500, message: KIND_TEXT.Unexpected, details: expect.any(Array) }));
    expect(reply.body.details![0]).toMatch(/^validation error: Invalid signature verification: Signature verification failed\. Expected 0x/);
  });

  it('W5: a signed message that siwe-rs cannot parse is a 500 with no errorCode', async () => {
    const message = 'I am not a SIWE message';
    const reply = await withMethod({
      authMethodType: 1,
      accessToken: JSON.stringify({
        sig: await owner.signMessage(message),
        derivedVia: 'web3.eth.personal.sign',
        signedMessage: message,
        address: owner.address,
      }),
    });
    expect(reply.body).toMatchObject({
      status: 500,
      errorKind: 'Unexpected',
      details: ['parser error: Parse error on SIWE: Formatting Error: Missing Preamble Line', 'Parse error on SIWE'],
    });
    expect(reply.body.errorCode).toBeUndefined();
  });

  it('W6: a wallet SIWE whose URI is a session or delegation URI is NodeInvalidAuthSig (401)', async () => {
    for (const uri of ['lit:session:abc', 'lit:capability:delegation']) {
      const reply = await withMethod(await walletAuthMethod(owner, { uri }));
      expect(reply.body).toEqual(
        publicError({
          kind: 'Validation',
          code: 'NodeInvalidAuthSig',
          status: 401,
          message: "auth_sig passed is invalid or couldn't be verified",
          details: [`validation error: Invalid URI for top level auth sig: ${uri}`],
        }),
      );
    }
  });

  it('W7: the session time rules, reported through the SIWE validation wrapper; no expiration is refused; Not Before is not checked', async () => {
    const expired = await withMethod(await walletAuthMethod(owner, { issuedAt: iso(-DAY), expirationTime: iso(-120_000) }));
    expect(expired.body).toMatchObject({ status: 400, errorKind: 'Validation', errorCode: 'NodeSIWEMessageError' });
    expect(expired.body.details![0]).toMatch(
      /^validation error: SIWE validation failed: validation error: Session key expiration .* is in the past beyond the grace period/,
    );
    const noExpiry = await withMethod(await walletAuthMethod(owner, { expirationTime: null }));
    expect(noExpiry.body).toMatchObject({
      status: 400,
      errorKind: 'Parser',
      errorCode: 'NodeSIWEMessageError',
      details: expect.arrayContaining(['Session key expiration time is not set']),
    });
    expect((await withMethod(await walletAuthMethod(owner, { issuedAt: iso(-DAY), expirationTime: iso(-30_000) }))).status).toBe(200);
    expect((await withMethod(await walletAuthMethod(owner, { notBefore: iso(3_600_000) }))).status).toBe(200);
  });

  it('W8: a SIWE naming another address than its signer is a 500 with no errorCode', async () => {
    const reply = await withMethod(await walletAuthMethod(owner, { address: stranger.address }));
    expect(reply.body).toMatchObject({
      status: 500,
      errorKind: 'Unexpected',
      details: ['validation error: Error verifying SIWE signature: Recovered key does not match address or contract wallet support is not enabled.'],
    });
  });

  it('S5: an auth method type the node does not know is a 500 with no errorCode', async () => {
    const reply = await withMethod({ authMethodType: 99, accessToken: 'x' });
    expect(reply.body).toEqual(
      publicError({ kind: 'Unexpected', status: 500, message: KIND_TEXT.Unexpected, details: ['validation error: Unsupported auth method type: 99'] }),
    );
  });

  it('S6: an auth method the real node verifies with an outside service (Google, Discord, WebAuthn, Stytch) is refused as not emulated', async () => {
    for (const type of [3, 4, 5, 6, 8, 9, 10, 13]) {
      const reply = await withMethod({ authMethodType: type, accessToken: 'x' });
      expect(reply.body).toMatchObject({ status: 501, errorCode: 'DevnetNotEmulated' });
    }
  });
});

describe('sign_session_key: the PKP', () => {
  it('P1: a pkpPublicKey that is not hex is a 500 (kind Conversion, no errorCode)', async () => {
    expect((await signSessionKey(await body({ pkpPublicKey: '0xzz' }))).body).toMatchObject({
      status: 500,
      errorKind: 'Conversion',
      message: KIND_TEXT.Conversion,
    });
  });

  it('P2: a pkpPublicKey shorter than 33 bytes is a 500 (kind Parser, no errorCode)', async () => {
    const reply = await signSessionKey(await body({ pkpPublicKey: '0x04abcd' }));
    expect(reply.body).toMatchObject({
      status: 500,
      errorKind: 'Parser',
      details: ['Error hex decoding pkpPublicKey', 'validation error: Invalid pubkey length.  Expected generally 33 or 64 bytes.'],
    });
    expect(reply.body.errorCode).toBeUndefined();
  });

  it('P3: a SIWE address that is not the PKP’s is NodeSIWEMessageError (Parser)', async () => {
    expectSiweError(
      await signSessionKey(await body({}, { address: stranger.address })),
      'Parser',
      /^Address in SIWE message [0-9a-f]{40} does not match PKP ETH address [0-9a-f]{40}$/,
    );
  });

  it('P4: without pkpPublicKey the PKP is the first auth method’s (getTokenIdsForAuthMethod), and the SIWE address is not compared', async () => {
    const { pkpPublicKey: _omit, ...rest } = await body({ authMethods: [await walletAuthMethod(permittedWallet)] }, { address: stranger.address });
    const reply = await signSessionKey(rest);
    expect(reply.status).toBe(200);
    expect(reply.body.siweMessage).toContain(`\n${pkpWallet.address}\n`);
    const none = await signSessionKey({ ...rest, authMethods: [await walletAuthMethod(stranger)] });
    expect(none.body).toMatchObject({ status: 400, errorKind: 'Unexpected', errorCode: 'NodePKPTokenIdNotFound', message: 'Could not find PKP token ID.' });
  });
});

describe('sign_session_key: Lit Actions are run or refused, never ignored', () => {
  it('L1: code and litActionIpfsId together are a 500', async () => {
    const reply = await signSessionKey(await body({ code: Buffer.from('true').toString('base64'), litActionIpfsId: 'QmX' }));
    expect(reply.body).toMatchObject({
      status: 500,
      errorKind: 'Unexpected',
      details: ["Can't provide both code & lit_action_ipfs_id", "Can't provide both code & lit_action_ipfs_id"],
    });
  });

  it('L2: code that is not base64 is a 500 (kind Conversion)', async () => {
    expect((await signSessionKey(await body({ code: '***' }))).body).toMatchObject({ status: 500, errorKind: 'Conversion' });
  });
});

/** The real node's own test actions (common/test-common/src/session_sigs.rs:17-46) and the CIDs its tests give them. */
const NODE_VALID_ACTION = `
    // Works with an AuthSig AuthMethod
    if (Lit.Auth.authMethodContexts.some(e => e.authMethodType === 1)) {
        LitActions.setResponse({response:"true"});
    } else {
        LitActions.setResponse({response:"false"});
    }
`;
const NODE_VALID_ACTION_CID = 'QmNZQXmY2VijUPfNrkC6zWykBnEniDouAeUpFi9r6aaqNz'; // tests/integration/session_sigs.rs:208
const NODE_CUSTOM_RESOURCE_ACTION = `
    if (Lit.Auth.authMethodContexts.some(e => e.authMethodType === 1)) {
        // Adds the Custom Auth Resource in the SessionSigs
        LitActions.setResponse({response:"(true, 'Anything your want to use in executeJs')"});
    } else {
        LitActions.setResponse({response:"false"});
    }
`;
const NODE_CUSTOM_RESOURCE_ACTION_CID = 'QmRxUzYX52zEko9nvvtkdA6k8jU36enwwTVgW9ZwbdsUHY'; // session_sigs.rs:473
const NODE_SIGNING_ACTION = `(async () => {
    let utf8Encode = new TextEncoder();
    const toSign = utf8Encode.encode('This message is exactly 32 bytes');
    const sigShare = await LitActions.signEcdsa({ toSign, publicKey, sigName });
})();`;

const b64 = (code: string): string => Buffer.from(code, 'utf8').toString('base64');
/** The resolved auth context the node wrote into the session's ReCap. */
const resolvedAuthContext = (reply: RawReply): Record<string, unknown> => {
  const siwe = reply.body.siweMessage as string;
  const recap = siwe
    .split('\n')
    .find((l) => l.startsWith('- urn:recap:'))!
    .slice(2);
  return decodeRecap(recap).att['lit-resolvedauthcontext://*']['Auth/Auth'][0].auth_context as Record<string, unknown>;
};

describe('sign_session_key: Lit Action authentication (web_client.rs:1350-1518), run in the sandbox', () => {
  afterEach(() => network.controls.setLitActionLimits({ timeoutMs: 30_000, memoryLimitMb: 256 }));

  it("L3: a CID is computed as the node computes it (the node tests' own actions and CIDs)", async () => {
    expect(await litActionCid(NODE_VALID_ACTION)).toBe(NODE_VALID_ACTION_CID);
    expect(await litActionCid(NODE_CUSTOM_RESOURCE_ACTION)).toBe(NODE_CUSTOM_RESOURCE_ACTION_CID);
  });

  it("L4: the node's valid action (inline code) signs; its CID joins actionIpfsIdStack and its response is the customAuthResource", async () => {
    const reply = await signSessionKey(await body({ code: b64(NODE_VALID_ACTION) }));
    expect(reply.status).toBe(200);
    expect(resolvedAuthContext(reply)).toMatchObject({ actionIpfsIdStack: [NODE_VALID_ACTION_CID], actionIpfsIds: [], customAuthResource: 'true' });
  });

  it('L5: success is a substring test: a response containing "true" passes and is kept whole', async () => {
    const reply = await signSessionKey(await body({ code: b64(NODE_CUSTOM_RESOURCE_ACTION) }));
    expect(reply.status).toBe(200);
    expect(resolvedAuthContext(reply)).toMatchObject({
      actionIpfsIdStack: [NODE_CUSTOM_RESOURCE_ACTION_CID],
      customAuthResource: "(true, 'Anything your want to use in executeJs')",
    });
  });

  it('L6: an action that answers false, sets no response, or is empty fails authentication: NodeLitActionsSessionSigAuthenticationFailed (401)', async () => {
    for (const code of ['LitActions.setResponse({response:"false"})', 'const x = 1;', '   ']) {
      const reply = await signSessionKey(await body({ code: b64(code) }));
      expect(reply.body).toEqual(
        publicError({
          kind: 'Validation',
          code: 'NodeLitActionsSessionSigAuthenticationFailed',
          status: 401,
          message: KIND_TEXT.Validation,
          details: Array(2).fill('Authentication failed for session_sig signing via Lit Action'),
        }),
      );
    }
  });

  it("L7: an action that throws, synchronously or in its async body, is the node's 400 {success:false, error, logs}", async () => {
    const sync = await signSessionKey(await body({ code: b64('console.log("checking"); throw new Error("not on the list")') }));
    expect(sync.status).toBe(400);
    expect(sync.body).toEqual({ success: false, error: expect.stringMatching(/^Uncaught Error: not on the list/), logs: 'checking\n' });
    const inPromise = await signSessionKey(await body({ code: b64('(async () => { throw new Error("later") })();') }));
    expect(inPromise.body).toEqual({ success: false, error: expect.stringMatching(/^Uncaught \(in promise\) Error: later/), logs: '' });
  });

  it("L8: an action may not sign in sign_session_key (no auth_sig there), as the node's own test expects", async () => {
    const reply = await signSessionKey(await body({ code: b64(NODE_SIGNING_ACTION), jsParams: { publicKey: pkpWallet.publicKey, sigName: 'sig1' } }));
    expect(reply.status).toBe(400);
    expect(reply.body.error).toContain('You can not sign without providing an auth_sig.');
  });

  it('L9: an action past its time limit is NodeJsTimeoutError (502), with its logs', async () => {
    network.controls.setLitActionLimits({ timeoutMs: 300 });
    const reply = await signSessionKey(await body({ code: b64('console.log("spinning"); while (true) {}') }));
    expect(reply.body).toEqual({
      ...publicError({
        kind: 'Timeout',
        code: 'NodeJsTimeoutError',
        status: 502,
        message: 'There was a timeout error executing the Javascript for this action',
        details: ['timeout error: Your function exceeded the maximum runtime of 300ms and was terminated.'],
      }),
      logs: 'spinning\n',
    });
  });

  it('L10: an action past its memory limit is NodeJsMemoryLimitError (502)', async () => {
    network.controls.setLitActionLimits({ memoryLimitMb: 4 });
    const reply = await signSessionKey(await body({ code: b64('const a = []; for (;;) a.push(new Array(10000).fill(a.length));') }));
    expect(reply.body).toMatchObject({ errorKind: 'MemoryLimit', errorCode: 'NodeJsMemoryLimitError', status: 502 });
  });

  it('L11: jsParams become globals; the action sees Lit.Auth with its own CID and the verified auth methods', async () => {
    const code = `
      const ok = allowed.includes(user)
        && Lit.Auth.actionIpfsIds.length === 1 && Lit.Auth.actionIpfsIdStack[0] === Lit.Auth.actionIpfsIds[0]
        && Lit.Auth.authMethodContexts[0].userId === owner && Lit.Auth.customAuthResource === '';
      Lit.Actions.setResponse({ response: JSON.stringify(ok) });`;
    const cid = await litActionCid(code);
    const good = await signSessionKey(await body({ code: b64(code), jsParams: { allowed: ['alice'], user: 'alice', owner: owner.address } }));
    expect(good.status).toBe(200);
    expect(resolvedAuthContext(good).actionIpfsIdStack).toEqual([cid]);
    const refused = await signSessionKey(await body({ code: b64(code), jsParams: { allowed: ['alice'], user: 'mallory', owner: owner.address } }));
    expect(refused.body).toMatchObject({ status: 401, errorCode: 'NodeLitActionsSessionSigAuthenticationFailed' });
  });

  it('L12: jsParams that are not an object fail the run (400), as the node cannot make them globals', async () => {
    const reply = await signSessionKey(await body({ code: b64('Lit.Actions.setResponse({response:"true"})'), jsParams: ['alice'] }));
    expect(reply.body).toEqual({ success: false, error: 'Error building main worker: Could not convert params to map', logs: '' });
  });

  it("L13: by CID: code registered on the devnet runs; a CID nobody serves is the node's IPFS error (500, kind IPFS)", async () => {
    const cid = await network.controls.registerLitAction(NODE_VALID_ACTION);
    expect(cid).toBe(NODE_VALID_ACTION_CID);
    const reply = await signSessionKey(await body({ litActionIpfsId: cid }));
    expect(reply.status).toBe(200);
    expect(resolvedAuthContext(reply).actionIpfsIdStack).toEqual([cid]);
    const unknown = await litActionCid('LitActions.setResponse({response:"true"}) // nowhere');
    const missing = await signSessionKey(await body({ litActionIpfsId: unknown }));
    expect(missing.body).toEqual(
      publicError({
        kind: 'IPFS',
        status: 500,
        message: 'An IPFS related error has occured.',
        details: [`Error getting ipfs file: ${unknown}`, 'Error getting code from ipfs url. Status code: 404 Not Found'],
      }),
    );
  });

  it("L14: with no auth method, the action's CID alone must be permitted for the PKP (scope 2 or 1), or NodeAuthSigScopeTooLimited", async () => {
    const code = 'Lit.Actions.setResponse({response:"true"}) // L14';
    const cid = await litActionCid(code);
    const before = await signSessionKey(await body({ authMethods: [], code: b64(code) }));
    expect(before.body).toMatchObject({
      status: 401,
      errorCode: 'NodeAuthSigScopeTooLimited',
      details: ['None of the AuthMethods, AuthSig or Lit Actions meet the requires scope [2].'],
    });
    chain.permitAction(tokenId, cid, [2]);
    const after = await signSessionKey(await body({ authMethods: [], code: b64(code) }));
    expect(after.status).toBe(200);
    expect(resolvedAuthContext(after)).toMatchObject({ authMethodContexts: [], actionIpfsIdStack: [cid] });
  });

  it("L15: the action runs isolated: no host objects, no code generation from strings (the node's V8 flag)", async () => {
    const isolated = await signSessionKey(
      await body({
        code: b64(
          'Lit.Actions.setResponse({ response: String(typeof process === "undefined" && typeof require === "undefined" && typeof globalThis.Buffer === "undefined") })',
        ),
      }),
    );
    expect(isolated.status).toBe(200);
    const evalCall = await signSessionKey(await body({ code: b64('eval("1"); Lit.Actions.setResponse({response:"true"})') }));
    expect(evalCall.body).toMatchObject({ success: false, error: expect.stringContaining('EvalError: Code generation from strings disallowed') });
  });

  it('L16: an action that calls what the devnet does not emulate gets a coded 501, even if it catches the error and answers true', async () => {
    const reply = await signSessionKey(
      await body({ code: b64('try { ethers.utils.getAddress("0x0") } catch (e) {} Lit.Actions.setResponse({response:"true"})') }),
    );
    expect(reply.body).toMatchObject({ status: 501, errorCode: 'DevnetNotEmulated', details: [expect.stringContaining('ethers')] });
  });
});

describe('sign_session_key: the nonce (siwe_db)', () => {
  it('N1: a hash that is no block of the chain is NodeInvalidBlockhash (502)', async () => {
    const reply = await signSessionKey(await body({}, { nonce: ethers.utils.hexlify(ethers.utils.randomBytes(32)) }));
    expect(reply.body).toMatchObject({
      status: 502,
      errorKind: 'Validation',
      errorCode: 'NodeInvalidBlockhash',
      details: ['Error fetching block from hash', 'validation error: Invalid block hash'],
    });
  });

  it('N2: a block more than 30 days old is NodeSIWEMessageError', async () => {
    const old = chain.mine(Math.floor((Date.now() - 31 * DAY) / 1000));
    chain.mine();
    const reply = await signSessionKey(await body({}, { nonce: old }));
    expect(reply.body).toMatchObject({ status: 400, errorCode: 'NodeSIWEMessageError' });
    expect(reply.body.details![1]).toMatch(/^validation error: Blocktime .* is beyond the max expiry timestamp of/);
  });

  it('N3: any block of the last 30 days is accepted, not only the latest ones (the window is time, not a count)', async () => {
    const older = chain.mine(Math.floor((Date.now() - 29 * DAY) / 1000));
    for (let i = 0; i < 100; i++) chain.mine();
    expect((await signSessionKey(await body({}, { nonce: older }))).status).toBe(200);
  });

  it('N4: a nonce that is not hex is a 500 with no errorCode', async () => {
    const reply = await signSessionKey(await body({}, { nonce: 'notahexnonce' }));
    expect(reply.body).toMatchObject({
      status: 500,
      errorKind: 'Validation',
      details: ['Error fetching block from hash', expect.stringMatching(/^conversion error: failed to decode hex/)],
    });
  });
});

describe('sign_session_key: the ReCap', () => {
  it('C1: a message with no ReCap as its last resource is a 500 (kind Conversion)', async () => {
    const reply = await signSessionKey(await body({}, { withRecap: false }));
    expect(reply.body).toMatchObject({ status: 500, errorKind: 'Conversion', details: ['Unable to convert SIWE into Capability object'] });
  });

  it('C2: only the last resource counts: a ReCap followed by another resource is a 500 too', async () => {
    const siweMessage = `${sessionSiwe()}\n- https://example.com/other`;
    expect((await signSessionKey(await body({ siweMessage }))).body).toMatchObject({ status: 500, errorKind: 'Conversion' });
  });

  it('C3: a statement that does not end with the ReCap’s statement is NodeSIWECapabilityInvalid (Parser)', async () => {
    const siweMessage = sessionSiwe().replace("'Threshold': 'Signing'", "'Threshold': 'Decryption'");
    const reply = await signSessionKey(await body({ siweMessage }));
    expect(reply.body).toMatchObject({
      status: 400,
      errorKind: 'Parser',
      errorCode: 'NodeSIWECapabilityInvalid',
      message: 'Invalid Capability object in SIWE resource ReCap',
    });
    expect(reply.body.details![0]).toMatch(/^incorrect statement in siwe message, expected to end with: I further authorize/);
  });

  it('C4: a ReCap without proofs (prf) does not decode: NodeSIWECapabilityInvalid', async () => {
    const recap = `urn:recap:${Buffer.from(JSON.stringify({ att: { 'lit-pkp://*': { 'Threshold/Signing': [{}] } } })).toString('base64url')}`;
    const siweMessage = sessionSiwe().replace(/- urn:recap:.*$/, `- ${recap}`);
    expect((await signSessionKey(await body({ siweMessage }))).body).toMatchObject({ status: 400, errorCode: 'NodeSIWECapabilityInvalid' });
  });
});

describe('sign_session_key: permission (check_pkp_auth, scope 2)', () => {
  it('A1: the PKP NFT owner is accepted with no permitted auth method and no scope', async () => {
    expect((await signSessionKey(await body())).status).toBe(200);
  });

  it('A2: a permitted wallet needs scope 2 or 1', async () => {
    expect((await signSessionKey(await body({ authMethods: [await walletAuthMethod(permittedWallet)] }))).status).toBe(200);
    const noScope = ethers.Wallet.createRandom();
    chain.permitWallet(tokenId, noScope.address, []);
    const reply = await signSessionKey(await body({ authMethods: [await walletAuthMethod(noScope)] }));
    expect(reply.body).toEqual(
      publicError({
        kind: 'Validation',
        code: 'NodeAuthSigScopeTooLimited',
        status: 401,
        message: SCOPE_TOO_LIMITED,
        details: ['None of the AuthMethods, AuthSig or Lit Actions meet the requires scope [2].'],
      }),
    );
    const anything = ethers.Wallet.createRandom();
    chain.permitWallet(tokenId, anything.address, [1]);
    expect((await signSessionKey(await body({ authMethods: [await walletAuthMethod(anything)] }))).status).toBe(200);
  });

  it('A3: a valid wallet that is neither owner nor permitted is NodeAuthSigScopeTooLimited; so is no auth method at all', async () => {
    expect((await signSessionKey(await body({ authMethods: [await walletAuthMethod(stranger)] }))).body).toMatchObject({
      status: 401,
      errorCode: 'NodeAuthSigScopeTooLimited',
    });
    expect((await signSessionKey(await body({ authMethods: [] }))).body).toMatchObject({ status: 401, errorCode: 'NodeAuthSigScopeTooLimited' });
  });

  it('A4: a PKP that was never minted is a 500 NodeContractResolverConversionFailed (ownerOf reverts)', async () => {
    const unminted = ethers.Wallet.createRandom();
    const reply = await signSessionKey(await body({ pkpPublicKey: unminted.publicKey }, { address: unminted.address }));
    expect(reply.body).toMatchObject({
      status: 500,
      errorKind: 'Unexpected',
      errorCode: 'NodeContractResolverConversionFailed',
      message: KIND_TEXT.Unexpected,
    });
  });
});

describe('sign_session_key: what the node signs and returns', () => {
  it('O1: the node rebuilds the SIWE: PKP address, block hash nonce, block time as Issued At, one merged ReCap with the auth context; the share is over it', async () => {
    const blockTime = Math.floor(Date.now() / 1000) - 7;
    const nonce = chain.mine(blockTime);
    const request = await body({}, { nonce: nonce.toUpperCase().replace('0X', '0x'), issuedAt: iso(-1000) });
    const reply = await signSessionKey(request);
    expect(reply.status).toBe(200);
    const r = reply.body as unknown as {
      result: string;
      curveType: string;
      shareIndex: number;
      siweMessage: string;
      dataSigned: string;
      signatureShare: { ProofOfPossession: string };
      blsRootPubkey: string;
    };
    expect(Object.keys(r)).toEqual(['result', 'signatureShare', 'shareIndex', 'curveType', 'siweMessage', 'dataSigned', 'blsRootPubkey']);
    expect(r).toMatchObject({ result: 'success', curveType: 'BLS', shareIndex: 0, blsRootPubkey: network.networkPublicKey });
    const m = new SiweMessage(r.siweMessage);
    expect(m.address).toBe(pkpWallet.address);
    expect(m.nonce).toBe(nonce.toLowerCase());
    expect(m.issuedAt).toBe(new Date(blockTime * 1000).toISOString().replace('.000Z', 'Z'));
    expect(m.uri).toBe(sessionKey);
    expect(m.resources).toHaveLength(1);
    const cap = decodeRecap(m.resources![0]);
    expect(cap.att['lit-pkp://*']).toEqual({ 'Threshold/Signing': [{}] });
    expect(cap.att['lit-resolvedauthcontext://*']['Auth/Auth'][0]).toEqual({
      auth_context: {
        actionIpfsIdStack: [],
        actionIpfsIds: [],
        authMethodContexts: [{ appId: 'lit', authMethodType: 1, usedForSignSessionKeyRequest: true, userId: owner.address }],
        authSigAddress: null,
        customAuthResource: '',
        resources: [],
      },
    });
    expect(m.statement).toMatch(/\(1\) 'Threshold': 'Signing' for 'lit-pkp:\/\/\*'\. \(2\) 'Auth': 'Auth' for 'lit-resolvedauthcontext:\/\/\*'\.$/);
    expect(r.siweMessage.endsWith('\n')).toBe(false);
    const digest = sessionSigningDigest(r.siweMessage);
    expect(r.dataSigned).toBe(Buffer.from(digest).toString('hex'));
    // Every node signs the same rebuilt text, so a threshold of shares combines (checked end to end by the SDK tests).
    const other = await postToNode(network.nodes[1].url, '/web/sign_session_key/v1', request);
    expect((other.body as { siweMessage?: string }).siweMessage).toBe(r.siweMessage);
  });

  it('O2: errors raised in the handler carry the request’s X-Correlation-Id (else X-Request-Id)', async () => {
    const reply = await signSessionKey(await body({}, { uri: 'lit:session:other' }), { 'x-correlation-id': 'corr-1' });
    expect(reply.body.correlationId).toBe('corr-1');
  });
});
