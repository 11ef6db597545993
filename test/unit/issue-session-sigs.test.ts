import { ethers } from 'ethers';
import { issueSessionSigs, type IssueDeps } from '../../functions/commons/domain/issue-session-sigs';
import { ServiceError } from '../../functions/commons/errors';
import { METRIC } from '../../functions/commons/metric-names';
import { scopedIssuer, SDK_STORAGE_KEYS } from '../../functions/commons/session-storage';
import {
  CALLER,
  DELEGATION_SIG,
  MemoryAuditLog,
  MemoryDelegationStore,
  MemoryRateLimiter,
  MemoryScopeStore,
  OWNER,
  PKP_A,
  PKP_B,
  RecordingLogger,
  RecordingMetrics,
  SdkLikeIssuer,
  callerPolicy,
  delegationRecord,
  runtimeConfig,
} from './fakes';

function setup(callers = [callerPolicy()]) {
  const sdk = new SdkLikeIssuer();
  const sessionScopes = new MemoryScopeStore();
  const deps = {
    config: runtimeConfig(callers),
    delegations: new MemoryDelegationStore(),
    rateLimiter: new MemoryRateLimiter(),
    auditLog: new MemoryAuditLog(),
    issuer: scopedIssuer(sdk, sessionScopes),
    ownerKey: async () => OWNER,
    metrics: new RecordingMetrics(),
    logger: new RecordingLogger(),
  };
  deps.delegations.record = delegationRecord();
  return { ...(deps satisfies IssueDeps), sdk, sessionScopes };
}

const body = (over: Record<string, unknown> = {}) => ({
  pkpPublicKey: PKP_A,
  resourceAbilityRequests: [{ resource: { kind: 'pkp', id: '*' }, ability: 'pkp-signing' }],
  ...over,
});
let n = 0;
const input = (b: unknown, caller = CALLER) => ({ requestId: `r${++n}`, caller, readBody: () => b, deadlineMs: Date.now() + 10_000 });

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ServiceError);
    return (e as ServiceError).code;
  }
  return 'ISSUED';
}

describe('issueSessionSigs', () => {
  it('issues with the current delegation and the owner identity, then serves the next request from the cached wallet sig', async () => {
    const d = setup();
    const first = await issueSessionSigs(d, input(body()));
    expect(first.walletSigSource).toBe('nodes');
    expect(first.sessionSigs).toHaveProperty(['http://127.0.0.1:1']);
    expect(d.sdk.calls[0]).toMatchObject({ pkpPublicKey: PKP_A, capabilityAuthSig: DELEGATION_SIG, authMethods: undefined, owner: OWNER });
    const second = await issueSessionSigs(d, input(body()));
    expect(second.walletSigSource).toBe('cache');
    expect(d.sdk.nodeRounds).toBe(1);
    expect(d.metrics.counts).toMatchObject({ [METRIC.sessionSigsIssued]: 2, [METRIC.walletSigNodeRound]: 1, [METRIC.walletSigCacheHit]: 1 });
    expect(d.auditLog.entries.map((e) => [e.outcome, e.walletSigSource])).toEqual([
      ['issued', 'nodes'],
      ['issued', 'cache'],
    ]);
    expect(new Date(first.delegationExpiresAt).getTime()).toBe(d.delegations.record!.expiresAt * 1000);
  });

  it('makes new wallet sigs last the caller maximum, so later requests asking later expiries still sign locally', async () => {
    const d = setup([callerPolicy({ maxExpirationSeconds: 3600 })]);
    await issueSessionSigs(d, input(body({ expiration: new Date(Date.now() + 120_000).toISOString() })));
    const until = d.sdk.calls[0].walletSigValidUntil!.getTime();
    expect(until).toBeGreaterThan(Date.now() + 3500_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 3600_000);
    const later = await issueSessionSigs(d, input(body({ expiration: new Date(Date.now() + 1800_000).toISOString() })));
    expect(later.walletSigSource).toBe('cache');
    expect(d.sdk.calls[1].expiration.getTime()).toBe(Date.parse(later.expiresAt));
    expect(d.sdk.nodeRounds).toBe(1);
  });

  it('keeps scopes apart per PKP, caller and auth identity', async () => {
    const d = setup([
      callerPolicy({ pkps: [PKP_A, PKP_B], allowCallerAuthMethods: true }),
      callerPolicy({ principal: 'arn:aws:iam::123456789012:role/other', pkps: [PKP_A] }),
    ]);
    d.delegations.record = delegationRecord({ delegatees: [ethers.utils.computeAddress(PKP_A), ethers.utils.computeAddress(PKP_B)] });
    await issueSessionSigs(d, input(body()));
    await issueSessionSigs(d, input(body({ pkpPublicKey: PKP_B })));
    await issueSessionSigs(d, input(body(), 'arn:aws:iam::123456789012:role/other'));
    await issueSessionSigs(d, input(body({ authMethods: [{ authMethodType: 6, accessToken: 'jwt-1' }] })));
    expect(d.sdk.nodeRounds).toBe(4);
    const identities = [...d.sessionScopes.items.keys()].map((k) => k.split('\0')[2]);
    expect(identities.filter((i) => i === `owner:${OWNER.address.toLowerCase()}`)).toHaveLength(3);
    const methods = identities.find((i) => i.startsWith('methods:'));
    expect(methods).toMatch(/^methods:[0-9a-f]{64}$/);
    expect(methods).not.toContain('jwt-1');
  });

  it('audits every refusal with its code and never stores secrets in the audit record', async () => {
    const d = setup();
    const refusals: Array<[unknown, string]> = [
      [{ nope: 1 }, 'INVALID_REQUEST'],
      [body({ pkpPublicKey: PKP_B }), 'PKP_NOT_ALLOWED'],
      [body({ authMethods: [{ authMethodType: 6, accessToken: 'SECRET-JWT' }] }), 'AUTH_METHODS_NOT_ALLOWED'],
    ];
    for (const [b, code] of refusals) expect(await codeOf(issueSessionSigs(d, input(b)))).toBe(code);
    expect(
      await codeOf(
        issueSessionSigs(d, {
          ...input(undefined),
          readBody: () => {
            throw new ServiceError('INVALID_JSON', 'bad');
          },
        }),
      ),
    ).toBe('INVALID_JSON');
    expect(d.auditLog.entries.map((e) => [e.outcome, e.errorCode])).toEqual([
      ['refused', 'INVALID_REQUEST'],
      ['refused', 'PKP_NOT_ALLOWED'],
      ['refused', 'AUTH_METHODS_NOT_ALLOWED'],
      ['refused', 'INVALID_JSON'],
    ]);
    expect(d.auditLog.entries[1]).toMatchObject({ caller: CALLER, pkpPublicKey: PKP_B, resources: ['pkp:*/pkp-signing'] });
    expect(JSON.stringify(d.auditLog.entries)).not.toContain('SECRET-JWT');
    expect(d.sdk.calls).toHaveLength(0);
    expect(d.metrics.counts[METRIC.issueFailed]).toBe(4);
  });

  it('never uses a missing, expired or nearly expired delegation (503 NO_VALID_DELEGATION)', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const record of [undefined, delegationRecord({ expiresAt: now - 10 }), delegationRecord({ expiresAt: now + 59 })]) {
      const d = setup();
      d.delegations.record = record;
      const err = await issueSessionSigs(d, input(body())).catch((e: ServiceError) => e);
      expect(err).toMatchObject({ code: 'NO_VALID_DELEGATION', status: 503 });
      expect(d.sdk.calls).toHaveLength(0);
      expect(d.auditLog.entries).toMatchObject([{ outcome: 'failed', errorCode: 'NO_VALID_DELEGATION' }]);
    }
    const ok = setup();
    ok.delegations.record = delegationRecord({ expiresAt: now + 120 });
    expect(await codeOf(issueSessionSigs(ok, input(body())))).toBe('ISSUED');
  });

  it('never uses a restricted delegation that does not name the PKP (503 NO_VALID_DELEGATION, no node call)', async () => {
    const d = setup([callerPolicy({ pkps: [PKP_A, PKP_B] })]);
    // The policy gained PKP_B after the stored delegation (PKP_A only) was made.
    const err = await issueSessionSigs(d, input(body({ pkpPublicKey: PKP_B }))).catch((e: ServiceError) => e);
    expect(err).toMatchObject({ code: 'NO_VALID_DELEGATION', status: 503 });
    expect(d.sdk.calls).toHaveLength(0);
    expect(d.auditLog.entries).toMatchObject([{ outcome: 'failed', errorCode: 'NO_VALID_DELEGATION', pkpPublicKey: PKP_B }]);
    // Named (in any case), or unrestricted: issued.
    d.delegations.record = delegationRecord({ delegatees: [ethers.utils.computeAddress(PKP_B).toLowerCase()] });
    expect(await codeOf(issueSessionSigs(d, input(body({ pkpPublicKey: PKP_B }))))).toBe('ISSUED');
    d.delegations.record = delegationRecord({ delegatees: 'unrestricted' });
    expect(await codeOf(issueSessionSigs(d, input(body({ pkpPublicKey: PKP_B }))))).toBe('ISSUED');
  });

  it('rate limits per caller with 429 and a retry hint', async () => {
    const d = setup([callerPolicy({ rateLimitPerMinute: 2 })]);
    // Pin the clock mid-window so all three calls share one minute.
    const t = Math.floor(Date.now() / 60_000) * 60_000 + 30_000;
    const deps = { ...d, now: () => t };
    await issueSessionSigs(deps, input(body()));
    await issueSessionSigs(deps, input(body()));
    const err = await issueSessionSigs(deps, input(body())).catch((e: ServiceError) => e);
    expect(err).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect((err as ServiceError).details?.retryAfterSeconds).toBe(30);
    expect(d.sdk.calls).toHaveLength(2);
    expect(d.auditLog.entries.map((e) => e.outcome)).toEqual(['issued', 'issued', 'refused']);
  });

  it('counts every session of an assumed role against one limit (a new session name does not reset it)', async () => {
    const role = 'arn:aws:sts::123456789012:assumed-role/app-backend';
    const d = setup([callerPolicy({ principal: `${role}/*`, rateLimitPerMinute: 2 })]);
    const t = Math.floor(Date.now() / 60_000) * 60_000 + 30_000;
    const deps = { ...d, now: () => t };
    expect(await codeOf(issueSessionSigs(deps, input(body(), `${role}/s1`)))).toBe('ISSUED');
    expect(await codeOf(issueSessionSigs(deps, input(body(), `${role}/s2`)))).toBe('ISSUED');
    expect(await codeOf(issueSessionSigs(deps, input(body(), `${role}/s3`)))).toBe('RATE_LIMITED');
    expect(d.sdk.calls).toHaveLength(2);
  });

  it('audits Lit failures as failed and writes nothing to the scope', async () => {
    const d = setup();
    d.sdk.fail = new ServiceError('LIT_NODE_ERROR', 'nodes refused', { details: { errorKind: 'Validation' } });
    expect(await codeOf(issueSessionSigs(d, input(body())))).toBe('LIT_NODE_ERROR');
    expect(d.auditLog.entries).toMatchObject([{ outcome: 'failed', errorCode: 'LIT_NODE_ERROR', pkpPublicKey: PKP_A }]);
    expect(d.sessionScopes.saves).toBe(0);
  });

  it('an owner key failure is a 503 and audited', async () => {
    const d = {
      ...setup(),
      ownerKey: async () => {
        throw new ServiceError('OWNER_KEY_UNAVAILABLE', 'no key');
      },
    };
    expect(await codeOf(issueSessionSigs(d, input(body())))).toBe('OWNER_KEY_UNAVAILABLE');
    expect((d.auditLog as MemoryAuditLog).entries).toMatchObject([{ outcome: 'failed', errorCode: 'OWNER_KEY_UNAVAILABLE' }]);
  });

  it('fails closed when the audit of an issuance cannot be written; a refusal keeps its own code', async () => {
    const d = setup();
    d.auditLog.failNext = true;
    expect(await codeOf(issueSessionSigs(d, input(body())))).toBe('STORAGE_UNAVAILABLE');
    d.auditLog.failNext = true;
    expect(await codeOf(issueSessionSigs(d, input(body({ pkpPublicKey: PKP_B }))))).toBe('PKP_NOT_ALLOWED');
    expect(d.logger.lines.join('\n')).toContain('audit record not written');
  });

  it('asks Lit for the effective (clamped) expiry and never reuses a wallet sig shorter than it', async () => {
    const d = setup([callerPolicy({ overMaxExpiration: 'clamp', maxExpirationSeconds: 3600 })]);
    const short = await issueSessionSigs(d, input(body({ expiration: new Date(Date.now() + 120_000).toISOString() })));
    expect(short.walletSigSource).toBe('nodes');
    const long = await issueSessionSigs(d, input(body({ expiration: new Date(Date.now() + 86_400_000).toISOString() })));
    expect(long.expirationClamped).toBe(true);
    expect(long.walletSigSource).toBe('nodes');
    const asked = d.sdk.calls[1].expiration.getTime();
    expect(asked).toBeLessThanOrEqual(Date.now() + 3600_000);
    expect(asked).toBeGreaterThan(Date.now() + 3500_000);
  });

  it('never issues session sigs that outlive the capacity delegation they carry: clamped to its expiry', async () => {
    const d = setup([callerPolicy({ maxExpirationSeconds: 3600 })]);
    const delegationEnds = Math.floor(Date.now() / 1000) + 600;
    d.delegations.record = delegationRecord({ expiresAt: delegationEnds });
    const r = await issueSessionSigs(d, input(body({ expiration: new Date(Date.now() + 1800_000).toISOString() })));
    expect(r.expirationClamped).toBe(true);
    expect(Date.parse(r.expiresAt)).toBe(delegationEnds * 1000);
    expect(d.sdk.calls[0].expiration.getTime()).toBe(delegationEnds * 1000);
    expect(d.auditLog.entries[0].expiration).toBe(new Date(delegationEnds * 1000).toISOString());
    // Within the delegation's life nothing changes.
    const inside = await issueSessionSigs(d, input(body({ expiration: new Date(Date.now() + 300_000).toISOString() })));
    expect(inside.expirationClamped).toBe(false);
  });
});

describe('issueSessionSigs with a Lit Action', () => {
  const CID_A = 'QmWLP9ojXrHJrFHnvMJv12HScFoz7R8kcYAECjtcpaJM2Y';
  const CID_B = 'QmNZQXmY2VijUPfNrkC6zWykBnEniDouAeUpFi9r6aaqNz';
  /** NO_AUTH_METHOD_SESSION_SIG_LIT_ACTION_CODE of the real node's tests, whose CID is CID_A. */
  const CODE_A = '\n    if (customAccessToken === \'lit\') {\n        LitActions.setResponse({response:"true"});\n    }\n';
  const allow = (litActions: { allowedCids: string[]; allowInlineCode: boolean }) => setup([callerPolicy({ litActions })]);
  const byCid = (cid: string, jsParams: Record<string, unknown> = { customAccessToken: 'SECRET-lit' }) => body({ litActionIpfsId: cid, jsParams });
  const inline = (code: string, jsParams: Record<string, unknown> = {}) => body({ litActionCode: Buffer.from(code).toString('base64'), jsParams });
  const identities = (d: ReturnType<typeof setup>) => [...d.sessionScopes.items.keys()].map((k) => k.split('\0')[2]);

  it('passes the action and its jsParams to Lit with no auth method, and audits its CID, never the jsParams', async () => {
    const d = allow({ allowedCids: [CID_A], allowInlineCode: false });
    const r = await issueSessionSigs(d, input(byCid(CID_A)));
    expect(r.walletSigSource).toBe('nodes');
    expect(d.sdk.calls[0].litAction).toEqual({ source: { kind: 'ipfs', ipfsId: CID_A }, jsParams: { customAccessToken: 'SECRET-lit' } });
    expect(d.sdk.calls[0].authMethods).toBeUndefined();
    expect(d.auditLog.entries).toMatchObject([{ outcome: 'issued', litActionCid: CID_A, litActionInline: false }]);
    expect(JSON.stringify(d.auditLog.entries) + d.logger.lines.join('\n')).not.toContain('SECRET-lit');
  });

  it('keys the scope by action CID and jsParams digest: the same pair reuses its wallet sig, another CID or other jsParams never do', async () => {
    const d = allow({ allowedCids: [CID_A, CID_B], allowInlineCode: false });
    expect((await issueSessionSigs(d, input(byCid(CID_A, { user: 'alice' })))).walletSigSource).toBe('nodes');
    expect((await issueSessionSigs(d, input(byCid(CID_A, { user: 'bob' })))).walletSigSource).toBe('nodes');
    expect((await issueSessionSigs(d, input(byCid(CID_B, { user: 'alice' })))).walletSigSource).toBe('nodes');
    expect(await issueSessionSigs(d, input(body()))).toMatchObject({ walletSigSource: 'nodes' }); // the owner's scope is apart too
    expect((await issueSessionSigs(d, input(byCid(CID_A, { user: 'alice' })))).walletSigSource).toBe('cache');
    expect(d.sdk.nodeRounds).toBe(4);
    const ids = identities(d);
    expect(ids).toHaveLength(4);
    expect(ids.filter((i) => i.startsWith(`action:${CID_A}:`))).toHaveLength(2);
    expect(ids.filter((i) => i.startsWith(`action:${CID_B}:`))).toHaveLength(1);
    expect(ids).toContain(`owner:${OWNER.address.toLowerCase()}`);
    expect(ids.join()).not.toMatch(/alice|bob/);
    // Each scope holds the wallet sig of its own node round.
    const sigs = [...d.sessionScopes.items.values()].map((v) => v.entries.get(SDK_STORAGE_KEYS.WALLET_SIGNATURE));
    expect(new Set(sigs).size).toBe(4);
  });

  it('names inline code by the CID the node computes, and shares the scope of the same action by CID', async () => {
    const d = allow({ allowedCids: [CID_A], allowInlineCode: true });
    const first = await issueSessionSigs(d, input(inline(CODE_A, { customAccessToken: 'lit' })));
    expect(first.walletSigSource).toBe('nodes');
    expect(d.sdk.calls[0].litAction?.source).toMatchObject({ kind: 'inline', codeBase64: Buffer.from(CODE_A).toString('base64') });
    expect(d.auditLog.entries[0]).toMatchObject({ litActionCid: CID_A, litActionInline: true });
    expect((await issueSessionSigs(d, input(byCid(CID_A, { customAccessToken: 'lit' })))).walletSigSource).toBe('cache');
  });

  it('refuses an action outside the policy before any storage or node round, and audits its CID', async () => {
    for (const [litActions, b] of [
      [undefined, byCid(CID_A)],
      [{ allowedCids: [CID_B], allowInlineCode: false }, byCid(CID_A)],
      [{ allowedCids: [CID_A], allowInlineCode: false }, inline(CODE_A)],
      [{ allowedCids: [CID_B], allowInlineCode: true }, inline(CODE_A)],
    ] as const) {
      const d = setup([callerPolicy(litActions ? { litActions: { ...litActions, allowedCids: [...litActions.allowedCids] } } : {})]);
      const err = await issueSessionSigs(d, input(b)).catch((e: ServiceError) => e);
      expect(err).toMatchObject({ code: 'LIT_ACTION_NOT_ALLOWED', status: 403, details: { cid: CID_A } });
      expect(d.sessionScopes.loads).toBe(0);
      expect(d.rateLimiter.counts.size).toBe(0);
      expect(d.sdk.calls).toHaveLength(0);
      expect(d.auditLog.entries).toMatchObject([{ outcome: 'refused', errorCode: 'LIT_ACTION_NOT_ALLOWED', litActionCid: CID_A }]);
    }
  });

  it("audits the action's refusal by the nodes and keeps nothing in its scope", async () => {
    const d = allow({ allowedCids: ['*'], allowInlineCode: false });
    d.sdk.fail = new ServiceError('LIT_ACTION_DENIED', 'denied');
    expect(await codeOf(issueSessionSigs(d, input(byCid(CID_B))))).toBe('LIT_ACTION_DENIED');
    expect(d.auditLog.entries).toMatchObject([{ outcome: 'refused', errorCode: 'LIT_ACTION_DENIED', litActionCid: CID_B }]);
    expect(d.sessionScopes.saves).toBe(0);
  });
});
