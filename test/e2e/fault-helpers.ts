/**
 * Shared pieces of the end-to-end fault tests (test/e2e/fault*.test.ts): a policy entry that gives
 * every test a fresh session scope on demand, the issue request, the error-body checks every
 * failure must pass, and a bounded poll. Nothing here mocks a part: faults come from the devnet's
 * controls and the local stand-ins.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { LocalStack } from '../../local/stack';
import { issue, issueBody, STACK_TRACE, type HttpResult } from './helpers';

/**
 * Callers matching this pattern get the app caller's rights. A session scope is (PKP, caller,
 * auth identity), so a new caller ARN means a scope with no cached wallet sig: its first issuance
 * must make a `sign_session_key` round through the nodes, which is what a node fault can break.
 */
export const FAULT_CALLER_PATTERN = 'arn:aws:iam::000000000000:user/fault-*';

let callerSeq = 0;
/** A caller ARN never used before in this process (a fresh session scope for any PKP). */
export function freshCaller(label = 'c'): string {
  callerSeq += 1;
  return FAULT_CALLER_PATTERN.replace('*', `${label}-${callerSeq}-${process.pid}`);
}

interface CallerEntry {
  principal: string;
  [k: string]: unknown;
}

/**
 * `configure` for startLocalStack: adds FAULT_CALLER_PATTERN with the app caller's policy (same
 * PKPs, abilities and limits). Typed loosely on purpose: it only copies the app entry.
 */
export function withFaultCallers<C>(config: C, ctx: { callers: { app: string } }): C {
  const cfg = config as unknown as { policy: { callers: CallerEntry[] } };
  const app = cfg.policy.callers.find((c) => c.principal === ctx.callers.app);
  if (!app) throw new Error(`the bootstrap policy has no entry for the app caller ${ctx.callers.app}`);
  const entry: CallerEntry = { ...app, principal: FAULT_CALLER_PATTERN };
  return { ...cfg, policy: { ...cfg.policy, callers: [...cfg.policy.callers, entry] } } as unknown as C;
}

// The request helpers are shared with the other end-to-end files.
export { issue, issueBody, type HttpResult };

/**
 * The checks every error response must pass: the status, JSON `{ error: { code, message,
 * requestId } }` with the expected code, no stack text, none of `secrets` (hex compared without
 * 0x and case), and Retry-After on 503/429.
 */
export function expectServiceError(res: HttpResult, expected: { status: number | number[]; code: string | string[] }, secrets: readonly string[] = []): void {
  const statuses = Array.isArray(expected.status) ? expected.status : [expected.status];
  const codes = Array.isArray(expected.code) ? expected.code : [expected.code];
  const summary = `${res.status} ${res.text.slice(0, 300)}`;
  if (!statuses.includes(res.status)) throw new Error(`expected status ${statuses.join('|')}, got ${summary}`);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body).toEqual({
    error: expect.objectContaining({ code: expect.any(String), message: expect.any(String), requestId: expect.any(String) }),
  });
  if (!codes.includes(res.body.error.code)) throw new Error(`expected code ${codes.join('|')}, got ${summary}`);
  expect(Object.keys(res.body)).toEqual(['error']);
  expect(Object.keys(res.body.error).sort()).toEqual(expect.arrayContaining(['code', 'message', 'requestId']));
  expect(Object.keys(res.body.error).every((k) => ['code', 'message', 'requestId', 'details'].includes(k))).toBe(true);
  expect(res.body.error.requestId.length).toBeGreaterThan(0);
  expect(res.text).not.toMatch(STACK_TRACE);
  expectNoSecrets(res.text, secrets);
  if (res.status === 503 || res.status === 429) expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
}

/** Fails naming the kind of secret (never its value) when any of `secrets` occurs in `text`. */
export function expectNoSecrets(text: string, secrets: readonly string[]): void {
  const haystack = text.toLowerCase();
  const leaked = secrets
    .map((s, i) => ({ i, needle: s.replace(/^0x/, '').toLowerCase().slice(0, 40) }))
    .filter(({ needle }) => needle.length >= 16 && haystack.includes(needle))
    .map(({ i }) => `secret #${i}`);
  expect(leaked).toEqual([]);
}

/**
 * Secret material the stack holds right now: the owner key, the session secret keys and wallet
 * sigs of every stored scope, the delegation auth sig. (Gathered from the table, as an operator
 * with table access could.)
 */
export async function storedSecrets(stack: LocalStack): Promise<string[]> {
  const secrets = [stack.devnet.ownerWallet.privateKey];
  const items = (await stack.dynamodb.client.send(new ScanCommand({ TableName: stack.dynamodb.tableName }))).Items ?? [];
  for (const item of items) {
    const entries = item.entries?.M ?? {};
    const sessionKey = entries['lit-session-key']?.S;
    const walletSig = entries['lit-wallet-sig']?.S;
    if (sessionKey) secrets.push(JSON.parse(sessionKey).secretKey);
    if (walletSig) {
      const sig = JSON.parse(walletSig).sig as string;
      secrets.push(sig);
      if (/ProofOfPossession/.test(sig)) secrets.push(JSON.parse(sig).ProofOfPossession);
    }
    if (item.authSig?.M?.sig?.S) secrets.push(item.authSig.M.sig.S);
  }
  return secrets;
}

/** Every node up with no latency and no injected errors (what each fault test leaves behind). */
export async function restoreNodes(stack: LocalStack): Promise<void> {
  for (const n of stack.devnet.nodes) {
    await stack.devnet.controls.setNodeDown(n.index, false);
    stack.devnet.controls.setFaults(n.index, { latencyMs: 0, errorRate: 0 });
  }
}

/** `sign_session_key` requests each node has received so far. */
export function signRounds(stack: LocalStack): number[] {
  return stack.devnet.nodes.map((n) => stack.devnet.controls.counts(n.index).sign_session_key);
}

/**
 * Calls `attempt` until `done(result)` or `tries` attempts were made, pausing `pauseMs` between
 * them; returns every result (the last one is the one that counts). A bound on attempts, not a
 * timed assertion.
 */
export async function pollUntil<T>(attempt: () => Promise<T>, done: (r: T) => boolean, tries: number, pauseMs: number): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < tries; i++) {
    const r = await attempt();
    results.push(r);
    if (done(r)) break;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  return results;
}
