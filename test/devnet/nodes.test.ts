/**
 * The devnet's nodes alone, over HTTP, against an in-memory ChainView: wire shapes, checks,
 * threshold crypto (combined with the SDK's own wasm and combineEcdsaShares), faults, counters.
 * The SDK end-to-end tests are in sdk-*.test.ts.
 */
import { ethers } from 'ethers';
import { SiweMessage } from 'siwe';
import nacl from 'tweetnacl';
import type { CapacityTokenInfo, ChainView } from '../../devnet/chain/chain-view';
import { startLitNodes, type LitNetwork } from '../../devnet/nodes';
import { sessionSigningDigest } from '../../devnet/nodes/bls-network-key';
import { ecdsaSignatureShare } from '../../devnet/nodes/ecdsa-shares';
import { UsageLedger } from '../../devnet/nodes/usage-ledger';
import { postToNode } from './helpers/raw-node';
import { inAnHour } from './helpers/lit-fixtures';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const wasm = require('@lit-protocol/lit-node-client/node_modules/@lit-protocol/wasm') as {
  blsCombine(variant: string, shares: Uint8Array[]): Promise<Uint8Array>;
  blsVerify(variant: string, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<void>;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { combineEcdsaShares } = require('@lit-protocol/lit-node-client/node_modules/@lit-protocol/crypto') as {
  combineEcdsaShares(shares: unknown[]): Promise<{ r: string; s: string; recid: number }>;
};

/** An in-memory chain: what the nodes read, settable by the test. */
class FakeChainView implements ChainView {
  blockhash = ethers.utils.hexlify(ethers.utils.randomBytes(32));
  readonly permitted = new Map<string, Set<string>>();
  readonly tokens = new Map<string, CapacityTokenInfo>();
  readonly keys = new Map<string, Uint8Array>();
  latestBlockhash(): string {
    return this.blockhash;
  }
  isRecentBlockhash(hash: string): boolean {
    return hash === this.blockhash;
  }
  async isPermittedEthWallet(pkpPublicKey: string, address: string): Promise<boolean> {
    return this.permitted.get(pkpPublicKey.toLowerCase())?.has(ethers.utils.getAddress(address)) ?? false;
  }
  async capacityToken(tokenId: string): Promise<CapacityTokenInfo | null> {
    return this.tokens.get(tokenId) ?? null;
  }
  pkpPrivateKey(pkpPublicKey: string): Uint8Array | undefined {
    const key = this.keys.get(pkpPublicKey.toLowerCase());
    return key ? Uint8Array.from(key) : undefined;
  }
}

const sessionKey = `lit:session:${'ab'.repeat(32)}`;

async function walletAuthMethod(wallet: ethers.Wallet, chain: FakeChainView, expirationTime = inAnHour()) {
  const message = new SiweMessage({ domain: 'localhost', address: wallet.address, uri: 'https://localhost/login', version: '1', chainId: 1, nonce: chain.blockhash.slice(2, 18), expirationTime }).prepareMessage();
  const authSig = { sig: await wallet.signMessage(message), derivedVia: 'web3.eth.personal.sign', signedMessage: message, address: wallet.address };
  return { authMethodType: 1, accessToken: JSON.stringify(authSig) };
}

function sessionSiwe(pkpAddress: string, chain: FakeChainView, overrides: Partial<{ uri: string; nonce: string; address: string }> = {}): string {
  return new SiweMessage({
    domain: 'litprotocol.com',
    address: overrides.address ?? pkpAddress,
    statement: 'Lit Protocol PKP session signature',
    uri: overrides.uri ?? sessionKey,
    version: '1',
    chainId: 1,
    nonce: overrides.nonce ?? chain.blockhash,
    issuedAt: new Date().toISOString(),
    expirationTime: inAnHour(),
  }).prepareMessage();
}

describe('devnet nodes (in-memory chain view)', () => {
  const chain = new FakeChainView();
  const owner = ethers.Wallet.createRandom();
  const pkpWallet = ethers.Wallet.createRandom();
  const pkpPublicKey = pkpWallet.publicKey; // 0x04…
  let network: LitNetwork;
  let epoch = 5;

  beforeAll(async () => {
    chain.permitted.set(pkpPublicKey.toLowerCase(), new Set([owner.address]));
    chain.keys.set(pkpPublicKey.toLowerCase(), ethers.utils.arrayify(pkpWallet.privateKey));
    network = await startLitNodes({ chainView: chain, nodeCount: 3, threshold: 2, currentEpoch: () => epoch });
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

  const signBody = async (overrides: Record<string, unknown> = {}) => ({
    sessionKey,
    authMethods: [await walletAuthMethod(owner, chain)],
    pkpPublicKey,
    siweMessage: sessionSiwe(pkpWallet.address, chain),
    curveType: 'BLS',
    epoch,
    ...overrides,
  });

  describe('handshake and blockhash', () => {
    it('answers the handshake, with and without the trailing slash, as JSON the SDK reads', async () => {
      for (const path of ['/web/handshake/', '/web/handshake']) {
        const res = await fetch(`${network.nodes[0].url}${path}`, { method: 'POST', body: JSON.stringify({ clientPublicKey: 'test', challenge: '00'.repeat(32), epoch }) });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toContain('application/json');
        const body = (await res.json()) as Record<string, unknown>;
        expect(body.networkPublicKey).toBe(network.networkPublicKey);
        expect(body.subnetPublicKey).toBe(network.networkPublicKey);
        expect(body.networkPublicKeySet).toBe(network.networkPublicKey);
        expect(body.latestBlockhash).toBe(chain.blockhash);
        expect((body.hdRootPubkeys as string[]).every((k) => /^0[23][0-9a-f]{64}$/.test(k))).toBe(true);
      }
      expect(network.networkPublicKey).toMatch(/^[0-9a-f]{96}$/);
    });

    it('serves the latest block hash on every node and on the indexer', async () => {
      for (const url of [`${network.nodes[1].url}/get_most_recent_valid_block`, network.blockhashUrl]) {
        const body = (await (await fetch(url)).json()) as { blockhash: string; timestamp: string };
        expect(body.blockhash).toBe(chain.blockhash);
        expect(Math.abs(Number(body.timestamp) - Date.now() / 1000)).toBeLessThan(120);
      }
    });

    it('answers an unknown path with a Lit-shaped 404', async () => {
      const reply = await postToNode(network.nodes[0].url, '/web/nothing', {});
      expect(reply.status).toBe(404);
      expect(reply.body).toEqual({ errorKind: 'Validation', errorCode: 'NodeUnknownEndpoint', message: expect.any(String), status: 404, details: [] });
    });

    it('refuses an epoch older than the one before the current', async () => {
      const reply = await postToNode(network.nodes[0].url, '/web/handshake/', { epoch: epoch - 2 });
      expect(reply.body.errorCode).toBe('NodeInvalidEpoch');
      expect((await postToNode(network.nodes[0].url, '/web/handshake/', { epoch: epoch - 1 })).status).toBe(200);
    });
  });

  describe('sign_session_key', () => {
    it('gives BLS shares that combine, for every threshold subset, into a signature the SDK wasm verifies', async () => {
      const body = await signBody();
      const replies = await Promise.all(network.nodes.map((n) => postToNode(n.url, '/web/sign_session_key/v1', body)));
      for (const r of replies) {
        expect(r.status).toBe(200);
        expect(r.body).toMatchObject({ result: 'success', curveType: 'BLS', siweMessage: body.siweMessage, blsRootPubkey: network.networkPublicKey });
        expect(r.body.dataSigned).toBe(Buffer.from(sessionSigningDigest(body.siweMessage as string)).toString('hex'));
      }
      const shares = replies.map((r) => Buffer.from((r.body.signatureShare as { ProofOfPossession: string }).ProofOfPossession, 'hex'));
      expect(shares.map((s) => [s.length, s[0]])).toEqual([[97, 1], [97, 2], [97, 3]]);
      const message = sessionSigningDigest(body.siweMessage as string);
      for (const subset of [[0, 1], [1, 2], [0, 2], [0, 1, 2]]) {
        const combined = await wasm.blsCombine('Bls12381G2', subset.map((i) => shares[i]));
        await expect(wasm.blsVerify('Bls12381G2', Buffer.from(network.networkPublicKey, 'hex'), message, combined)).resolves.toBeUndefined();
      }
      await expect(wasm.blsVerify('Bls12381G2', Buffer.from(network.networkPublicKey, 'hex'), message, shares[0].subarray(1))).rejects.toBeDefined();
    });

    it.each([
      ['a nonce that is not a recent block hash', { siweMessage: 'nonce' }, 'NodeInvalidBlockhash'],
      ['a SIWE uri other than the session key', { siweMessage: 'uri' }, 'NodeInvalidSiwe'],
      ['a SIWE address other than the PKP', { siweMessage: 'address' }, 'NodeInvalidSiwe'],
      ['a malformed SIWE message', { siweMessage: 'not siwe' }, 'NodeInvalidSiwe'],
      ['no auth methods', { authMethods: [] }, 'NodeInvalidRequest'],
      ['a curve other than BLS', { curveType: 'ECDSA' }, 'NodeInvalidRequest'],
    ])('refuses %s', async (_what, change, code) => {
      const chainView = chain;
      const siwe = (change as { siweMessage?: string }).siweMessage;
      const overrides: Record<string, unknown> = { ...change };
      if (siwe === 'nonce') overrides.siweMessage = sessionSiwe(pkpWallet.address, chainView, { nonce: '0x' + '11'.repeat(32) });
      if (siwe === 'uri') overrides.siweMessage = sessionSiwe(pkpWallet.address, chainView, { uri: `lit:session:${'cd'.repeat(32)}` });
      if (siwe === 'address') overrides.siweMessage = sessionSiwe(pkpWallet.address, chainView, { address: owner.address });
      const reply = await postToNode(network.nodes[0].url, '/web/sign_session_key/v1', await signBody(overrides));
      expect(reply.status).toBeGreaterThanOrEqual(400);
      expect(reply.body.errorCode).toBe(code);
    });

    it.each([
      ['without an expiration time', { expirationTime: undefined }, 'NodeInvalidAuthSig'],
      ['not valid yet (notBefore ahead)', { notBefore: inAnHour() }, 'NodeInvalidAuthSig'],
    ])('refuses an EthWallet auth sig %s', async (_what, fields, code) => {
      const message = new SiweMessage({
        domain: 'localhost', address: owner.address, uri: 'https://localhost/login', version: '1', chainId: 1, nonce: chain.blockhash.slice(2, 18),
        expirationTime: inAnHour(), ...fields,
      }).prepareMessage();
      const authSig = { sig: await owner.signMessage(message), derivedVia: 'web3.eth.personal.sign', signedMessage: message, address: owner.address };
      const reply = await postToNode(network.nodes[0].url, '/web/sign_session_key/v1', await signBody({ authMethods: [{ authMethodType: 1, accessToken: JSON.stringify(authSig) }] }));
      expect(reply.body.errorCode).toBe(code);
    });

    it('refuses a session SIWE that is not valid yet (notBefore ahead)', async () => {
      const siweMessage = new SiweMessage({
        domain: 'litprotocol.com', address: pkpWallet.address, uri: sessionKey, version: '1', chainId: 1, nonce: chain.blockhash,
        issuedAt: new Date().toISOString(), expirationTime: inAnHour(), notBefore: new Date(Date.now() + 600_000).toISOString(),
      }).prepareMessage();
      const reply = await postToNode(network.nodes[0].url, '/web/sign_session_key/v1', await signBody({ siweMessage }));
      expect(reply.body.errorCode).toBe('NodeInvalidSiwe');
    });

    it('never echoes what was sent in a refusal, even a token put in the wrong field', async () => {
      const token = 'eyJhbGciOiJSUzI1NiJ9.secret-google-token';
      const unsupported = await postToNode(network.nodes[0].url, '/web/sign_session_key/v1', await signBody({ authMethods: [{ authMethodType: token, accessToken: 6 }] }));
      expect(unsupported.body.errorCode).toBe('NodeUnsupportedAuthMethod');
      const badEpoch = await postToNode(network.nodes[0].url, '/web/handshake/', { epoch: token });
      expect(badEpoch.body.errorCode).toBe('NodeInvalidEpoch');
      for (const reply of [unsupported, badEpoch]) expect(JSON.stringify(reply.body)).not.toContain('secret-google-token');
    });

    it('refuses a wallet the PKP does not permit, without echoing the auth sig', async () => {
      const body = await signBody({ authMethods: [await walletAuthMethod(ethers.Wallet.createRandom(), chain)] });
      const reply = await postToNode(network.nodes[0].url, '/web/sign_session_key/v1', body);
      expect(reply.status).toBe(401);
      expect(reply.body.errorCode).toBe('NodeNotAuthorized');
      const sig = (JSON.parse((body.authMethods as { accessToken: string }[])[0].accessToken) as { sig: string }).sig;
      expect(JSON.stringify(reply.body)).not.toContain(sig.slice(2, 40));
    });
  });

  describe('pkp/sign (session sigs built as the SDK builds them)', () => {
    const session = nacl.sign.keyPair();
    const sessionPublicKey = Buffer.from(session.publicKey).toString('hex');
    const pkpTokenIdHex = ethers.utils.keccak256(pkpPublicKey).slice(2);
    const recap = (att: Record<string, unknown>): string => `urn:recap:${Buffer.from(JSON.stringify({ att, prf: [] })).toString('base64url')}`;
    const digest = ethers.utils.arrayify(ethers.utils.id('pkp/sign at the node level'));
    let litBls: Record<string, string>;

    beforeAll(async () => {
      chain.tokens.set('1', { tokenId: '1', owner: owner.address, expiresAt: Math.floor(Date.now() / 1000) + 86400, requestsPerKilosecond: 10n });
      chain.tokens.set('2', { tokenId: '2', owner: owner.address, expiresAt: Math.floor(Date.now() / 1000) - 3600, requestsPerKilosecond: 10n });
      // The wallet sig the network signs in sign_session_key, combined from a threshold of shares: the SDK's LIT_BLS capability.
      const siweMessage = new SiweMessage({
        domain: 'litprotocol.com', address: pkpWallet.address, uri: `lit:session:${sessionPublicKey}`, version: '1', chainId: 1, nonce: chain.blockhash,
        issuedAt: new Date().toISOString(), expirationTime: inAnHour(), resources: [recap({ 'lit-pkp://*': { 'Threshold/Signing': [{}] } })],
      }).prepareMessage();
      const body = await signBody({ sessionKey: `lit:session:${sessionPublicKey}`, siweMessage });
      const replies = await Promise.all(network.nodes.slice(0, 2).map((n) => postToNode(n.url, '/web/sign_session_key/v1', body)));
      const shares = replies.map((r) => Buffer.from((r.body.signatureShare as { ProofOfPossession: string }).ProofOfPossession, 'hex'));
      const combined = Buffer.from(await wasm.blsCombine('Bls12381G2', shares)).toString('hex');
      litBls = { sig: JSON.stringify({ ProofOfPossession: combined }), algo: 'LIT_BLS', derivedVia: 'lit.bls', signedMessage: siweMessage, address: pkpWallet.address };
    });

    const delegation = async (opts: { tokenId?: string; restriction?: Record<string, unknown>; expirationTime?: string | null; uses?: string } = {}) => {
      const tokenId = opts.tokenId ?? '1';
      const restriction = opts.restriction ?? { nft_id: [tokenId], delegate_to: [pkpWallet.address.slice(2)], uses: opts.uses ?? '100' };
      const message = new SiweMessage({
        domain: 'localhost', address: owner.address, uri: 'lit:capability:delegation', version: '1', chainId: 1, nonce: chain.blockhash,
        issuedAt: new Date().toISOString(), expirationTime: opts.expirationTime === null ? undefined : (opts.expirationTime ?? inAnHour()),
        resources: [recap({ [`lit-ratelimitincrease://${tokenId}`]: { 'Auth/Auth': [restriction] } })],
      }).prepareMessage();
      return { sig: await owner.signMessage(message), derivedVia: 'web3.eth.personal.sign', signedMessage: message, address: owner.address };
    };

    /** Per node, the ed25519 session sig the SDK's getSessionSigs makes. */
    const sessionSigFor = (nodeUrl: string, capabilities: unknown[], opts: { keyPair?: nacl.SignKeyPair; resource?: string } = {}) => {
      const keyPair = opts.keyPair ?? session;
      const address = Buffer.from(keyPair.publicKey).toString('hex');
      const signedMessage = JSON.stringify({
        sessionKey: address,
        resourceAbilityRequests: [{ resource: { resource: opts.resource ?? '*', resourcePrefix: 'lit-pkp' }, ability: 'pkp-signing' }],
        capabilities,
        issuedAt: new Date().toISOString(),
        expiration: inAnHour(),
        nodeAddress: nodeUrl,
      });
      const sig = Buffer.from(nacl.sign.detached(Buffer.from(signedMessage, 'utf8'), keyPair.secretKey)).toString('hex');
      return { sig, derivedVia: 'litSessionSignViaNacl', signedMessage, address, algo: 'ed25519' };
    };
    const pkpSignOn = (index: number, capabilities: unknown[], opts: Parameters<typeof sessionSigFor>[2] = {}) =>
      postToNode(network.nodes[index].url, '/web/pkp/sign/v1', { toSign: Array.from(digest), pubkey: pkpPublicKey, authSig: sessionSigFor(network.nodes[index].url, capabilities, opts), epoch });

    it('answers on every node with ECDSA shares the SDK combines into a signature recovering to the PKP', async () => {
      const capabilities = [await delegation(), litBls];
      const replies = await Promise.all(network.nodes.map((n) => pkpSignOn(n.index, capabilities)));
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
      const combined = await combineEcdsaShares(replies.map((r) => r.body.signatureShare));
      const signature = ethers.utils.joinSignature({ r: `0x${combined.r}`, s: `0x${combined.s}`, recoveryParam: combined.recid });
      expect(ethers.utils.recoverAddress(digest, signature)).toBe(pkpWallet.address);
    });

    it('refuses a delegation of an expired capacity token', async () => {
      const reply = await pkpSignOn(0, [await delegation({ tokenId: '2' }), litBls]);
      expect(reply.status).toBe(402);
      expect(reply.body.errorCode).toBe('NodeCapacityTokenInvalid');
    });

    it.each([
      ['delegate_to names only another PKP', () => ({ nft_id: ['1'], delegate_to: [ethers.Wallet.createRandom().address.slice(2)] }), 'NodeCapacityDelegationNotForPkp'],
      ['delegate_to is not a list (read as "anyone" it would let any PKP spend it)', () => ({ nft_id: ['1'], delegate_to: ethers.Wallet.createRandom().address.slice(2) }), 'NodeInvalidCapacityDelegation'],
      ['nft_id names another token than the resource', () => ({ nft_id: ['2'] }), 'NodeInvalidCapacityDelegation'],
    ])('refuses a delegation whose %s', async (_what, restriction, code) => {
      const reply = await pkpSignOn(0, [await delegation({ restriction: restriction() }), litBls]);
      expect(reply.body.errorCode).toBe(code);
    });

    it('refuses a delegation without an expiration time', async () => {
      const reply = await pkpSignOn(0, [await delegation({ expirationTime: null }), litBls]);
      expect(reply.body.errorCode).toBe('NodeInvalidCapacityDelegation');
    });

    it('counts uses per delegation and refuses past them', async () => {
      const once = await delegation({ uses: '1', expirationTime: new Date(Date.now() + 1800_000).toISOString() });
      expect((await pkpSignOn(1, [once, litBls])).status).toBe(200);
      const again = await pkpSignOn(1, [once, litBls]);
      expect(again.status).toBe(429);
      expect(again.body.errorCode).toBe('NodeCapacityDelegationExhausted');
      expect(network.controls.capacityUses(once)).toBe(1);
    });

    it('refuses a LIT_BLS capability made for another session key', async () => {
      const reply = await pkpSignOn(0, [await delegation(), litBls], { keyPair: nacl.sign.keyPair() });
      expect(reply.body.errorCode).toBe('NodeInvalidSessionSig');
    });

    it('refuses a LIT_BLS capability whose signature is not the network\'s', async () => {
      const share = JSON.parse(litBls.sig) as { ProofOfPossession: string };
      const forged = { ...litBls, sig: JSON.stringify({ ProofOfPossession: share.ProofOfPossession.replace(/^(..)/, (b) => (b === 'a0' ? 'a1' : 'a0')) }) };
      const reply = await pkpSignOn(0, [await delegation(), forged]);
      expect(reply.body.errorCode).toBe('NodeInvalidBlsSignature');
    });

    it('refuses a session sig whose resources name another PKP', async () => {
      const reply = await pkpSignOn(0, [await delegation(), litBls], { resource: 'ff'.repeat(32) });
      expect(reply.body.errorCode).toBe('NodeResourceNotCovered');
      expect(pkpTokenIdHex).toHaveLength(64);
      expect((await pkpSignOn(0, [await delegation(), litBls], { resource: pkpTokenIdHex })).status).toBe(200);
    });
  });

  describe('faults and counters', () => {
    it('counts requests per endpoint per node', async () => {
      network.controls.resetCounts();
      await postToNode(network.nodes[1].url, '/web/handshake/', { epoch });
      await postToNode(network.nodes[1].url, '/web/handshake', { epoch });
      await fetch(`${network.nodes[1].url}/get_most_recent_valid_block`);
      expect(network.controls.counts(1)).toMatchObject({ handshake: 2, blockhash: 1, sign_session_key: 0, pkp_sign: 0 });
      expect(network.controls.counts(0).handshake).toBe(0);
      expect(network.controls.totalCounts().handshake).toBe(2);
    });

    it('answers with an injected 500 at error rate 1, and normally again at 0', async () => {
      network.controls.setFaults(2, { errorRate: 1 });
      const reply = await postToNode(network.nodes[2].url, '/web/handshake/', { epoch });
      expect(reply.status).toBe(500);
      expect(reply.body).toMatchObject({ errorKind: 'Unexpected', errorCode: 'NodeInjectedFault' });
      network.controls.setFaults(2, { errorRate: 0 });
      expect((await postToNode(network.nodes[2].url, '/web/handshake/', { epoch })).status).toBe(200);
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
  it.each([1, 2, 3, 5])('split across %i signers, combine with the SDK into a signature that recovers to the key', async (signers) => {
    const wallet = ethers.Wallet.createRandom();
    const digest = ethers.utils.arrayify(ethers.utils.id(`message for ${signers}`));
    const shares = Array.from({ length: signers }, (_, i) => ecdsaSignatureShare(ethers.utils.arrayify(wallet.privateKey), digest, signers, i));
    expect(new Set(shares.map((s) => s.bigR)).size).toBe(1);
    const combined = await combineEcdsaShares(shares);
    const signature = ethers.utils.joinSignature({ r: `0x${combined.r}`, s: `0x${combined.s}`, recoveryParam: combined.recid });
    expect(ethers.utils.recoverAddress(digest, signature)).toBe(wallet.address);
    if (signers > 1) {
      const missing = await combineEcdsaShares(shares.slice(1)).catch(() => undefined);
      const bad = missing && ethers.utils.recoverAddress(digest, ethers.utils.joinSignature({ r: `0x${missing.r}`, s: `0x${missing.s}`, recoveryParam: missing.recid }));
      expect(bad).not.toBe(wallet.address);
    }
  });
});

describe('UsageLedger', () => {
  it('counts per node and refuses past the limit; the network count is the largest', () => {
    const ledger = new UsageLedger();
    const key = UsageLedger.keyOf(ethers.Wallet.createRandom().address, '0x01');
    expect(ledger.tryConsume(key, 0, 2)).toBe(true);
    expect(ledger.tryConsume(key, 0, 2)).toBe(true);
    expect(ledger.tryConsume(key, 0, 2)).toBe(false);
    expect(ledger.tryConsume(key, 1, 2)).toBe(true);
    expect(ledger.used(key)).toBe(2);
    expect(ledger.tryConsume('other', 0, undefined)).toBe(true);
  });
});
