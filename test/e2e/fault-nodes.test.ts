/**
 * Lit network faults, end to end: HTTP → the emulated API Gateway → the IssueSessionSigs function
 * (its own worker, the deployed bundle) → the real Lit SDK → the devnet (3 nodes, threshold 2).
 * Faults come from the devnet's controls: nodes taken down, latency, an epoch advance. One stack
 * for the file; every test leaves all nodes up and fault-free.
 *
 * Each issuance that must reach the nodes uses a caller never seen before (a fresh session scope,
 * so no cached wallet sig can hide the fault).
 */
import { startLocalStack, type LocalStack } from '../../local/stack';
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
    expect(all.body.checks.lit).toEqual({ ok: true, answered: 3, nodes: 3, threshold: 2 });
    await stack.devnet.controls.setNodeDown(2, true);
    expect((await deep()).body.checks.lit).toEqual({ ok: true, answered: 2, nodes: 3, threshold: 2 });
    await stack.devnet.controls.setNodeDown(1, true);
    const below = await deep();
    expect(below.status).toBe(503);
    expect(below.body).toMatchObject({ status: 'not-ready', checks: { delegation: { ok: true }, lit: { ok: false, answered: 1, nodes: 3, threshold: 2 } } });
    await restoreNodes(stack);
    expect((await deep()).status).toBe(200);
    // Without ?deep the check makes no node request at all.
    const handshakes = stack.devnet.controls.totalCounts().handshake;
    expect((await stack.request('GET', '/health')).body.checks.lit).toBeUndefined();
    expect(stack.devnet.controls.totalCounts().handshake).toBe(handshakes);
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

  it('a node down at cold start: the connection retries, then 503 LIT_UNAVAILABLE; node back: the next request issues', async () => {
    await stack.functions.recycle('IssueSessionSigs');
    await stack.devnet.controls.setNodeDown(0, true);
    const handshakesBefore = stack.devnet.controls.totalCounts().handshake;
    const invocationsBefore = stack.functions.invocations('IssueSessionSigs');

    const r = await issue(stack, freshCaller('cold-down'));
    expectServiceError(r, { status: 503, code: 'LIT_UNAVAILABLE' }, await storedSecrets(stack));
    expect(stack.functions.invocations('IssueSessionSigs')).toBe(invocationsBefore + 1);
    // Retried: more than one connection attempt, each handshaking with the two live nodes.
    expect(r.body.error.details?.attempts).toBeGreaterThan(1);
    expect(stack.devnet.controls.totalCounts().handshake - handshakesBefore).toBeGreaterThanOrEqual(4);

    await stack.devnet.controls.setNodeDown(0, false);
    // Same environment (no recycle): the failed client is connected again on the next call.
    expectIssuedThroughNodes(await issue(stack, freshCaller('cold-back')));
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
    const tries = await pollUntil(() => issue(stack, freshCaller('epoch')), (r) => r.status === 200, 5, 1000);
    expectIssuedThroughNodes(tries[tries.length - 1]);
    // The cached scope still works in the new epoch, too.
    const cached = await issue(stack, warmCaller);
    expect(cached.status).toBe(200);
  });
});
