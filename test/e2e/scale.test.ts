/**
 * Issue 11 end to end over HTTP: session scopes per IAM role (two sessions of one role share a
 * scope and its one node round; two roles never do), and a stalled dependency answering a coded
 * 503 with Retry-After within the bound, then recovering. Real parts: DynamoDB Local stalled
 * with SIGSTOP, the Secrets Manager stand-in holding requests unanswered, the devnet's chain
 * (anvil) stalled with SIGSTOP; nothing is mocked.
 *
 * The one timed assertion is the issue's: a stall gives the coded 503 within 3 s. It is checked
 * against 3.5 s: the service's own bound is about 2.4 s (DEPENDENCY_CALL_BUDGET_MS, then
 * STALLED_CALL_BUDGET_MS for the failure's audit record; CHAIN_RPC_TIMEOUT_MS for the chain),
 * and the local gateway and emulated environment on a shared 2-core machine add some tenths.
 * Without the budgets each of these requests waits until the gateway's uncoded 503 at 29 s.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { rateLimitSubject } from '../../functions/commons/domain/policy';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { expectServiceError, pollUntil, type HttpResult } from './fault-helpers';
import { issue, signRounds } from './helpers';

jest.setTimeout(300_000);

const ROLE_PATTERN = 'arn:aws:sts::000000000000:assumed-role/scale-*';
const session = (role: string, name: string) => `arn:aws:sts::000000000000:assumed-role/${role}/${name}`;
/** What the issue asks (3 s), plus what the local gateway and a loaded machine add: see the header. */
const STALL_BOUND_MS = 3_500;

interface CallerEntry {
  principal: string;
  [k: string]: unknown;
}

describe('scale: scopes per role, and fail-fast on stalled dependencies', () => {
  let stack: LocalStack;

  const expectIssued = (r: HttpResult, source?: 'cache' | 'nodes') => {
    if (r.status !== 200) throw new Error(`expected 200, got ${r.status} ${r.text.slice(0, 300)}`);
    if (source) expect(r.body.walletSigSource).toBe(source);
  };
  const timedIssue = async (caller: string) => {
    const t0 = performance.now();
    const r = await issue(stack, caller);
    return { r, ms: performance.now() - t0 };
  };
  /** Bounded retries after a stall ends (attempts, not time). */
  const recovers = async (caller: string) => {
    const tries = await pollUntil(
      () => issue(stack, caller),
      (r) => r.status === 200,
      10,
      500,
    );
    expectIssued(tries[tries.length - 1]);
  };

  beforeAll(async () => {
    stack = await startLocalStack({
      refreshEveryMs: 0,
      // One environment, so "warm" and "cold" below are exactly the environment the test made so.
      maxEnvironmentsPerFunction: 1,
      configure: (config, ctx) => {
        const cfg = config as unknown as { policy: { callers: CallerEntry[] } };
        const app = cfg.policy.callers.find((c) => c.principal === ctx.callers.app)!;
        return { ...cfg, policy: { ...cfg.policy, callers: [...cfg.policy.callers, { ...app, principal: ROLE_PATTERN }] } } as unknown as typeof config;
      },
    });
  });

  afterEach(async () => {
    if (!stack) return;
    stack.dynamodb.resume();
    await stack.secrets.setFault(null);
    try {
      process.kill(stack.devnet.chain.pid, 'SIGCONT');
    } catch {
      // not stopped
    }
  });

  afterAll(async () => stack?.stop());

  it('two sessions of one role share a scope: one node round, one stored scope; another role never shares it', async () => {
    const before = signRounds(stack);
    expectIssued(await issue(stack, session('scale-a', 'i-0001')), 'nodes');
    const oneRound = signRounds(stack) - before;
    expect(oneRound).toBeGreaterThan(0);

    // A new session of the same role (what a caller's new Lambda environment is): the role's wallet sig.
    expectIssued(await issue(stack, session('scale-a', 'i-0002')), 'cache');
    expect(signRounds(stack) - before).toBe(oneRound);

    // Another role, same PKP: its own scope and its own node round.
    expectIssued(await issue(stack, session('scale-b', 'i-0001')), 'nodes');
    expect(signRounds(stack) - before).toBe(2 * oneRound);

    const items = (await stack.dynamodb.client.send(new ScanCommand({ TableName: stack.dynamodb.tableName }))).Items ?? [];
    const scopeCallers = items.filter((i) => i.pk.S!.startsWith('SCOPE#')).map((i) => i.caller?.S);
    expect(scopeCallers.filter((c) => c === rateLimitSubject(session('scale-a', 'x')))).toHaveLength(1);
    expect(scopeCallers.filter((c) => c === rateLimitSubject(session('scale-b', 'x')))).toHaveLength(1);
    expect(scopeCallers.some((c) => c?.includes('/i-000'))).toBe(false); // no scope per session
  });

  it('DynamoDB stalled (SIGSTOP): 503 STORAGE_UNAVAILABLE with Retry-After within the bound; resumed: issues again', async () => {
    const caller = session('scale-a', 'ddb');
    expectIssued(await issue(stack, caller));
    stack.dynamodb.pause();
    const { r, ms } = await timedIssue(caller);
    expectServiceError(r, { status: 503, code: 'STORAGE_UNAVAILABLE' });
    expect(ms).toBeLessThan(STALL_BOUND_MS);
    stack.dynamodb.resume();
    await recovers(caller);
  });

  it('Secrets Manager stalled (requests never answered): a cold environment answers 503 OWNER_KEY_UNAVAILABLE within the bound; cleared: issues again', async () => {
    const caller = session('scale-a', 'sm');
    // A cold environment (the owner key is not cached), started first on a fast failure so the
    // timing below is the stall's, not the environment's start.
    await stack.functions.recycle('IssueSessionSigs');
    await stack.secrets.setFault('unavailable');
    expectServiceError(await issue(stack, caller), { status: 503, code: 'OWNER_KEY_UNAVAILABLE' });

    await stack.secrets.setFault('stall');
    const { r, ms } = await timedIssue(caller);
    expectServiceError(r, { status: 503, code: 'OWNER_KEY_UNAVAILABLE' });
    expect(ms).toBeLessThan(STALL_BOUND_MS);
    await stack.secrets.setFault(null);
    await recovers(caller);
  });

  it('chain RPC stalled (anvil SIGSTOP): a connected environment keeps issuing; a new one, unable to connect, answers 503 CHAIN_UNAVAILABLE within the bound; resumed: issues again', async () => {
    const caller = session('scale-a', 'chain');
    expectIssued(await issue(stack, caller));
    process.kill(stack.devnet.chain.pid, 'SIGSTOP');
    // A repeat needs no chain: the environment is connected and the role's wallet sig is cached.
    expectIssued(await issue(stack, caller), 'cache');

    // A new environment: its start (the SDK's load, a connect begun at init) is not the stall's
    // cost, so the first request starts it and the second is timed: it must connect, and cannot.
    await stack.functions.recycle('IssueSessionSigs');
    expectServiceError(await issue(stack, caller), { status: 503, code: 'CHAIN_UNAVAILABLE' });
    const { r, ms } = await timedIssue(caller);
    expectServiceError(r, { status: 503, code: 'CHAIN_UNAVAILABLE' });
    expect(ms).toBeLessThan(STALL_BOUND_MS);
    process.kill(stack.devnet.chain.pid, 'SIGCONT');
    await recovers(caller);
  });
});
