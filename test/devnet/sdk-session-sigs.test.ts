/**
 * The real Lit SDK (lit-node-client 7.4.0) against a real devnet (anvil chain + 3 nodes,
 * threshold 2, payment required), fully offline: session sigs, BLS verification with the SDK's
 * wasm, pkpSign, and every refusal the nodes make. One devnet for the whole file.
 */
import { LitNodeClient } from '@lit-protocol/lit-node-client';
import { LitContracts } from '@lit-protocol/contracts-sdk';
import { LIT_ABILITY } from '@lit-protocol/constants';
import { LitPKPResource } from '@lit-protocol/auth-helpers';
import { ethers } from 'ethers';
import { createLitNodeClient, disconnectLitNodeClient, startDevnet, type Devnet } from '../../devnet';
import { sessionSigningDigest } from '../../devnet/nodes';
import { installOfflineGuard, type OfflineGuard } from './helpers/offline-guard';
import { MemoryStorage } from './helpers/memory-storage';
import {
  ethWalletAuthMethod,
  litContractsFor,
  mintCapacityToken,
  mintPkp,
  pkpSigningRequests,
  type MintedPkp,
  type SessionSigs,
  type AuthSig,
  inAnHour,
  digestOf,
  pkpSessionSigs,
} from './helpers/lit-fixtures';
import { pkpSignBody, postToNode } from './helpers/raw-node';

// The SDK's own wasm (the copy lit-node-client 7.4.0 uses), to check the network's BLS signature independently.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- SDK internals without an exports entry: required by file path
const wasm = require('@lit-protocol/lit-node-client/node_modules/@lit-protocol/wasm') as {
  blsVerify(variant: string, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<void>;
};

jest.setTimeout(120_000);

const storage = new MemoryStorage();

describe('devnet with the real Lit SDK', () => {
  let guard: OfflineGuard;
  let devnet: Devnet;
  let client: LitNodeClient;
  let owner: ethers.Wallet;
  let stranger: ethers.Wallet;
  let ownerContracts: LitContracts;
  let pkp: MintedPkp;
  let otherPkp: MintedPkp;
  let capacityTokenId: string;
  let delegation: AuthSig;

  const signSessionKeyCalls = (): number[] => devnet.nodes.map((n) => devnet.controls.counts(n.index).sign_session_key);

  const delegate = async (opts: { wallet?: ethers.Wallet; to?: string[]; uses?: string; expiration?: string; tokenId?: string } = {}): Promise<AuthSig> =>
    (
      await client.createCapacityDelegationAuthSig({
        dAppOwnerWallet: opts.wallet ?? owner,
        capacityTokenId: opts.tokenId ?? capacityTokenId,
        delegateeAddresses: opts.to ?? [pkp.ethAddress],
        uses: opts.uses ?? '100',
        expiration: opts.expiration ?? inAnHour(),
      })
    ).capacityDelegationAuthSig as AuthSig;

  const sessionSigsFor = async (
    target: MintedPkp,
    opts: { authWallet?: ethers.Wallet; delegation?: AuthSig | null; expiration?: string } = {},
  ): Promise<SessionSigs> => {
    storage.clear();
    return pkpSessionSigs(
      client,
      opts.authWallet ?? owner,
      target.publicKey,
      opts.delegation === null ? null : (opts.delegation ?? delegation),
      opts.expiration,
    );
  };

  const sign = (target: MintedPkp, sessionSigs: SessionSigs, text = 'hello devnet') =>
    client.pkpSign({ pubKey: target.publicKey, toSign: digestOf(text), sessionSigs });

  beforeAll(async () => {
    guard = installOfflineGuard();
    const started = Date.now();
    devnet = await startDevnet({ blockTimeMs: 1000, rateLimitAllocation: true });
    console.log(`startDevnet (3 nodes, threshold 2) took ${Date.now() - started} ms`);
    owner = new ethers.Wallet(devnet.ownerWallet.privateKey);
    stranger = ethers.Wallet.createRandom();
    ownerContracts = litContractsFor(devnet, devnet.ownerWallet.privateKey);
    await ownerContracts.connect();
    pkp = await mintPkp(ownerContracts, [owner.address]);
    otherPkp = await mintPkp(ownerContracts, [owner.address]);
    capacityTokenId = await mintCapacityToken(ownerContracts);
    client = createLitNodeClient(devnet, { storageProvider: { provider: storage } } as never);
    await client.connect();
    delegation = await delegate();
  });

  afterAll(async () => {
    if (client) await disconnectLitNodeClient(client);
    await devnet?.stop();
    guard?.restore();
  });

  it('connects: every node handshaken, threshold from Staking, the network key from the nodes', () => {
    expect(client.ready).toBe(true);
    expect([...client.connectedNodes].sort()).toEqual(devnet.nodes.map((n) => n.url).sort());
    expect(client.config.minNodeCount).toBe(2);
    expect(client.networkPubKey).toBe(devnet.networkPublicKey);
    for (const n of devnet.nodes) expect(devnet.controls.counts(n.index).handshake).toBeGreaterThanOrEqual(1);
  });

  describe('session sigs and signing', () => {
    let sessionSigs: SessionSigs;

    it('gets PKP session sigs in exactly one sign_session_key round, with a BLS signature the SDK wasm verifies', async () => {
      devnet.controls.resetCounts();
      sessionSigs = await sessionSigsFor(pkp);
      expect(signSessionKeyCalls()).toEqual([1, 1, 1]);
      expect(Object.keys(sessionSigs).sort()).toEqual(devnet.nodes.map((n) => n.url).sort());

      const body = JSON.parse(Object.values(sessionSigs)[0].signedMessage) as { capabilities: AuthSig[] & { algo?: string }[] };
      const litBls = (body.capabilities as (AuthSig & { algo?: string })[]).find((c) => c.algo === 'LIT_BLS')!;
      expect(litBls.address).toBe(pkp.ethAddress);
      const signature = Buffer.from((JSON.parse(litBls.sig) as { ProofOfPossession: string }).ProofOfPossession, 'hex');
      const networkKey = Buffer.from(devnet.networkPublicKey, 'hex');
      await expect(wasm.blsVerify('Bls12381G2', networkKey, sessionSigningDigest(litBls.signedMessage), signature)).resolves.toBeUndefined();
      await expect(wasm.blsVerify('Bls12381G2', networkKey, sessionSigningDigest(`${litBls.signedMessage} `), signature)).rejects.toBeDefined();
    });

    it('reuses the cached wallet sig from shared storage: zero sign_session_key calls on a repeat', async () => {
      devnet.controls.resetCounts();
      const again = await pkpSessionSigs(client, owner, pkp.publicKey, delegation);
      expect(signSessionKeyCalls()).toEqual([0, 0, 0]);
      expect(devnet.controls.totalCounts().handshake).toBe(0);
      const caps = (s: SessionSigs) => (JSON.parse(Object.values(s)[0].signedMessage) as { capabilities: { sig: string }[] }).capabilities.map((c) => c.sig);
      expect(caps(again)).toEqual(caps(sessionSigs));
    });

    it('signs with the PKP: the combined ECDSA signature recovers to the PKP address, and counts one use of the delegation', async () => {
      const usesBefore = devnet.controls.capacityUses(delegation);
      const digest = digestOf('hello devnet');
      const result = await sign(pkp, sessionSigs);
      expect(ethers.utils.recoverAddress(digest, result.signature)).toBe(pkp.ethAddress);
      expect(devnet.controls.capacityUses(delegation)).toBe(usesBefore + 1);
    });

    it('makes no request to any host but 127.0.0.1', () => {
      expect(guard.blocked).toEqual([]);
    });
  });

  describe("sign_session_key refusals (the real node's codes, through the SDK)", () => {
    it('refuses a wallet that is neither the PKP owner nor permitted: NodeAuthSigScopeTooLimited', async () => {
      await expect(sessionSigsFor(pkp, { authWallet: stranger })).rejects.toThrow(/NodeAuthSigScopeTooLimited/);
    });

    it('refuses an expired auth sig (the SDK issues it now, so it expires before it was issued): NodeExpWrongOrTooLarge', async () => {
      storage.clear();
      const expired = await ethWalletAuthMethod(client, owner, new Date(Date.now() - 120_000).toISOString());
      await expect(
        client.getPkpSessionSigs({
          pkpPublicKey: pkp.publicKey,
          authMethods: [expired],
          resourceAbilityRequests: pkpSigningRequests(),
          expiration: inAnHour(),
        }),
      ).rejects.toThrow(/NodeExpWrongOrTooLarge/);
    });

    it("refuses a tampered auth sig with the real node's codeless 500 (the signature no longer verifies)", async () => {
      storage.clear();
      const method = await ethWalletAuthMethod(client, owner);
      const authSig = JSON.parse(method.accessToken) as AuthSig;
      const tampered = { ...authSig, signedMessage: authSig.signedMessage.replace('This is a test statement', 'This is a tost statement') };
      expect(tampered.signedMessage).not.toBe(authSig.signedMessage);
      const error = await client
        .getPkpSessionSigs({
          pkpPublicKey: pkp.publicKey,
          authMethods: [{ authMethodType: 1, accessToken: JSON.stringify(tampered) }],
          resourceAbilityRequests: pkpSigningRequests(),
          expiration: inAnHour(),
        })
        .catch((e: unknown) => e as Error);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/Invalid signature verification/);
    });

    it('refuses an auth method type verified by an outside service, saying the devnet does not emulate it', async () => {
      storage.clear();
      await expect(
        client.getPkpSessionSigs({
          pkpPublicKey: pkp.publicKey,
          authMethods: [{ authMethodType: 6, accessToken: 'a-google-token' }],
          resourceAbilityRequests: pkpSigningRequests(),
          expiration: inAnHour(),
        }),
      ).rejects.toThrow(/DevnetNotEmulated/);
    });
  });

  describe('Lit Action authentication, through the SDK alone (getLitActionSessionSigs, getPkpSessionSigs)', () => {
    /** An allowlist check on a jsParams field: the shape of action the service's example uses. */
    const ALLOWLIST = `(async () => {
      const allowed = ['alice', 'bob'];
      Lit.Actions.setResponse({ response: JSON.stringify(allowed.includes(user)) });
    })();`;
    const b64 = (code: string): string => Buffer.from(code, 'utf8').toString('base64');
    let actionPkp: MintedPkp;
    let actionDelegation: AuthSig;
    let allowlistCid: string;

    const actionSessionSigs = (
      params: { litActionCode?: string; litActionIpfsId?: string; jsParams: Record<string, unknown> },
      target = actionPkp,
    ): Promise<SessionSigs> => {
      storage.clear();
      return client.getLitActionSessionSigs({
        pkpPublicKey: target.publicKey,
        resourceAbilityRequests: pkpSigningRequests(),
        capabilityAuthSigs: [actionDelegation],
        expiration: inAnHour(),
        ...params,
      } as Parameters<LitNodeClient['getLitActionSessionSigs']>[0]) as Promise<SessionSigs>;
    };

    beforeAll(async () => {
      actionPkp = await mintPkp(ownerContracts, []); // no auth method permitted: only an action can authenticate
      allowlistCid = await devnet.controls.registerLitAction(ALLOWLIST);
      await ownerContracts.addPermittedAction({ ipfsId: allowlistCid, pkpTokenId: actionPkp.tokenId, authMethodScopes: [1] });
      actionDelegation = await delegate({ to: [actionPkp.ethAddress] });
    });

    it('inline code (litActionCode) the PKP permits: session sigs in one round, and they sign (scope 1)', async () => {
      devnet.controls.resetCounts();
      const sigs = await actionSessionSigs({ litActionCode: b64(ALLOWLIST), jsParams: { user: 'alice' } });
      expect(signSessionKeyCalls()).toEqual([1, 1, 1]);
      const result = await sign(actionPkp, sigs);
      expect(ethers.utils.recoverAddress(digestOf('hello devnet'), result.signature)).toBe(actionPkp.ethAddress);
    });

    it("code by CID (litActionIpfsId, through getPkpSessionSigs): the nodes fetch it from the devnet's IPFS", async () => {
      storage.clear();
      const sigs = (await client.getPkpSessionSigs({
        pkpPublicKey: actionPkp.publicKey,
        litActionIpfsId: allowlistCid,
        jsParams: { user: 'bob' },
        resourceAbilityRequests: pkpSigningRequests(),
        capabilityAuthSigs: [actionDelegation],
        expiration: inAnHour(),
      })) as SessionSigs;
      const result = await sign(actionPkp, sigs);
      expect(ethers.utils.recoverAddress(digestOf('hello devnet'), result.signature)).toBe(actionPkp.ethAddress);
    });

    it('an action that answers false gives no session: NodeLitActionsSessionSigAuthenticationFailed', async () => {
      await expect(actionSessionSigs({ litActionIpfsId: allowlistCid, jsParams: { user: 'mallory' } })).rejects.toThrow(
        /NodeLitActionsSessionSigAuthenticationFailed/,
      );
    });

    it('an action the PKP does not permit is refused even when it answers true: NodeAuthSigScopeTooLimited', async () => {
      const other = `${ALLOWLIST} // another CID`;
      await expect(actionSessionSigs({ litActionCode: b64(other), jsParams: { user: 'alice' } })).rejects.toThrow(/NodeAuthSigScopeTooLimited/);
    });

    it("an action permitted with scope 2 only makes a session that cannot sign (scope 1 needed), as the node's test", async () => {
      const personalOnly = `${ALLOWLIST} // scope 2 only`;
      const cid = await devnet.controls.registerLitAction(personalOnly);
      await ownerContracts.addPermittedAction({ ipfsId: cid, pkpTokenId: actionPkp.tokenId, authMethodScopes: [2] });
      const sigs = await actionSessionSigs({ litActionIpfsId: cid, jsParams: { user: 'alice' } });
      await expect(sign(actionPkp, sigs)).rejects.toThrow(/NodeAuthSigScopeTooLimited|requires scope \[1\]/);
    });
  });

  describe('pkpSign: capacity credits (rate limiting on, allocation on)', () => {
    it('refuses session sigs without a capacity delegation (the PKP owns no capacity NFT): rate_limit_exceeded', async () => {
      const sigs = await sessionSigsFor(pkp, { delegation: null });
      await expect(sign(pkp, sigs)).rejects.toThrow(/rate_limit_exceeded/);
    });

    it('skips a delegation to another PKP (its delegate_to does not name this one): rate_limit_exceeded', async () => {
      const sigs = await sessionSigsFor(pkp, { delegation: await delegate({ to: [otherPkp.ethAddress] }) });
      await expect(sign(pkp, sigs)).rejects.toThrow(/rate_limit_exceeded/);
    });

    it('skips a delegation to nobody (delegate_to: [])', async () => {
      const sigs = await sessionSigsFor(pkp, { delegation: await delegate({ to: [] }) });
      await expect(sign(pkp, sigs)).rejects.toThrow(/rate_limit_exceeded/);
    });

    it('accepts, as the real node does, a delegation naming a token its signer does not own (nft_id ownership is not checked)', async () => {
      const sigs = await sessionSigsFor(pkp, { delegation: await delegate({ wallet: stranger }) });
      const result = await sign(pkp, sigs);
      expect(ethers.utils.recoverAddress(digestOf('hello devnet'), result.signature)).toBe(pkp.ethAddress);
    });

    it('skips a delegation whose uses are spent, counting uses across the network', async () => {
      const limited = await delegate({ uses: '2' });
      const sigs = await sessionSigsFor(pkp, { delegation: limited });
      await sign(pkp, sigs, 'one');
      await sign(pkp, sigs, 'two');
      expect(devnet.controls.capacityUses(limited)).toBe(2);
      await expect(sign(pkp, sigs, 'three')).rejects.toThrow(/rate_limit_exceeded/);
    });

    it('refuses an expired delegation (the SDK stops it first; a node fails the whole request on it)', async () => {
      const expired = await delegate({ expiration: new Date(Date.now() - 60_000).toISOString() });
      const sigs = await sessionSigsFor(pkp, { delegation: expired });
      await expect(sign(pkp, sigs)).rejects.toThrow(/Expired capability/);
      const node = devnet.nodes[0];
      const reply = await postToNode(node.url, '/web/pkp/sign/v1', pkpSignBody(sigs[node.url], pkp.publicKey, digestOf('x'), client.currentEpochNumber!));
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({ errorKind: 'Validation', errorCode: 'NodeSIWEMessageError' });
    });
  });

  describe('pkpSign: session sigs', () => {
    it('refuses a tampered session sig: its ed25519 signature does not verify', async () => {
      const sigs = await sessionSigsFor(pkp);
      const tampered = Object.fromEntries(
        Object.entries(sigs).map(([url, s]) => [url, { ...s, signedMessage: s.signedMessage.replace('"issuedAt":"', '"issuedAt":"1') }]),
      ) as SessionSigs;
      await expect(sign(pkp, tampered)).rejects.toThrow(/NodeInvalidAuthSigSessionKeySignature/);
    });

    it('refuses a session sig made for another node: NodeNotAuthorized', async () => {
      const sigs = await sessionSigsFor(pkp);
      const urls = Object.keys(sigs);
      const rotated = Object.fromEntries(urls.map((url, i) => [url, sigs[urls[(i + 1) % urls.length]]])) as SessionSigs;
      await expect(sign(pkp, rotated)).rejects.toThrow(/NodeNotAuthorized/);
    });

    it('does NOT bind a session to its PKP, as the real node: lit-pkp://* sigs made for one PKP sign with another PKP of the same owner', async () => {
      const sigs = await sessionSigsFor(pkp, { delegation: await delegate({ to: [pkp.ethAddress, otherPkp.ethAddress] }) });
      const result = await sign(otherPkp, sigs, 'cross-PKP');
      expect(ethers.utils.recoverAddress(digestOf('cross-PKP'), result.signature)).toBe(otherPkp.ethAddress);
    });

    it('confines sigs to one PKP only through the resource: lit-pkp://<token id> sigs are refused for another PKP', async () => {
      storage.clear();
      const own = ethers.utils.keccak256(pkp.publicKey).slice(2);
      const sigs = (await client.getPkpSessionSigs({
        pkpPublicKey: pkp.publicKey,
        authMethods: [await ethWalletAuthMethod(client, owner)],
        resourceAbilityRequests: [{ resource: new LitPKPResource(own), ability: LIT_ABILITY.PKPSigning }],
        capabilityAuthSigs: [await delegate({ to: [pkp.ethAddress, otherPkp.ethAddress] })],
        expiration: inAnHour(),
      })) as SessionSigs;
      expect(ethers.utils.recoverAddress(digestOf('own'), (await sign(pkp, sigs, 'own')).signature)).toBe(pkp.ethAddress);
      await expect(sign(otherPkp, sigs)).rejects.toThrow(/NodeResourceIdNotFound/);
    });

    it('refuses an expired session sig past the 60 s grace (the SDK stops it first; a node refuses it too)', async () => {
      await sessionSigsFor(pkp);
      const expiresAt = Date.now() + 1000;
      const sigs = await pkpSessionSigs(client, owner, pkp.publicKey, delegation, new Date(expiresAt).toISOString());
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 500));
      await expect(sign(pkp, sigs)).rejects.toThrow(/Expired/);
      const node = devnet.nodes[1];
      const body = pkpSignBody(sigs[node.url], pkp.publicKey, digestOf('x'), client.currentEpochNumber!);
      // Within the node's 60 s grace the expired sig still signs; the devnet's clock is moved past it.
      devnet.controls.setClockOffsetMs(61_000);
      try {
        const reply = await postToNode(node.url, '/web/pkp/sign/v1', body);
        expect(reply.status).toBe(403);
        expect(reply.body).toMatchObject({ errorKind: 'Validation', errorCode: 'NodeExpWrongOrTooLarge' });
        expect(JSON.stringify(reply.body)).not.toContain(sigs[node.url].sig);
      } finally {
        devnet.controls.setClockOffsetMs(0);
      }
    });
  });
});
