/**
 * Lit network faults, end to end: HTTP → the emulated API Gateway → the IssueSessionSigs function
 * (its own worker, the deployed bundle) → the real Lit SDK → the devnet (3 nodes, threshold 2).
 * Faults come from the devnet's controls: nodes taken down, latency, an epoch advance. One stack
 * for the file; every test leaves all nodes up and fault-free.
 *
 * Each issuance that must reach the nodes uses a caller never seen before (a fresh session scope,
 * so no cached wallet sig can hide the fault).
 */
import { ethers } from 'ethers';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { signWithSessionSigs } from '../../local/demo';
import { expectServiceError, freshCaller, issue, pollUntil, restoreNodes, signRounds, storedSecrets, withFaultCallers, type HttpResult } from './fault-helpers';

jest.setTimeout(300_000);

describe('Lit node faults over HTTP', () => {
  let stack: LocalStack;
  /** A caller whose scope holds a cached wallet sig (issued once while all nodes were up). */
  let warmCaller: string;

  const delta = (before: number[], after: number[]) => after.map((v, i) => v - before[i]);
  const expectIssuedThroughNodes = (r: HttpResult) => {
    if (r.status !== 200) throw new Error(`expected 200, got ${r.status} ${r.text.slice(0, 300)}`);
    expect(r.body.walletSigSource).toBe('nodes');
    // Session sigs are built locally for every node the client is connected to.
    expect(Object.keys(r.body.sessionSigs).sort()).toEqual(stack.devnet.nodes.map((n) => n.url).sort());
  };

  beforeAll(async () => {
    stack = await startLocalStack({
      devnet: { nodeCount: 3, threshold: 2, blockTimeMs: 1000 },
      refreshEveryMs: 0,
      configure: withFaultCallers,
    });
    // Warm: the function's environment is up and its Lit client connected with all nodes answering.
    warmCaller = freshCaller('warm');
    expectIssuedThroughNodes(await issue(stack, warmCaller));
  });

  afterEach(async () => {
    if (stack) await restoreNodes(stack);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('one node down, the other two meet the threshold: a connected function still issues through the nodes', async () => {
    await stack.devnet.controls.setNodeDown(2, true);
    const before = signRounds(stack);
    const r = await issue(stack, freshCaller('one-down'));
    expectIssuedThroughNodes(r);
    const rounds = delta(before, signRounds(stack));
    expect(rounds[2]).toBe(0); // the down node saw nothing
    expect(rounds[0] + rounds[1]).toBeGreaterThanOrEqual(2);
  });

  it('GET /health?deep=true handshakes with the recorded nodes: 200 at the threshold, 503 below it, 200 again when they return', async () => {
    const deep = () => stack.request('GET', '/health?deep=true', { caller: stack.callers.admin });
    const all = await deep();
    expect(all.status).toBe(200);
    expect(all.body.checks.lit).toEqual({ ok: true, answered: 3, nodes: 3, threshold: 2, issues: 'any-scope', checkedAt: expect.any(String) });
    await stack.devnet.controls.setNodeDown(2, true);
    expect((await deep()).body.checks.lit).toMatchObject({ ok: true, answered: 2, nodes: 3, threshold: 2, issues: 'any-scope' });
    await stack.devnet.controls.setNodeDown(1, true);
    const below = await deep();
    expect(below.status).toBe(503);
    expect(below.body).toMatchObject({
      status: 'not-ready',
      checks: { delegation: { ok: true }, lit: { ok: false, answered: 1, nodes: 3, threshold: 2, issues: 'cached-scopes-only' } },
    });
    await stack.devnet.controls.setNodeDown(0, true);
    expect((await deep()).body.checks.lit).toMatchObject({ ok: false, answered: 0, issues: 'none' });
    await restoreNodes(stack);
    expect((await deep()).status).toBe(200);
  });

  it('health tells the truth both ways, as issuing does: below the threshold, plain and deep /health 503 while a new scope gets 503; back, both 200 while it gets 200', async () => {
    const plain = () => stack.request('GET', '/health');
    const deep = () => stack.request('GET', '/health?deep=true', { caller: stack.callers.admin });
    const last = <T>(xs: T[]): T => xs[xs.length - 1];
    // After one good check (plain and deep), two of three nodes go down.
    expect((await deep()).status).toBe(200);
    expect((await plain()).status).toBe(200);
    await stack.devnet.controls.setNodeDown(1, true);
    await stack.devnet.controls.setNodeDown(2, true);

    // The plain check follows within its age limit (bounded polls, not a timing assertion).
    const plainDown = last(await pollUntil(plain, (r) => r.status === 503, 40, 1000));
    expect(plainDown.status).toBe(503);
    expect(plainDown.body.checks.lit).toMatchObject({ ok: false, answered: 1, threshold: 2, issues: 'cached-scopes-only' });
    const deepDown = await deep();
    expect(deepDown.status).toBe(503);
    expect(deepDown.body.checks.lit).toMatchObject({ ok: false, answered: 1, issues: 'cached-scopes-only' });
    // What issuing does at that moment: a new scope is refused, a cached one served.
    expectServiceError(await issue(stack, freshCaller('health-below')), { status: 503, code: 'LIT_UNAVAILABLE' }, await storedSecrets(stack));
    expect((await issue(stack, warmCaller)).body.walletSigSource).toBe('cache');

    // After that failed deep check, the nodes return: plain goes back to 200 without another deep check.
    await restoreNodes(stack);
    const plainUp = last(await pollUntil(plain, (r) => r.status === 200, 40, 1000));
    expect(plainUp.status).toBe(200);
    expect(plainUp.body.checks.lit).toMatchObject({ ok: true, answered: 3, issues: 'any-scope' });
    expect((await deep()).status).toBe(200);
    expectIssuedThroughNodes(
      last(
        await pollUntil(
          () => issue(stack, freshCaller('health-back')),
          (r) => r.status === 200,
          10,
          1000,
        ),
      ),
    );
  });

  it('nodes below the threshold: 503 LIT_UNAVAILABLE (retryable) and no secret; a cached scope is still served; recovery when they return', async () => {
    await stack.devnet.controls.setNodeDown(1, true);
    await stack.devnet.controls.setNodeDown(2, true);
    const secrets = await storedSecrets(stack);

    // The SDK throws a NodeError with no node reason when too few nodes answer: unavailable, not a
    // refusal, so 503 with Retry-After (expectServiceError checks it), the same each time.
    const belowThreshold = { status: 503, code: 'LIT_UNAVAILABLE' };
    expectServiceError(await issue(stack, freshCaller('below')), belowThreshold, secrets);
    expectServiceError(await issue(stack, freshCaller('below')), belowThreshold, secrets);

    // A scope with a valid cached wallet sig needs no node round trip: still issued, locally.
    const before = signRounds(stack);
    const cached = await issue(stack, warmCaller);
    expect(cached.status).toBe(200);
    expect(cached.body.walletSigSource).toBe('cache');
    expect(signRounds(stack)).toEqual(before);

    await restoreNodes(stack);
    expectIssuedThroughNodes(await issue(stack, freshCaller('recovered')));
  });

  it('slow nodes (added latency on every node): still issues through the nodes within the function timeout', async () => {
    stack.devnet.controls.setFaults('all', { latencyMs: 1500 });
    const before = signRounds(stack);
    const r = await issue(stack, freshCaller('slow'));
    expectIssuedThroughNodes(r);
    expect(delta(before, signRounds(stack)).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2);
  });

  it('one node answering every request with a 500: the other two carry the threshold', async () => {
    stack.devnet.controls.setFaults(0, { errorRate: 1 });
    expectIssuedThroughNodes(await issue(stack, freshCaller('one-500')));
    expect(stack.devnet.controls.refusals(0).sign_session_key).toBeGreaterThanOrEqual(1);
  });

  it('too many nodes failing with 500 NodeSystemFault: 503 LIT_UNAVAILABLE (the network, not the request), naming the node code, no node text', async () => {
    stack.devnet.controls.setFaults(0, { errorRate: 1 });
    stack.devnet.controls.setFaults(1, { errorRate: 1 });
    const r = await issue(stack, freshCaller('two-500'));
    expectServiceError(r, { status: 503, code: 'LIT_UNAVAILABLE' }, await storedSecrets(stack));
    expect(r.body.error.details).toMatchObject({ errorCode: 'NodeSystemFault' });
    expect(r.text).not.toMatch(/devnet: injected fault/);
  });

  it("a node down before a fresh environment's first request: a new scope and a cached one both 200, with sigs for every node; back, the node is used again and sigs issued without it sign through it", async () => {
    await stack.functions.recycle('IssueSessionSigs');
    await stack.devnet.controls.setNodeDown(0, true);
    const coldStartsBefore = stack.functions.coldStarts('IssueSessionSigs');

    const before = signRounds(stack);
    const miss = await issue(stack, freshCaller('cold-one-down'));
    expect(stack.functions.coldStarts('IssueSessionSigs')).toBeGreaterThan(coldStartsBefore);
    expectIssuedThroughNodes(miss); // session sigs for all three nodes, the down one included
    const rounds = delta(before, signRounds(stack));
    expect(rounds[0]).toBe(0);
    expect(rounds[1] + rounds[2]).toBeGreaterThanOrEqual(2);
    const hit = await issue(stack, warmCaller);
    expect(hit.status).toBe(200);
    expect(hit.body.walletSigSource).toBe('cache');
    expect(Object.keys(hit.body.sessionSigs).sort()).toEqual(stack.devnet.nodes.map((n) => n.url).sort());

    // Back: the environment handshakes with it again on its own (bounded tries), and sends it rounds.
    await stack.devnet.controls.setNodeDown(0, false);
    const rejoined = await pollUntil(
      async () => {
        const b = signRounds(stack)[0];
        expectIssuedThroughNodes(await issue(stack, freshCaller('cold-back')));
        return signRounds(stack)[0] - b;
      },
      (n) => n > 0,
      20,
      1000,
    );
    expect(rejoined[rejoined.length - 1]).toBeGreaterThan(0);

    // The sigs issued while node 0 was down work with a client connected to all three nodes.
    const signed = await signWithSessionSigs(stack.info().devnet, stack.pkp.publicKey, miss.body.sessionSigs, 'e2e: sigs issued with a node down');
    expect(signed.recoveredAddress).toBe(ethers.utils.getAddress(stack.pkp.ethAddress));
  });

  it('below the threshold at cold start: a cached scope is still served, a new one 503 without a node round, the refresher still signs; every node down: the cached scope still served; back, the same environment issues new scopes', async () => {
    await stack.functions.recycle('IssueSessionSigs');
    await stack.devnet.controls.setNodeDown(1, true);
    await stack.devnet.controls.setNodeDown(2, true);
    const secrets = await storedSecrets(stack);

    const hit = await issue(stack, warmCaller);
    expect(hit.status).toBe(200);
    expect(hit.body.walletSigSource).toBe('cache');
    const before = signRounds(stack);
    const miss = await issue(stack, freshCaller('cold-below'));
    expectServiceError(miss, { status: 503, code: 'LIT_UNAVAILABLE' }, secrets);
    expect(miss.body.error.details).toMatchObject({ answered: 1, nodes: 3, threshold: 2 });
    expect(signRounds(stack)).toEqual(before); // refused before any sign_session_key request

    // The refresher, cold too, still signs a delegation: it needs one node's handshake and the chain.
    await stack.functions.recycle('DelegationRefresher');
    expect((await stack.refreshNow(true)).outcome).toBe('refreshed');
    // Every node down: this (now warm) environment still serves the cached scope.
    await stack.devnet.controls.setNodeDown(0, true);
    const allDown = await issue(stack, warmCaller);
    expect(allDown.status).toBe(200);
    expect(allDown.body.walletSigSource).toBe('cache');

    await restoreNodes(stack);
    const coldStarts = stack.functions.coldStarts('IssueSessionSigs');
    const tries = await pollUntil(
      () => issue(stack, freshCaller('cold-below-back')),
      (r) => r.status === 200,
      15,
      1000,
    );
    expectIssuedThroughNodes(tries[tries.length - 1]);
    expect(stack.functions.coldStarts('IssueSessionSigs')).toBe(coldStarts); // no new environment needed
  });

  it('an epoch advance: issuing keeps working once the SDK has re-handshaken', async () => {
    const epochBefore = stack.devnet.controls.currentEpoch();
    const handshakesBefore = stack.devnet.controls.totalCounts().handshake;
    const next = await stack.devnet.controls.advanceEpoch();
    expect(next).toBe(epochBefore + 1);

    // The SDK polls Staking for StateChanged every ~4 s, then handshakes with every node.
    const rehandshaken = await pollUntil(
      async () => stack.devnet.controls.totalCounts().handshake - handshakesBefore,
      (n) => n >= stack.devnet.nodes.length,
      60,
      500,
    );
    expect(rehandshaken[rehandshaken.length - 1]).toBeGreaterThanOrEqual(stack.devnet.nodes.length);

    // Bounded tries: the first issuance after the re-handshake should already work.
    const tries = await pollUntil(
      () => issue(stack, freshCaller('epoch')),
      (r) => r.status === 200,
      5,
      1000,
    );
    expectIssuedThroughNodes(tries[tries.length - 1]);
    // The cached scope still works in the new epoch, too.
    const cached = await issue(stack, warmCaller);
    expect(cached.status).toBe(200);
  });
});
