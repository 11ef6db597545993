/**
 * The caller policy over HTTP: every refusal path with its status and stable code, the emulated
 * IAM authorizer's own refusal, expiry clamping, and the per-caller rate limit (429, then
 * recovery in the next window). Refusals reach no Lit node and are audited as refused.
 *
 * The rate limiter's window is the UTC minute and its clock is the function's Date.now (in the
 * function's worker): it is not mocked. The file exhausts a limit in its first test and checks
 * recovery in its last, waiting only for what is left of that minute (at most ~60 s, less the
 * time the tests in between take).
 */
import { ethers } from 'ethers';
import { signWithSessionSigs } from '../../local/demo';
import { startLocalStack, type LocalPkp, type LocalStack } from '../../local/stack';
import {
  auditRecords,
  expectGatewayError,
  expectIssuedFor,
  expectServiceError,
  expectStatus,
  issue,
  issueBody,
  minuteOf,
  request,
  signRounds,
  sleepUntil,
  withCallers,
  type HttpResult,
} from './helpers';

jest.setTimeout(300_000);

const NARROW = 'arn:aws:iam::000000000000:user/local-narrow';
const CLAMPED = 'arn:aws:iam::000000000000:user/local-clamped';
const LIMITED = 'arn:aws:iam::000000000000:user/local-limited';
/** Only PKP A, but may ask for `*` resources. */
const WILD_A = 'arn:aws:iam::000000000000:user/local-wild-a';
const STRANGER = 'arn:aws:iam::000000000000:user/mallory';
const LIMIT = 2;
const NARROW_MAX_SECONDS = 600;

describe('the caller policy over HTTP', () => {
  let stack: LocalStack;
  let pkpA: LocalPkp;
  let pkpB: LocalPkp;
  let app: string;
  let admin: string;
  const startedAt = Date.now();
  /** Request ids of refusals, with the code each must be audited with. */
  const refusals: { requestId: string; code: string }[] = [];
  /** The UTC minute LIMITED was rate limited in. */
  let limitedWindow = 0;

  /** An expected refusal; `issueAttempt`: a POST /session-sigs, which must leave an audit record. */
  const refused = (res: HttpResult, status: number, code: string, issueAttempt = true) => {
    expectServiceError(res, status, code);
    if (issueAttempt) refusals.push({ requestId: res.body.error.requestId, code });
  };
  const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();

  beforeAll(async () => {
    stack = await startLocalStack({
      pkpCount: 2,
      refreshEveryMs: 0,
      devnet: { nodeCount: 3, threshold: 2, blockTimeMs: 1000 },
      configure: (config, ctx) =>
        withCallers(config, ctx.callers.app, [
          // Only PKP A, only pkp-signing, by id; no wildcard, no own auth methods, short lifetimes, refused above.
          {
            principal: NARROW,
            pkps: [ctx.pkps[0].publicKey],
            abilities: [{ resource: 'pkp', ability: 'pkp-signing' }],
            allowWildcardResources: false,
            allowCallerAuthMethods: false,
            maxExpirationSeconds: NARROW_MAX_SECONDS,
            overMaxExpiration: 'refuse',
          },
          { principal: CLAMPED, maxExpirationSeconds: NARROW_MAX_SECONDS, overMaxExpiration: 'clamp' },
          { principal: LIMITED, rateLimitPerMinute: LIMIT },
          { principal: WILD_A, pkps: [ctx.pkps[0].publicKey], abilities: [{ resource: 'pkp', ability: 'pkp-signing' }], allowWildcardResources: true },
        ]),
    });
    [pkpA, pkpB] = stack.pkps;
    ({ app, admin } = stack.callers);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it(`rate limit: ${LIMIT} per minute, then 429 RATE_LIMITED with Retry-After; other callers unaffected`, async () => {
    // All of LIMITED's requests must fall in one UTC minute: do not start in its last 15 s.
    if (Date.now() % 60_000 > 45_000) await sleepUntil((minuteOf(Date.now()) + 1) * 60_000 + 200);
    for (let i = 0; i < LIMIT; i++) expectIssuedFor(stack, await issue(stack, LIMITED, pkpA), pkpA);
    const rounds = signRounds(stack);
    const limited = await issue(stack, LIMITED, pkpA);
    limitedWindow = minuteOf(Date.now());
    refused(limited, 429, 'RATE_LIMITED');
    expect(limited.body.error.details).toMatchObject({ limitPerMinute: LIMIT });
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Retry-After points at the next window (within a second of rounding and request time).
    expect(Date.now() + retryAfter * 1000).toBeGreaterThanOrEqual((limitedWindow + 1) * 60_000 - 2_000);
    expect(signRounds(stack)).toBe(rounds);
    // The limit is per caller: the app caller still gets sigs in this minute.
    expectIssuedFor(stack, await issue(stack, app, pkpA), pkpA);
  });

  it("per-PKP policy holds on Lit's rules: a caller limited to PKP A asking for pkp '*' gets sigs that sign with A and are refused for B", async () => {
    // On a real node a session is not bound to its PKP: lit-pkp://* sigs would sign with any PKP the
    // owner holds (test/devnet/sdk-session-sigs.test.ts shows it). The service names A's token id instead.
    const r = await issue(stack, WILD_A, pkpA);
    expectIssuedFor(stack, r, pkpA);
    const granted = Object.values(r.body.sessionSigs as Record<string, { signedMessage: string }>).map((s) =>
      (JSON.parse(s.signedMessage) as { resourceAbilityRequests: { resource: { resource: string } }[] }).resourceAbilityRequests.map(
        (q) => q.resource.resource,
      ),
    );
    expect(new Set(granted.flat())).toEqual(new Set([ethers.utils.keccak256(pkpA.publicKey).slice(2)]));
    const signed = await signWithSessionSigs(stack.info().devnet, pkpA.publicKey, r.body.sessionSigs, 'wild-a signs with A');
    expect(signed.recoveredAddress).toBe(ethers.utils.getAddress(pkpA.ethAddress));
    await expect(signWithSessionSigs(stack.info().devnet, pkpB.publicKey, r.body.sessionSigs, 'wild-a tries B')).rejects.toThrow(/NodeResourceIdNotFound/);
  });

  it('a caller not in the policy: 403 CALLER_NOT_ALLOWED on every route', async () => {
    refused(await issue(stack, STRANGER, pkpA), 403, 'CALLER_NOT_ALLOWED');
    refused(await request(stack, 'POST', '/delegation/refresh', { caller: STRANGER }), 403, 'CALLER_NOT_ALLOWED', false);
    refused(await request(stack, 'GET', '/pkps', { caller: STRANGER }), 403, 'CALLER_NOT_ALLOWED', false);
    refused(await request(stack, 'POST', '/pkps', { caller: STRANGER }), 403, 'CALLER_NOT_ALLOWED', false);
  });

  it("a PKP outside the caller's list: 403 PKP_NOT_ALLOWED (another policy PKP, an unknown key, and the admin who has none)", async () => {
    refused(await request(stack, 'POST', '/session-sigs', { caller: NARROW, body: issueBody(pkpB, pkpB.tokenId) }), 403, 'PKP_NOT_ALLOWED');
    const unknownKey = ethers.utils.computePublicKey(ethers.utils.randomBytes(32)); // 0x04 + 128 hex: valid, but nobody's PKP here
    refused(await request(stack, 'POST', '/session-sigs', { caller: app, body: issueBody({ publicKey: unknownKey }) }), 403, 'PKP_NOT_ALLOWED');
    refused(await issue(stack, admin, pkpA), 403, 'PKP_NOT_ALLOWED');
  });

  it('an ability the caller is not granted: 403 ABILITY_NOT_ALLOWED naming it', async () => {
    const body = {
      pkpPublicKey: pkpA.publicKey,
      resourceAbilityRequests: [
        { resource: { kind: 'pkp', id: pkpA.tokenId }, ability: 'pkp-signing' },
        { resource: { kind: 'lit-action', id: 'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG' }, ability: 'lit-action-execution' },
      ],
    };
    const r = await request(stack, 'POST', '/session-sigs', { caller: NARROW, body });
    refused(r, 403, 'ABILITY_NOT_ALLOWED');
    expect(r.body.error.details).toEqual({ resource: 'lit-action', ability: 'lit-action-execution' });
  });

  it("'*' for a caller without wildcard rights: 403 WILDCARD_NOT_ALLOWED; the same request by token id is issued", async () => {
    refused(await request(stack, 'POST', '/session-sigs', { caller: NARROW, body: issueBody(pkpA, '*') }), 403, 'WILDCARD_NOT_ALLOWED');
    expectIssuedFor(stack, await request(stack, 'POST', '/session-sigs', { caller: NARROW, body: issueBody(pkpA, pkpA.tokenId) }), pkpA);
  });

  it('caller-supplied authMethods without the right: 403 AUTH_METHODS_NOT_ALLOWED', async () => {
    const body = {
      ...issueBody(pkpA, pkpA.tokenId),
      authMethods: [{ authMethodType: 1, accessToken: '{"sig":"0x00","derivedVia":"web3.eth.personal.sign","signedMessage":"x","address":"0x0"}' }],
    };
    refused(await request(stack, 'POST', '/session-sigs', { caller: NARROW, body }), 403, 'AUTH_METHODS_NOT_ALLOWED');
    // The app caller has no such right either (the bootstrap policy does not grant it).
    refused(await request(stack, 'POST', '/session-sigs', { caller: app, body }), 403, 'AUTH_METHODS_NOT_ALLOWED');
  });

  it(`expiration above the caller's maximum: 403 EXPIRATION_TOO_LONG when refusing; within it, issued as asked`, async () => {
    const tooLong = await request(stack, 'POST', '/session-sigs', {
      caller: NARROW,
      body: { ...issueBody(pkpA, pkpA.tokenId), expiration: inSeconds(2 * 3600) },
    });
    refused(tooLong, 403, 'EXPIRATION_TOO_LONG');
    expect(tooLong.body.error.details).toEqual({ maxExpirationSeconds: NARROW_MAX_SECONDS });

    const asked = new Date(Math.floor((Date.now() + 300_000) / 1000) * 1000).toISOString();
    const ok = await request(stack, 'POST', '/session-sigs', { caller: NARROW, body: { ...issueBody(pkpA, pkpA.tokenId), expiration: asked } });
    expectIssuedFor(stack, ok, pkpA);
    expect(ok.body).toMatchObject({ expirationClamped: false });
    expect(Date.parse(ok.body.expiresAt)).toBe(Date.parse(asked));
  });

  it("expiration above the maximum for a 'clamp' caller: issued, shortened to the maximum, and flagged", async () => {
    const before = Date.now();
    const r = await request(stack, 'POST', '/session-sigs', { caller: CLAMPED, body: { ...issueBody(pkpA), expiration: inSeconds(2 * 3600) } });
    const after = Date.now();
    expectIssuedFor(stack, r, pkpA);
    expect(r.body.expirationClamped).toBe(true);
    const expires = Date.parse(r.body.expiresAt);
    expect(expires).toBeGreaterThanOrEqual(before + NARROW_MAX_SECONDS * 1000 - 1_000);
    expect(expires).toBeLessThanOrEqual(after + NARROW_MAX_SECONDS * 1000 + 1_000);
    // The session sigs themselves carry the shortened expiry.
    for (const s of Object.values(r.body.sessionSigs) as { signedMessage: string }[]) {
      expect(Math.abs(Date.parse(JSON.parse(s.signedMessage).expiration) - expires)).toBeLessThanOrEqual(1_000);
    }
  });

  it('admin routes for a non-admin caller: 403 ADMIN_REQUIRED; the admin gets them', async () => {
    const refresh = await request(stack, 'POST', '/delegation/refresh', { caller: app });
    refused(refresh, 403, 'ADMIN_REQUIRED', false);
    refused(await request(stack, 'GET', '/pkps', { caller: app }), 403, 'ADMIN_REQUIRED', false);
    const mint = await request(stack, 'POST', '/pkps', { caller: NARROW });
    refused(mint, 403, 'ADMIN_REQUIRED', false);
    // The routes that audit every attempt audit these refusals too (the wrapper refuses before the route runs).
    const audited = new Map((await auditRecords(stack, startedAt)).map((r) => [r.requestId, `${r.action}:${r.outcome}:${r.errorCode}`]));
    expect([audited.get(refresh.body.error.requestId), audited.get(mint.body.error.requestId)]).toEqual([
      'refresh-delegation:refused:ADMIN_REQUIRED',
      'mint-pkp:refused:ADMIN_REQUIRED',
    ]);

    const listed = await request(stack, 'GET', '/pkps', { caller: admin });
    expectStatus(listed, 200);
    const inPolicy = new Map((listed.body.pkps as { publicKey: string; inPolicy: boolean }[]).map((p) => [p.publicKey.toLowerCase(), p.inPolicy]));
    expect(inPolicy.get(pkpA.publicKey.toLowerCase())).toBe(true);
    expect(inPolicy.get(pkpB.publicKey.toLowerCase())).toBe(true);
    const refreshed = await request(stack, 'POST', '/delegation/refresh', { caller: admin, body: { force: false } });
    expectStatus(refreshed, 200);
    expect(refreshed.body.outcome).toBe('still-valid');
  });

  it('unsigned requests: the IAM authorizer answers 403 {"message":"Forbidden"} on every route and no function runs', async () => {
    const routes: ['GET' | 'POST', string, string][] = [
      ['POST', '/session-sigs', 'IssueSessionSigs'],
      ['GET', '/delegation', 'GetDelegation'],
      ['POST', '/delegation/refresh', 'RefreshDelegation'],
      ['GET', '/pkps', 'ListPkps'],
      ['POST', '/pkps', 'MintPkp'],
      ['GET', '/health', 'Health'],
    ];
    for (const [method, path, id] of routes) {
      const before = stack.functions.invocations(id);
      const r = await request(stack, method, path, { caller: 'none', ...(method === 'POST' ? { body: issueBody(pkpA) } : {}) });
      expectGatewayError(r, 403, 'Forbidden');
      expect(stack.functions.invocations(id)).toBe(before);
    }
  });

  it('routes the API does not have: 404 {"message":"Not Found"}', async () => {
    expectGatewayError(await request(stack, 'GET', '/session-sigs', { caller: app }), 404, 'Not Found');
    expectGatewayError(await request(stack, 'POST', '/session-sigs/extra', { caller: app, body: issueBody(pkpA) }), 404, 'Not Found');
    expectGatewayError(await request(stack, 'GET', '/', { caller: app }), 404, 'Not Found');
  });

  it('every refusal is audited as refused with its code, and none reached a Lit node', async () => {
    const records = await auditRecords(stack, startedAt);
    const byId = new Map(records.map((r) => [r.requestId, r]));
    expect(refusals.length).toBe(10);
    for (const r of refusals) expect(byId.get(r.requestId)).toMatchObject({ outcome: 'refused', errorCode: r.code });
    // No refused request ever produced a wallet sig: the only node rounds are the issued requests'.
    const issuedThroughNodes = records.filter((r) => r.outcome === 'issued' && r.walletSigSource === 'nodes').length;
    expect(signRounds(stack)).toBe(issuedThroughNodes * stack.devnet.nodes.length);
  });

  it('rate limit recovers in the next window', async () => {
    expect(limitedWindow).toBeGreaterThan(0);
    // Wait out what is left of the limited minute (the machine clock every part shares).
    await sleepUntil((limitedWindow + 1) * 60_000 + 500);
    const r = await issue(stack, LIMITED, pkpA);
    expectIssuedFor(stack, r, pkpA);
    expect(r.body.walletSigSource).toBe('cache');
  });
});
