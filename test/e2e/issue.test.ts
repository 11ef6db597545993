/**
 * Issuance end to end: HTTP → the emulated API Gateway → the IssueSessionSigs function (its own
 * worker, the deployed bundle) → DynamoDB Local + the real Lit SDK → the devnet. The session
 * sigs it returns are then used by a separate real SDK client for pkpSign.
 *
 * One stack for the file: 2 PKPs, the app caller and a second caller with the same rights.
 */
import { ethers } from 'ethers';
import { startLocalStack, type LocalPkp, type LocalStack } from '../../local/stack';
import { signWithSessionSigs } from '../../local/demo';
import { createLitNodeClient, disconnectLitNodeClient } from '../../devnet';
import { bindScopeStorage, requestBoundStorage, ScopeStorage } from '../../functions/commons/session-storage';
import { ethWalletAuthMethod, pkpSigningRequests } from '../devnet/helpers/lit-fixtures';
import { expectIssuedFor, expectStatus, issue, issueBody, request, signRounds, walletSigPkpAddresses, withCallers } from './helpers';

jest.setTimeout(300_000);

const SECOND_CALLER = 'arn:aws:iam::000000000000:user/local-app-2';

describe('issuing session sigs over HTTP', () => {
  let stack: LocalStack;
  let pkpA: LocalPkp;
  let pkpB: LocalPkp;
  let app: string;

  beforeAll(async () => {
    stack = await startLocalStack({
      pkpCount: 2,
      refreshEveryMs: 0,
      devnet: { nodeCount: 3, threshold: 2, blockTimeMs: 1000 },
      configure: (config, ctx) =>
        withCallers(config, ctx.callers.app, [{ principal: SECOND_CALLER }, { principal: 'arn:aws:iam::000000000000:user/local-app-abilities' }]),
    });
    [pkpA, pkpB] = stack.pkps;
    app = stack.callers.app;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('first issuance makes one sign_session_key round, a repeat makes none; the sigs sign with the PKP through the real SDK', async () => {
    const before = signRounds(stack);
    const first = await issue(stack, app, pkpA);
    expectIssuedFor(stack, first, pkpA);
    expect(first.body.walletSigSource).toBe('nodes');
    // One round: one request to each node (all are up).
    expect(signRounds(stack) - before).toBe(stack.devnet.nodes.length);
    expect(Date.parse(first.body.expiresAt)).toBeGreaterThan(Date.now());
    expect(Date.parse(first.body.delegationExpiresAt)).toBeGreaterThan(Date.now());

    const afterFirst = signRounds(stack);
    const second = await issue(stack, app, pkpA);
    expectIssuedFor(stack, second, pkpA);
    expect(second.body.walletSigSource).toBe('cache');
    expect(signRounds(stack)).toBe(afterFirst);
    // New session sigs each time (signed now), on the same cached wallet sig.
    expect(second.body.sessionSigs).not.toEqual(first.body.sessionSigs);

    const pkpSignsBefore = stack.devnet.controls.totalCounts().pkp_sign;
    const signed = await signWithSessionSigs(stack.info().devnet, pkpA.publicKey, second.body.sessionSigs, 'e2e: sign with issued session sigs');
    expect(signed.recoveredAddress).toBe(ethers.utils.getAddress(pkpA.ethAddress));
    expect(stack.devnet.controls.totalCounts().pkp_sign).toBeGreaterThan(pkpSignsBefore);
  });

  it('the token-id form of the resource works as well as `*`, and the session sigs grant exactly what was asked', async () => {
    const r = await request(stack, 'POST', '/session-sigs', { caller: app, body: issueBody(pkpB, pkpB.tokenId) });
    expectIssuedFor(stack, r, pkpB);
    const signed = JSON.parse((Object.values(r.body.sessionSigs)[0] as { signedMessage: string }).signedMessage);
    const tokenHex = BigInt(pkpB.tokenId).toString(16).padStart(64, '0');
    expect(signed.resourceAbilityRequests).toEqual([{ resource: { resource: tokenHex, resourcePrefix: 'lit-pkp' }, ability: 'pkp-signing' }]);
    // The capacity delegation the service holds travels in every session sig.
    expect(signed.capabilities.some((c: { signedMessage?: string }) => /lit-ratelimitincrease:\/\//.test(c.signedMessage ?? ''))).toBe(true);
  });

  it("two callers and two PKPs, interleaved in sequence, never get another scope's wallet sig", async () => {
    const plan: [string, LocalPkp][] = [];
    for (let i = 0; i < 2; i++) for (const caller of [app, SECOND_CALLER]) for (const p of [pkpA, pkpB]) plan.push([caller, p]);
    const sources: string[] = [];
    for (const [caller, p] of plan) {
      const r = await issue(stack, caller, p);
      expectIssuedFor(stack, r, p);
      sources.push(`${caller === app ? 'app' : 'second'}:${p === pkpA ? 'A' : 'B'}:${r.body.walletSigSource}`);
    }
    // Every scope keeps its own wallet sig: the second pass is served from cache for all four.
    expect(sources.slice(4)).toEqual(['app:A:cache', 'app:B:cache', 'second:A:cache', 'second:B:cache']);
    // The second caller's first requests went to the nodes: its scopes are not the app's.
    expect(sources.slice(2, 4)).toEqual(['second:A:nodes', 'second:B:nodes']);
  });

  it("concurrent requests over both callers and both PKPs never get another scope's wallet sig, and each works for its own PKP", async () => {
    const plan: [string, LocalPkp][] = [];
    for (let i = 0; i < 4; i++) for (const caller of [app, SECOND_CALLER]) for (const p of i % 2 ? [pkpB, pkpA] : [pkpA, pkpB]) plan.push([caller, p]);
    const results = await Promise.all(plan.map(([caller, p]) => issue(stack, caller, p)));
    results.forEach((r, i) => expectIssuedFor(stack, r, plan[i][1]));

    const forB = results.find((_, i) => plan[i][0] === SECOND_CALLER && plan[i][1] === pkpB)!;
    const signed = await signWithSessionSigs(stack.info().devnet, pkpB.publicKey, forB.body.sessionSigs, 'e2e: isolation');
    expect(signed.recoveredAddress).toBe(ethers.utils.getAddress(pkpB.ethAddress));
  });

  it('after a cold start, concurrent requests for both callers and PKPs read their own scopes back from the table', async () => {
    // A cold environment: every scope is read from DynamoDB again, requests for both PKPs in flight together.
    await stack.functions.recycle('IssueSessionSigs');
    const plan: [string, LocalPkp][] = [
      [app, pkpB],
      [SECOND_CALLER, pkpA],
      [app, pkpA],
      [SECOND_CALLER, pkpB],
    ];
    const results = await Promise.all(plan.map(([caller, p]) => issue(stack, caller, p)));
    results.forEach((r, i) => expectIssuedFor(stack, r, plan[i][1]));
    expect(results.map((r) => r.body.walletSigSource)).toEqual(['cache', 'cache', 'cache', 'cache']);
  });

  it("control: the SDK alone, with one shared storage, builds PKP B's session sigs on PKP A's wallet sig", async () => {
    // Why the service scopes storage per (PKP, caller, auth identity): the SDK does not check the PKP.
    // The service's own storage facade, bound here to one storage for both PKPs.
    const client = createLitNodeClient(stack.info().devnet, { storageProvider: { provider: requestBoundStorage } } as never);
    await client.connect();
    try {
      const shared = new ScopeStorage(new Map());
      const authMethod = await ethWalletAuthMethod(client, new ethers.Wallet(stack.devnet.ownerWallet.privateKey));
      const expiration = new Date(Date.now() + 600_000).toISOString();
      const sigsFor = (p: LocalPkp) =>
        bindScopeStorage(shared, () =>
          client.getPkpSessionSigs({ pkpPublicKey: p.publicKey, authMethods: [authMethod], resourceAbilityRequests: pkpSigningRequests(), expiration }),
        );
      const a = await sigsFor(pkpA);
      expect(walletSigPkpAddresses(a as never)).toEqual(new Set([ethers.utils.getAddress(pkpA.ethAddress)]));
      const b = await sigsFor(pkpB);
      expect(walletSigPkpAddresses(b as never)).toEqual(new Set([ethers.utils.getAddress(pkpA.ethAddress)]));
    } finally {
      await disconnectLitNodeClient(client);
    }
  });

  it('GET /delegation and GET /health answer for the app caller', async () => {
    const d = await request(stack, 'GET', '/delegation', { caller: app });
    expectStatus(d, 200);
    expect(d.body).toMatchObject({ capacityTokenId: stack.capacityTokenId, ownerAddress: ethers.utils.getAddress(stack.ownerAddress), valid: true });
    expect(d.body.delegatees).toEqual([pkpA.ethAddress, pkpB.ethAddress].map((a) => ethers.utils.getAddress(a)).sort());
    expect(d.text).not.toMatch(/"sig"|signedMessage/);
    const h = await request(stack, 'GET', '/health', { caller: app });
    expectStatus(h, 200);
    expect(h.body).toMatchObject({ status: 'ok', checks: { delegation: { ok: true }, capacity: { ok: true } } });
  });

  it('a stored wallet sig is reused only for what it covers: new abilities in the same scope make a node round, then are cached', async () => {
    const caller = 'arn:aws:iam::000000000000:user/local-app-abilities';
    const decryption = {
      resourceAbilityRequests: [{ resource: { kind: 'access-control-condition', id: '*' }, ability: 'access-control-condition-decryption' }],
    };
    const sources: string[] = [];
    for (const extra of [{}, {}, decryption, decryption]) {
      const before = signRounds(stack);
      const r = await issue(stack, caller, pkpB, extra);
      expectStatus(r, 200);
      sources.push(r.body.walletSigSource);
      // The source says what happened at the nodes, not just what the service believes.
      expect(signRounds(stack) - before).toBe(r.body.walletSigSource === 'nodes' ? stack.devnet.nodes.length : 0);
    }
    expect(sources).toEqual(['nodes', 'cache', 'nodes', 'cache']);
  });
});
