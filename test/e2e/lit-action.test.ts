/**
 * Custom Lit Action authentication end to end over HTTP: the local stack (`npm start`'s code) on
 * a devnet whose nodes run the action in their sandbox, as LIT-Protocol/Node does. The example
 * action `npm start` permits (local/lit-actions/allowlist.js) passes for users on its list and
 * refuses others; actions that throw, loop or are not permitted for the PKP are refused with
 * stable codes; the caller policy refuses CIDs and inline code it does not allow before any node
 * round; two actions or two jsParams never share a wallet sig; audit names the CID, never jsParams.
 */
import * as fs from 'node:fs';
import { litActionCid } from '../../devnet';
import { signWithSessionSigs } from '../../local/demo';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { auditRecords, expectServiceError, expectStatus, issue, request, signRounds, withCallers, type HttpResult } from './helpers';

jest.setTimeout(300_000);

/** May send inline code, among the CIDs below. */
const INLINE = 'arn:aws:iam::000000000000:user/local-inline';
/** Has no litActions entry: every action refused. */
const PLAIN = 'arn:aws:iam::000000000000:user/local-plain';

const b64 = (code: string): string => Buffer.from(code, 'utf8').toString('base64');
const THROWS = '(async () => { throw new Error("token expired: " + token) })();';
const LOOPS = 'while (true) {}';
const NOT_PERMITTED = 'Lit.Actions.setResponse({ response: "true" }); // never permitted for the PKP';
/** A second permitted action (served and permitted through the stack's `litActions`, as `--lit-action` does). */
const SECOND = 'Lit.Actions.setResponse({ response: JSON.stringify(user === "alice") }); // a second action';
const ACTION_TIMEOUT_MS = 1_500;

/** The wallet sig (the network's LIT_BLS capability) a set of session sigs carries. */
function walletSigOf(res: HttpResult): string {
  const first = Object.values(res.body.sessionSigs as Record<string, { signedMessage: string }>)[0];
  const caps = (JSON.parse(first.signedMessage) as { capabilities: { sig: string; algo?: string }[] }).capabilities;
  return caps.find((c) => c.algo === 'LIT_BLS')!.sig;
}

describe('Lit Action authentication over HTTP', () => {
  let stack: LocalStack;
  let example: { cid: string; code: string };
  const startedAt = Date.now();
  const byCid = (user: string, cid = example.cid) => ({ litActionIpfsId: cid, jsParams: { user } });

  beforeAll(async () => {
    const code = fs.readFileSync(require.resolve('../../local/lit-actions/allowlist.js'), 'utf8');
    const inlineCids = await Promise.all([code, THROWS, LOOPS, NOT_PERMITTED, SECOND].map((c) => litActionCid(c)));
    stack = await startLocalStack({
      devnet: { litActionLimits: { timeoutMs: ACTION_TIMEOUT_MS } },
      litActions: [SECOND],
      configure: (config, ctx) =>
        withCallers(config as never, ctx.callers.app, [
          { principal: INLINE, litActions: { allowedCids: inlineCids, allowInlineCode: true } },
          { principal: PLAIN, litActions: undefined },
        ]),
    });
    example = { cid: stack.exampleLitAction.cid, code };
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('npm start serves the example action by its CID, permitted for its PKP, and allowed for its app caller', async () => {
    expect(example.cid).toBe(await litActionCid(example.code));
    expect(await stack.devnet.controls.registerLitAction(example.code)).toBe(example.cid);
    expect(stack.litActionCurls()?.accepted).toContain(`"litActionIpfsId":"${example.cid}","jsParams":{"user":"alice"}`);
  });

  it('an action that answers true issues sigs in one node round, and pkpSign accepts them', async () => {
    const before = signRounds(stack);
    const res = await issue(stack, stack.callers.app, stack.pkp, byCid('alice'));
    expectStatus(res, 200);
    expect(signRounds(stack) - before).toBe(stack.devnet.nodes.length);
    const signed = await signWithSessionSigs(stack.info().devnet, stack.pkp.publicKey, res.body.sessionSigs);
    expect(signed.recoveredAddress).toBe(stack.pkp.ethAddress);
  });

  it('an action that answers false is refused: 403 LIT_ACTION_DENIED, and no sigs', async () => {
    const res = await issue(stack, stack.callers.app, stack.pkp, byCid('mallory'));
    expectServiceError(res, 403, 'LIT_ACTION_DENIED');
    expect(res.body.sessionSigs).toBeUndefined();
  });

  it('an action that throws is 422 LIT_ACTION_FAILED (threw), without its error text or jsParams', async () => {
    const res = await issue(stack, INLINE, stack.pkp, { litActionCode: b64(THROWS), jsParams: { token: 'tok-secret-123' } });
    expectServiceError(res, 422, 'LIT_ACTION_FAILED');
    expect(res.body.error.details).toMatchObject({ reason: 'threw' });
    expect(res.text).not.toContain('token expired');
    expect(res.text).not.toContain('tok-secret-123');
  });

  it('an action that loops is stopped by the nodes at their time limit: 422 LIT_ACTION_FAILED (timeout)', async () => {
    const res = await issue(stack, INLINE, stack.pkp, { litActionCode: b64(LOOPS), jsParams: {} });
    expectServiceError(res, 422, 'LIT_ACTION_FAILED');
    expect(res.body.error.details).toMatchObject({ reason: 'timeout' });
  });

  it('an action the PKP does not permit is refused by the nodes even though it answers true (NodeAuthSigScopeTooLimited)', async () => {
    const res = await issue(stack, INLINE, stack.pkp, { litActionCode: b64(NOT_PERMITTED), jsParams: {} });
    expectServiceError(res, 502, 'LIT_NODE_ERROR');
    expect(res.body.error.details).toMatchObject({ errorCode: 'NodeAuthSigScopeTooLimited' });
  });

  it("the policy refuses, before any node round: a CID outside the caller's list, inline code the caller may not send, any action for a caller without litActions", async () => {
    const before = signRounds(stack);
    const otherCid = await litActionCid('Lit.Actions.setResponse({ response: "true" }); // not in the policy');
    expectServiceError(await issue(stack, stack.callers.app, stack.pkp, byCid('alice', otherCid)), 403, 'LIT_ACTION_NOT_ALLOWED');
    expectServiceError(
      await issue(stack, stack.callers.app, stack.pkp, { litActionCode: b64(example.code), jsParams: { user: 'alice' } }),
      403,
      'LIT_ACTION_NOT_ALLOWED',
    );
    expectServiceError(await issue(stack, PLAIN, stack.pkp, byCid('alice')), 403, 'LIT_ACTION_NOT_ALLOWED');
    expect(signRounds(stack)).toBe(before);
  });

  it('two jsParams or two actions never share a wallet sig; the same action and jsParams reuse theirs (no round)', async () => {
    const alice = await issue(stack, INLINE, stack.pkp, byCid('alice'));
    const bob = await issue(stack, INLINE, stack.pkp, byCid('bob'));
    expectStatus(alice, 200);
    expectStatus(bob, 200);
    expect(walletSigOf(bob)).not.toBe(walletSigOf(alice));
    // Another action with the same jsParams: another scope, its own node round.
    const [secondCid] = stack.litActionCids;
    const rounds = signRounds(stack);
    const second = await issue(stack, INLINE, stack.pkp, byCid('alice', secondCid));
    expectStatus(second, 200);
    expect(signRounds(stack)).toBeGreaterThan(rounds);
    expect(walletSigOf(second)).not.toBe(walletSigOf(alice));
    // Inline code is the same action as its CID: same scope, no new round.
    const before = signRounds(stack);
    const inline = await issue(stack, INLINE, stack.pkp, { litActionCode: b64(example.code), jsParams: { user: 'alice' } });
    expectStatus(inline, 200);
    expect(walletSigOf(inline)).toBe(walletSigOf(alice));
    expect(signRounds(stack)).toBe(before);
    // The owner's auth (no action) is another scope again.
    const owner = await issue(stack, INLINE, stack.pkp);
    expectStatus(owner, 200);
    expect(walletSigOf(owner)).not.toBe(walletSigOf(alice));
  });

  it("audit records name the action's CID and whether it was inline, never a jsParams value", async () => {
    const records = await auditRecords(stack, startedAt);
    const withAction = records.filter((r) => r.litActionCid !== undefined);
    expect(withAction.map((r) => r.litActionCid)).toEqual(expect.arrayContaining([example.cid, await litActionCid(THROWS)]));
    expect(withAction.some((r) => r.litActionInline === true)).toBe(true);
    expect(JSON.stringify(records)).not.toMatch(/alice|mallory|tok-secret-123/);
    const denied = withAction.find((r) => r.errorCode === 'LIT_ACTION_DENIED');
    expect(denied?.litActionCid).toBe(example.cid);
  });

  it('while every node runs a looping action, the nodes still answer others: the sandbox runs off their event loop', async () => {
    const looping = issue(stack, INLINE, stack.pkp, { litActionCode: b64(LOOPS), jsParams: { n: 2 } });
    await new Promise((r) => setTimeout(r, ACTION_TIMEOUT_MS / 3));
    const other = await issue(stack, stack.callers.app, stack.pkp, byCid('alice')); // its own action run (or cache hit) meanwhile
    expectStatus(other, 200);
    const health = await request(stack, 'GET', '/health?deep=true', { caller: stack.callers.admin });
    expect(health.status).toBe(200);
    expectServiceError(await looping, 422, 'LIT_ACTION_FAILED');
  });
});
