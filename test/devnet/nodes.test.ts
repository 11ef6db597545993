/**
 * The devnet's nodes together, over HTTP, against the in-memory chain of helpers/fake-chain-view.ts:
 * the handshake and the block hash indexer, the threshold crypto of a whole network (BLS shares
 * combined and verified by the SDK's own wasm, ECDSA shares cleaned up and combined by the SDK's own
 * parsePkpSignResponse and getSignatures), faults and counters, and the share and ledger units.
 * Each node check, with the real node's outcome, is in conformance-*.test.ts; the SDK end to end
 * is in sdk-*.test.ts.
 */
import { createHash } from 'node:crypto';
import { LIT_ABILITY } from '@lit-protocol/constants';
import { LitPKPResource, RecapSessionCapabilityObject } from '@lit-protocol/auth-helpers';
import { ethers } from 'ethers';
import { SiweMessage } from 'siwe';
import nacl from 'tweetnacl';
import { startLitNodes, type LitNetwork } from '../../devnet/nodes';
import { sessionSigningDigest } from '../../devnet/nodes/bls-network-key';
import { ecdsaSignatureShare, type SignedMessageShare } from '../../devnet/nodes/ecdsa-shares';
import { UsageLedger } from '../../devnet/nodes/usage-ledger';
import { FakeChainView } from './helpers/fake-chain-view';
import { inAnHour } from './helpers/lit-fixtures';
import { postToNode, TEST_REQUEST_ID } from './helpers/raw-node';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- SDK internals without an exports entry: required by file path
const wasm = require('@lit-protocol/lit-node-client/node_modules/@lit-protocol/wasm') as {
  blsCombine(variant: string, shares: Uint8Array[]): Promise<Uint8Array>;
  blsVerify(variant: string, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<void>;
};

/** The SDK 7.4.0 helpers pkpSign runs on the nodes' replies (lit-node-client-nodejs.js:630-636). */
const SDK_HELPERS = '@lit-protocol/lit-node-client/node_modules/@lit-protocol/lit-node-client-nodejs/src/lib/helpers';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- SDK internals without an exports entry: required by file path
const { parsePkpSignResponse } = require(`${SDK_HELPERS}/parse-pkp-sign-response`) as {
  parsePkpSignResponse(responseData: { signatureShare: unknown }[]): { signature: Record<string, unknown> }[];
};
// eslint-disable-next-line @typescript-eslint/no-require-imports -- SDK internals without an exports entry: required by file path
const { getSignatures } = require(`${SDK_HELPERS}/get-signatures`) as {
  getSignatures(params: { networkPubKeySet: string; minNodeCount: number; signedData: unknown[]; requestId: string }): Promise<{
    signature: { r: string; s: string; recid: number; signature: string; publicKey: string; dataSigned: string };
  }>;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports -- SDK internals without an exports entry: required by file path
const { combineEcdsaShares } = require('@lit-protocol/lit-node-client/node_modules/@lit-protocol/crypto') as {
  combineEcdsaShares(shares: unknown[]): Promise<{ r: string; s: string; recid: number }>;
};

/** What the SDK's pkpSign makes of the nodes' signature shares: parsePkpSignResponse, then combineEcdsaShares (in getSignatures). */
async function combineAsTheSdk(shares: SignedMessageShare[]): Promise<string> {
  const cleaned = parsePkpSignResponse(shares.map((s) => ({ signatureShare: { ...s } }))).map((r) => r.signature);
  const combined = await combineEcdsaShares(cleaned);
  return ethers.utils.joinSignature({ r: `0x${combined.r}`, s: `0x${combined.s}`, recoveryParam: combined.recid });
}

/** A random wallet (ethers' createRandom derives a mnemonic: slow on a shared 2-core machine). */
const randomWallet = (): ethers.Wallet => new ethers.Wallet(ethers.utils.randomBytes(32));

const chain = new FakeChainView();
const owner = randomWallet(); // owns the PKP NFT: passes check_pkp_auth with no permitted method
const pkpWallet = randomWallet();
const pkpPublicKey = pkpWallet.publicKey; // 0x04…
chain.addPkp(pkpWallet, owner.address);

/** An EthWallet auth method: a SIWE signed by `wallet` (EIP-191). */
async function walletAuthMethod(wallet: ethers.Wallet): Promise<{ authMethodType: number; accessToken: string }> {
  const message = new SiweMessage({
    domain: 'localhost',
    address: wallet.address,
    uri: 'https://localhost/login',
    version: '1',
    chainId: 1,
    nonce: chain.latest,
    issuedAt: new Date().toISOString(),
    expirationTime: inAnHour(),
  }).prepareMessage();
  const authSig = { sig: await wallet.signMessage(message), derivedVia: 'web3.eth.personal.sign', signedMessage: message, address: wallet.address };
  return { authMethodType: 1, accessToken: JSON.stringify(authSig) };
}

/** The session SIWE as SDK 7.4.0 builds it: ReCap over lit-pkp://* Threshold/Signing, nonce = the latest block hash. */
function sessionSiwe(sessionKey: string): string {
  const siwe = new SiweMessage({
    domain: 'litprotocol.com',
    address: pkpWallet.address,
    statement: 'Lit Protocol PKP session signature',
    uri: sessionKey,
    version: '1',
    chainId: 1,
    nonce: chain.latest,
    issuedAt: new Date().toISOString(),
    expirationTime: inAnHour(),
  });
  const recap = new RecapSessionCapabilityObject();
  recap.addCapabilityForResource(new LitPKPResource('*'), LIT_ABILITY.PKPSigning);
  recap.addToSiweMessage(siwe);
  return siwe.prepareMessage();
}

async function signSessionKeyBody(sessionKey: string): Promise<Record<string, unknown>> {
  return { sessionKey, authMethods: [await walletAuthMethod(owner)], pkpPublicKey, siweMessage: sessionSiwe(sessionKey), curveType: 'BLS', epoch: 1 };
}

interface SignSessionKeyReply {
  result: string;
  signatureShare: { ProofOfPossession: string };
  shareIndex: number;
  curveType: string;
  siweMessage: string;
  dataSigned: string;
  blsRootPubkey: string;
}

describe('devnet nodes (in-memory chain view)', () => {
  let network: LitNetwork;

  beforeAll(async () => {
    network = await startLitNodes({ chainView: chain, nodeCount: 3, threshold: 2 });
  });

  afterAll(async () => {
    await network?.stop();
  });

  afterEach(async () => {
    for (const n of network.nodes) {
      await network.controls.setNodeDown(n.index, false);
      network.controls.setFaults(n.index, { latencyMs: 0, errorRate: 0 });
    }
  });

  describe('handshake and blockhash', () => {
    it('answers the handshake, with and without the trailing slash, as JSON the SDK reads', async () => {
      for (const path of ['/web/handshake/', '/web/handshake']) {
        const reply = await postToNode(network.nodes[0].url, path, { clientPublicKey: 'test', challenge: '00'.repeat(32) });
        expect(reply.status).toBe(200);
        expect(reply.headers.get('content-type')).toContain('application/json');
        expect(reply.body).toMatchObject({
          serverPublicKey: '',
          networkPublicKey: network.networkPublicKey,
          subnetPublicKey: network.networkPublicKey,
          networkPublicKeySet: network.networkPublicKey,
          latestBlockhash: chain.latest,
        });
        expect((reply.body.hdRootPubkeys as string[]).every((k) => /^0[23][0-9a-f]{64}$/.test(k))).toBe(true);
      }
      expect(network.networkPublicKey).toMatch(/^[0-9a-f]{96}$/);
    });

    it('serves the latest block hash on every node and on the indexer', async () => {
      for (const url of [...network.nodes.map((n) => `${n.url}/get_most_recent_valid_block`), network.blockhashUrl]) {
        const body = (await (await fetch(url)).json()) as { blockhash: string; timestamp: string };
        expect(body.blockhash).toBe(chain.latest);
        expect(Math.abs(Number(body.timestamp) - Date.now() / 1000)).toBeLessThan(120);
      }
    });
  });

  describe('sign_session_key', () => {
    it('gives BLS shares over the SIWE the node rebuilt that combine, for every threshold subset, into a signature the SDK wasm verifies', async () => {
      const body = await signSessionKeyBody(`lit:session:${'ab'.repeat(32)}`);
      const replies = await Promise.all(network.nodes.map((n) => postToNode(n.url, '/web/sign_session_key/v1', body)));
      const results = replies.map((r) => r.body as unknown as SignSessionKeyReply);
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
      // Every node rebuilds the same message (not the request's), and signs over it.
      const signed = results[0].siweMessage;
      expect(signed).not.toBe(body.siweMessage);
      expect(signed).toContain('lit-resolvedauthcontext://*');
      for (const [i, r] of results.entries()) {
        expect(r).toMatchObject({ result: 'success', curveType: 'BLS', shareIndex: i, siweMessage: signed, blsRootPubkey: network.networkPublicKey });
        expect(r.dataSigned).toBe(Buffer.from(sessionSigningDigest(signed)).toString('hex'));
      }
      const shares = results.map((r) => Buffer.from(r.signatureShare.ProofOfPossession, 'hex'));
      expect(shares.map((s) => [s.length, s[0]])).toEqual([
        [97, 1],
        [97, 2],
        [97, 3],
      ]);
      const message = Buffer.from(results[0].dataSigned, 'hex');
      const networkKey = Buffer.from(network.networkPublicKey, 'hex');
      for (const subset of [
        [0, 1],
        [1, 2],
        [0, 2],
        [0, 1, 2],
      ]) {
        const combined = await wasm.blsCombine(
          'Bls12381G2',
          subset.map((i) => shares[i]),
        );
        await expect(wasm.blsVerify('Bls12381G2', networkKey, message, combined)).resolves.toBeUndefined();
      }
      // One share alone is not the network's signature, nor is a signature over the request's SIWE.
      await expect(wasm.blsVerify('Bls12381G2', networkKey, message, shares[0].subarray(1))).rejects.toBeDefined();
      const combined = await wasm.blsCombine('Bls12381G2', shares.slice(0, 2));
      await expect(wasm.blsVerify('Bls12381G2', networkKey, sessionSigningDigest(body.siweMessage as string), combined)).rejects.toBeDefined();
    });

    it('never echoes a request’s secrets in a refusal: not a wallet sig, not a token put in the wrong field', async () => {
      const stranger = randomWallet();
      const sessionKey = `lit:session:${'cd'.repeat(32)}`;
      // A3: a valid wallet that is neither the owner nor permitted.
      const notPermitted = await signSessionKeyBody(sessionKey);
      notPermitted.authMethods = [await walletAuthMethod(stranger)];
      // W4: a signature by another wallet than the auth sig's address.
      const forged = await signSessionKeyBody(sessionKey);
      const authSig = JSON.parse((await walletAuthMethod(stranger)).accessToken) as { sig: string };
      forged.authMethods = [{ authMethodType: 1, accessToken: JSON.stringify({ ...authSig, address: owner.address }) }];
      // R4: a token where a number belongs.
      const token = 'eyJhbGciOiJSUzI1NiJ9.secret-google-token';
      const wrongField = { ...(await signSessionKeyBody(sessionKey)), authMethods: [{ authMethodType: token, accessToken: 6 }] };

      const replies = await Promise.all([notPermitted, forged, wrongField].map((b) => postToNode(network.nodes[0].url, '/web/sign_session_key/v1', b)));
      expect(replies.map((r) => [r.status, r.body.errorCode])).toEqual([
        [401, 'NodeAuthSigScopeTooLimited'],
        [500, undefined],
        [422, 'NodeBadInput'],
      ]);
      const sigOf = (b: Record<string, unknown>): string => (JSON.parse((b.authMethods as { accessToken: string }[])[0].accessToken) as { sig: string }).sig;
      for (const [reply, secret] of [
        [replies[0], sigOf(notPermitted).slice(2, 40)],
        [replies[1], authSig.sig.slice(2, 40)],
        [replies[2], 'secret-google-token'],
      ] as const) {
        expect(JSON.stringify(reply.body)).not.toContain(secret);
      }
    });
  });

  describe('pkp/sign with a session the network signed', () => {
    const session = nacl.sign.keyPair();
    const sessionPublicKey = Buffer.from(session.publicKey).toString('hex');
    const digest = ethers.utils.arrayify(ethers.utils.id('pkp/sign at the node level'));
    let litBls: Record<string, string>;

    beforeAll(async () => {
      // Capacity: the nodes rate-limit (requirePayment's default), and the PKP owns an unexpired capacity NFT.
      chain.tokens.set('1', { tokenId: '1', owner: pkpWallet.address, expiresAt: Math.floor(Date.now() / 1000) + 86_400, requestsPerKilosecond: 10n });
      // The LIT_BLS capability as the SDK's signSessionKey makes it: a threshold of shares combined, over the SIWE the nodes rebuilt.
      const body = await signSessionKeyBody(`lit:session:${sessionPublicKey}`);
      const replies = (await Promise.all(network.nodes.slice(0, 2).map((n) => postToNode(n.url, '/web/sign_session_key/v1', body)))).map(
        (r) => r.body as unknown as SignSessionKeyReply,
      );
      const shares = replies.map((r) => Buffer.from(r.signatureShare.ProofOfPossession, 'hex'));
      const combined = Buffer.from(await wasm.blsCombine('Bls12381G2', shares)).toString('hex');
      litBls = {
        sig: JSON.stringify({ ProofOfPossession: combined }),
        algo: 'LIT_BLS',
        derivedVia: 'lit.bls',
        signedMessage: replies[0].siweMessage,
        address: pkpWallet.address,
      };
    });

    afterAll(() => chain.tokens.clear());

    /** Per node, the ed25519 session sig the SDK's getSessionSigs makes. */
    const sessionSigFor = (nodeUrl: string): Record<string, string> => {
      const signedMessage = JSON.stringify({
        sessionKey: sessionPublicKey,
        resourceAbilityRequests: [{ resource: { resource: '*', resourcePrefix: 'lit-pkp' }, ability: 'pkp-signing' }],
        capabilities: [litBls],
        issuedAt: new Date().toISOString(),
        expiration: inAnHour(),
        nodeAddress: nodeUrl,
      });
      const sig = Buffer.from(nacl.sign.detached(Buffer.from(signedMessage, 'utf8'), session.secretKey)).toString('hex');
      return { sig, derivedVia: 'litSessionSignViaNacl', signedMessage, address: sessionPublicKey, algo: 'ed25519' };
    };

    it('answers on every node; only a threshold subset signs, the others send the fail share; the SDK combines the shares into a signature recovering to the PKP', async () => {
      const replies = await Promise.all(
        network.nodes.map((n) =>
          postToNode(n.url, '/web/pkp/sign/v1', { toSign: Array.from(digest), pubkey: pkpPublicKey, authSig: sessionSigFor(n.url), epoch: 1 }),
        ),
      );
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
      for (const r of replies) expect(r.body).toMatchObject({ success: true, signedData: Array.from(digest) });
      const shares = replies.map((r) => r.body.signatureShare as SignedMessageShare);
      expect(shares.filter((s) => s.result === 'success')).toHaveLength(network.threshold);
      expect(shares.filter((s) => s.result !== 'success')).toEqual([
        { digest: 'fail', result: 'fail', share_index: 0, signature_share: '', big_r: '', public_key: '', sig_type: '' },
      ]);

      // What the SDK's pkpSign does with the replies, fail share included.
      const { signature } = await getSignatures({
        requestId: TEST_REQUEST_ID,
        networkPubKeySet: network.networkPublicKey,
        minNodeCount: network.threshold,
        signedData: parsePkpSignResponse(replies.map((r) => r.body as { signatureShare: unknown })),
      });
      expect(ethers.utils.recoverAddress(digest, signature.signature)).toBe(pkpWallet.address);
      expect(`0x${signature.publicKey}`).toBe(pkpPublicKey.toUpperCase().replace('0X', '0x'));
      expect(signature.dataSigned).toBe(Buffer.from(digest).toString('hex').toUpperCase());
    });
  });

  describe('faults and counters', () => {
    const handshake = { clientPublicKey: 'test', challenge: '00'.repeat(32) };

    it('counts requests per endpoint per node', async () => {
      network.controls.resetCounts();
      await postToNode(network.nodes[1].url, '/web/handshake/', handshake);
      await postToNode(network.nodes[1].url, '/web/handshake', handshake);
      await fetch(`${network.nodes[1].url}/get_most_recent_valid_block`);
      expect(network.controls.counts(1)).toMatchObject({ handshake: 2, blockhash: 1, sign_session_key: 0, pkp_sign: 0 });
      expect(network.controls.counts(0).handshake).toBe(0);
      expect(network.controls.totalCounts().handshake).toBe(2);
    });

    it('answers with an injected 500 NodeSystemFault at error rate 1, counted as a refusal, and normally again at 0', async () => {
      network.controls.resetCounts();
      network.controls.setFaults(2, { errorRate: 1 });
      const reply = await postToNode(network.nodes[2].url, '/web/handshake/', handshake);
      expect(reply.status).toBe(500);
      expect(reply.body).toEqual({
        errorKind: 'Unexpected',
        errorCode: 'NodeSystemFault',
        status: 500,
        message: 'A general system fault has occurred in the node',
        correlationId: TEST_REQUEST_ID,
        details: ['devnet: injected fault'],
      });
      expect(network.controls.refusals(2).handshake).toBe(1);
      network.controls.setFaults(2, { errorRate: 0 });
      expect((await postToNode(network.nodes[2].url, '/web/handshake/', handshake)).status).toBe(200);
      expect(network.controls.refusals(2).handshake).toBe(1);
      expect(() => network.controls.setFaults(2, { errorRate: 2 })).toThrow(RangeError);
    });

    it('refuses connections while down and answers on the same URL when back up', async () => {
      await network.controls.setNodeDown(0, true);
      await expect(fetch(`${network.nodes[0].url}/get_most_recent_valid_block`)).rejects.toThrow();
      await network.controls.setNodeDown(0, false);
      expect((await fetch(`${network.nodes[0].url}/get_most_recent_valid_block`)).status).toBe(200);
    });
  });
});

describe('ECDSA signature shares', () => {
  it.each([1, 2, 3, 5])('split across %i signers, in the node’s wire form, combine with the SDK into a signature that recovers to the key', async (signers) => {
    const wallet = randomWallet();
    const privateKey = ethers.utils.arrayify(wallet.privateKey);
    const digest = ethers.utils.arrayify(ethers.utils.id(`message for ${signers}`));
    const shares = Array.from({ length: signers }, (_, i) => ecdsaSignatureShare(privateKey, digest, signers, i));
    for (const s of shares) {
      expect(s).toMatchObject({
        digest: `"${Buffer.from(digest).toString('hex').toUpperCase()}"`,
        result: 'success',
        share_index: 0,
        public_key: `"${wallet.publicKey.slice(2).toUpperCase()}"`,
        sig_type: 'K256',
      });
      expect(s.signature_share).toMatch(/^"[0-9A-F]{64}"$/);
    }
    expect(new Set(shares.map((s) => s.big_r)).size).toBe(1);
    expect(ethers.utils.recoverAddress(digest, await combineAsTheSdk(shares))).toBe(wallet.address);
    // Deterministic: another node of the same subset computes the same share.
    expect(ecdsaSignatureShare(privateKey, digest, signers, signers - 1)).toEqual(shares[signers - 1]);
    if (signers > 1) {
      const missing = await combineAsTheSdk(shares.slice(1)).catch(() => undefined);
      expect(missing && ethers.utils.recoverAddress(digest, missing)).not.toBe(wallet.address);
    }
  });

  it('refuses a digest of another length than 32 bytes and a position outside the subset', () => {
    const key = ethers.utils.arrayify(randomWallet().privateKey);
    const digest = ethers.utils.arrayify(ethers.utils.id('x'));
    expect(() => ecdsaSignatureShare(key, digest.slice(1), 1, 0)).toThrow(RangeError);
    expect(() => ecdsaSignatureShare(key, digest, 2, 2)).toThrow(RangeError);
    expect(() => ecdsaSignatureShare(key, digest, 0, 0)).toThrow(RangeError);
  });
});

describe('UsageLedger', () => {
  it('keys a delegation by sha256 of its sig, counts per node, refuses past the limit; the network count is the largest', () => {
    const sig = '0x' + 'ab'.repeat(65);
    const key = UsageLedger.keyOf(sig);
    expect(key).toBe(createHash('sha256').update(sig, 'utf8').digest('hex'));
    const ledger = new UsageLedger();
    expect(ledger.tryConsume(key, 0, 2)).toBe(true);
    expect(ledger.tryConsume(key, 0, 2)).toBe(true);
    expect(ledger.tryConsume(key, 0, 2)).toBe(false);
    expect(ledger.tryConsume(key, 1, 2)).toBe(true);
    expect([ledger.usesOn(key, 0), ledger.usesOn(key, 1), ledger.usesOn(key, 2)]).toEqual([2, 1, 0]);
    expect(ledger.used(key)).toBe(2);
    expect(ledger.usedBy(sig)).toBe(2);
    ledger.countUse(key, 1);
    ledger.countUse(key, 1);
    expect(ledger.used(key)).toBe(3);
    expect(ledger.tryConsume('other', 0, undefined)).toBe(true);
    ledger.clear();
    expect(ledger.used(key)).toBe(0);
  });
});
