import { authorizeIssue, findCallerPolicy, principalMatches, rateLimitSubject, requireAdmin } from '../../functions/commons/domain/policy';
import type { IssueRequest } from '../../functions/commons/domain/issue-request';
import { ServiceError } from '../../functions/commons/errors';
import { ethers } from 'ethers';
import { CALLER, PKP_A, PKP_B, callerPolicy } from './fakes';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const opts = { defaultExpirationSeconds: 600, nowMs: NOW };
const req = (over: Partial<IssueRequest> = {}): IssueRequest => ({
  pkpPublicKey: PKP_A,
  pkpTokenIdHex: ethers.utils.keccak256(PKP_A).slice(2),
  resources: [{ kind: 'pkp', id: 'ab'.repeat(32), ability: 'pkp-signing' }],
  ...over,
});

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ServiceError);
    return (e as ServiceError).code;
  }
  return 'ALLOWED';
}

describe('principal patterns', () => {
  it.each([
    ['arn:aws:iam::1:role/a', 'arn:aws:iam::1:role/a', true],
    ['arn:aws:iam::1:role/a', 'arn:aws:iam::1:role/ab', false],
    ['arn:aws:sts::1:assumed-role/app-*', 'arn:aws:sts::1:assumed-role/app-x/s', true],
    ['arn:aws:sts::1:assumed-role/app-*', 'arn:aws:sts::1:assumed-role/other/s', false],
    ['arn:aws:sts::1:assumed-role/*/s1', 'arn:aws:sts::1:assumed-role/r/s1', true],
    ['arn:aws:sts::1:assumed-role/*/s1', 'arn:aws:sts::1:assumed-role/r/s12', false],
    ['*:role/a*a', 'x:role/a', false],
    ['*:role/a*a', 'x:role/aa', true],
    ['arn:*', 'xarn:1', false],
  ])('%s matches %s: %s', (pattern, arn, expected) => {
    expect(principalMatches(pattern, arn)).toBe(expected);
  });

  it('prefers the exact ARN, then the most specific pattern, then the first listed', () => {
    const broad = callerPolicy({ principal: 'arn:aws:sts::123456789012:*', rateLimitPerMinute: 1 });
    const narrow = callerPolicy({ principal: 'arn:aws:sts::123456789012:assumed-role/app-*', rateLimitPerMinute: 2 });
    const tieA = callerPolicy({ principal: 'arn:aws:sts::123456789012:assumed-role/app-backend/*', rateLimitPerMinute: 3 });
    const tieB = callerPolicy({ principal: 'arn:aws:sts::123456789012:assumed-role/*/session-1', rateLimitPerMinute: 4 });
    const exact = callerPolicy({ principal: CALLER, rateLimitPerMinute: 5 });
    expect(findCallerPolicy({ callers: [broad, narrow] }, CALLER)?.rateLimitPerMinute).toBe(2);
    expect(findCallerPolicy({ callers: [broad, narrow, tieA] }, CALLER)?.rateLimitPerMinute).toBe(3);
    // Equal literal length: the first listed wins.
    const tieC = callerPolicy({ principal: 'arn:aws:sts::123456789012:assumed-role/app-backen*/session-1', rateLimitPerMinute: 6 });
    const tieD = callerPolicy({ principal: 'arn:aws:sts::123456789012:assumed-role/app-backend/session-*', rateLimitPerMinute: 7 });
    expect(findCallerPolicy({ callers: [tieD, tieC] }, CALLER)?.rateLimitPerMinute).toBe(7);
    expect(findCallerPolicy({ callers: [tieC, tieD] }, CALLER)?.rateLimitPerMinute).toBe(6);
    expect(findCallerPolicy({ callers: [broad, tieB, exact, narrow] }, CALLER)?.rateLimitPerMinute).toBe(5);
    expect(findCallerPolicy({ callers: [narrow] }, 'arn:aws:iam::123456789012:user/bob')).toBeUndefined();
  });
});

describe('rateLimitSubject', () => {
  it('counts an assumed-role session as its role, and every other principal as itself', () => {
    expect(rateLimitSubject('arn:aws:sts::123456789012:assumed-role/app-backend/session-1')).toBe('arn:aws:sts::123456789012:assumed-role/app-backend');
    expect(rateLimitSubject('arn:aws-cn:sts::123456789012:assumed-role/r/i-0abc')).toBe('arn:aws-cn:sts::123456789012:assumed-role/r');
    for (const arn of ['arn:aws:iam::123456789012:user/alice', 'arn:aws:iam::123456789012:role/app', 'arn:aws:sts::123456789012:federated-user/bob'])
      expect(rateLimitSubject(arn)).toBe(arn);
  });
});

describe('authorizeIssue refusals (default deny)', () => {
  it('refuses a caller no entry names', () => {
    expect(codeOf(() => authorizeIssue({ callers: [] }, CALLER, req(), opts))).toBe('CALLER_NOT_ALLOWED');
    expect(codeOf(() => authorizeIssue({ callers: [callerPolicy({ principal: 'arn:aws:iam::1:role/other' })] }, CALLER, req(), opts))).toBe(
      'CALLER_NOT_ALLOWED',
    );
  });
  it('refuses a PKP the entry does not list, allows `*`', () => {
    expect(codeOf(() => authorizeIssue({ callers: [callerPolicy()] }, CALLER, req({ pkpPublicKey: PKP_B }), opts))).toBe('PKP_NOT_ALLOWED');
    expect(codeOf(() => authorizeIssue({ callers: [callerPolicy({ pkps: ['*'] })] }, CALLER, req({ pkpPublicKey: PKP_B }), opts))).toBe('ALLOWED');
  });
  it('refuses an ability the entry does not grant', () => {
    const r = req({ resources: [{ kind: 'lit-action', id: 'QmYLtiS6HqNabcS4kfPZdEiN6eWwWyTzLhVb3iMUdZ6Nd4', ability: 'lit-action-execution' }] });
    expect(codeOf(() => authorizeIssue({ callers: [callerPolicy()] }, CALLER, r, opts))).toBe('ABILITY_NOT_ALLOWED');
  });
  it('refuses `*` resources without allowWildcardResources', () => {
    const r = req({ resources: [{ kind: 'pkp', id: '*', ability: 'pkp-signing' }] });
    expect(codeOf(() => authorizeIssue({ callers: [callerPolicy({ allowWildcardResources: false })] }, CALLER, r, opts))).toBe('WILDCARD_NOT_ALLOWED');
    expect(codeOf(() => authorizeIssue({ callers: [callerPolicy({ allowWildcardResources: true })] }, CALLER, r, opts))).toBe('ALLOWED');
  });
  it('refuses caller auth methods without allowCallerAuthMethods', () => {
    const r = req({ authMethods: [{ authMethodType: 6, accessToken: 'jwt' }] });
    expect(codeOf(() => authorizeIssue({ callers: [callerPolicy()] }, CALLER, r, opts))).toBe('AUTH_METHODS_NOT_ALLOWED');
    expect(codeOf(() => authorizeIssue({ callers: [callerPolicy({ allowCallerAuthMethods: true })] }, CALLER, r, opts))).toBe('ALLOWED');
  });
  it('admin routes need admin: true', () => {
    expect(codeOf(() => requireAdmin({ callers: [callerPolicy()] }, CALLER))).toBe('ADMIN_REQUIRED');
    expect(codeOf(() => requireAdmin({ callers: [] }, CALLER))).toBe('CALLER_NOT_ALLOWED');
    expect(requireAdmin({ callers: [callerPolicy({ admin: true })] }, CALLER).admin).toBe(true);
  });
  it('a narrow entry restricts a caller a broad pattern would allow (entries never combine)', () => {
    const broad = callerPolicy({ principal: 'arn:aws:sts::123456789012:*', pkps: [PKP_A, PKP_B] });
    const narrow = callerPolicy({ principal: 'arn:aws:sts::123456789012:assumed-role/app-backend/*', pkps: [PKP_A] });
    expect(codeOf(() => authorizeIssue({ callers: [broad, narrow] }, CALLER, req({ pkpPublicKey: PKP_B }), opts))).toBe('PKP_NOT_ALLOWED');
  });
});

describe('authorizeIssue resources on Lit', () => {
  const wildcard = req({
    resources: [
      { kind: 'pkp', id: '*', ability: 'pkp-signing' },
      { kind: 'access-control-condition', id: '*', ability: 'access-control-condition-decryption' },
    ],
  });
  const grants = [
    { resource: 'pkp' as const, ability: 'pkp-signing' as const },
    { resource: 'access-control-condition' as const, ability: 'access-control-condition-decryption' as const },
  ];

  it("resolves pkp '*' to the requested PKP's token id for a caller limited to some PKPs: on Lit, lit-pkp://* would sign with every PKP the owner holds", () => {
    const entry = callerPolicy({ pkps: [PKP_A, PKP_B], abilities: grants, allowWildcardResources: true });
    const auth = authorizeIssue({ callers: [entry] }, CALLER, wildcard, opts);
    expect(auth.resources).toEqual([
      { kind: 'pkp', id: ethers.utils.keccak256(PKP_A).slice(2), ability: 'pkp-signing' },
      { kind: 'access-control-condition', id: '*', ability: 'access-control-condition-decryption' },
    ]);
  });

  it("keeps pkp '*' for a caller allowed every PKP", () => {
    const entry = callerPolicy({ pkps: ['*'], abilities: grants, allowWildcardResources: true });
    expect(authorizeIssue({ callers: [entry] }, CALLER, wildcard, opts).resources).toEqual(wildcard.resources);
  });
});

describe('authorizeIssue expiration', () => {
  const at = (s: number) => new Date(NOW + s * 1000);
  it('uses the default when none is asked, capped at the maximum', () => {
    expect(authorizeIssue({ callers: [callerPolicy()] }, CALLER, req(), opts).expiration).toEqual(at(600));
    expect(authorizeIssue({ callers: [callerPolicy({ maxExpirationSeconds: 300 })] }, CALLER, req(), opts).expiration).toEqual(at(300));
  });
  it('keeps an allowed expiration as asked', () => {
    const a = authorizeIssue({ callers: [callerPolicy()] }, CALLER, req({ expiration: at(3600) }), opts);
    expect(a).toMatchObject({ expiration: at(3600), clamped: false });
  });
  it("refuses one above the maximum with 'refuse'", () => {
    expect(codeOf(() => authorizeIssue({ callers: [callerPolicy()] }, CALLER, req({ expiration: at(3601) }), opts))).toBe('EXPIRATION_TOO_LONG');
  });
  it("clamps one above the maximum with 'clamp'", () => {
    const a = authorizeIssue({ callers: [callerPolicy({ overMaxExpiration: 'clamp' })] }, CALLER, req({ expiration: at(86_400) }), opts);
    expect(a).toMatchObject({ expiration: at(3600), clamped: true });
  });
});

describe('authorizeIssue Lit Actions (default deny)', () => {
  const A = 'QmWLP9ojXrHJrFHnvMJv12HScFoz7R8kcYAECjtcpaJM2Y';
  const B = 'QmNZQXmY2VijUPfNrkC6zWykBnEniDouAeUpFi9r6aaqNz';
  const byCid = (cid: string) => ({
    request: req({ litAction: { source: { kind: 'ipfs', ipfsId: cid }, jsParams: {} } }),
    identity: { cid, inline: false, jsParamsDigest: 'd' },
  });
  const inline = (cid: string) => ({
    request: req({ litAction: { source: { kind: 'inline', codeBase64: 'eA==', code: Uint8Array.of(0x78) }, jsParams: {} } }),
    identity: { cid, inline: true, jsParamsDigest: 'd' },
  });
  const decide = (entry: Parameters<typeof callerPolicy>[0], a: ReturnType<typeof byCid>) =>
    codeOf(() => authorizeIssue({ callers: [callerPolicy(entry)] }, CALLER, a.request, { ...opts, litAction: a.identity }));

  it('refuses any action to a caller whose entry has no litActions', () => {
    expect(decide({}, byCid(A))).toBe('LIT_ACTION_NOT_ALLOWED');
    expect(decide({}, inline(A))).toBe('LIT_ACTION_NOT_ALLOWED');
  });
  it('allows only the listed CIDs, or any with *', () => {
    expect(decide({ litActions: { allowedCids: [A], allowInlineCode: false } }, byCid(A))).toBe('ALLOWED');
    expect(decide({ litActions: { allowedCids: [A], allowInlineCode: false } }, byCid(B))).toBe('LIT_ACTION_NOT_ALLOWED');
    expect(decide({ litActions: { allowedCids: ['*'], allowInlineCode: false } }, byCid(B))).toBe('ALLOWED');
  });
  it('inline code needs allowInlineCode AND its computed CID allowed', () => {
    expect(decide({ litActions: { allowedCids: [A], allowInlineCode: false } }, inline(A))).toBe('LIT_ACTION_NOT_ALLOWED');
    expect(decide({ litActions: { allowedCids: ['*'], allowInlineCode: false } }, inline(A))).toBe('LIT_ACTION_NOT_ALLOWED');
    expect(decide({ litActions: { allowedCids: [B], allowInlineCode: true } }, inline(A))).toBe('LIT_ACTION_NOT_ALLOWED');
    expect(decide({ litActions: { allowedCids: [A], allowInlineCode: true } }, inline(A))).toBe('ALLOWED');
    expect(decide({ litActions: { allowedCids: ['*'], allowInlineCode: true } }, inline(B))).toBe('ALLOWED');
  });
  it('names the CID (and whether inline) in the refusal, so a caller learns the CID of its code', () => {
    const a = inline(B);
    try {
      authorizeIssue({ callers: [callerPolicy({ litActions: { allowedCids: [A], allowInlineCode: true } })] }, CALLER, a.request, {
        ...opts,
        litAction: a.identity,
      });
      throw new Error('expected a refusal');
    } catch (e) {
      expect(e).toMatchObject({ code: 'LIT_ACTION_NOT_ALLOWED', status: 403, details: { cid: B, inline: true } });
    }
  });
  it('still applies the other checks to a request with an action', () => {
    const a = byCid(A);
    const r = { ...a.request, pkpPublicKey: PKP_B };
    expect(
      codeOf(() =>
        authorizeIssue({ callers: [callerPolicy({ litActions: { allowedCids: [A], allowInlineCode: false } })] }, CALLER, r, {
          ...opts,
          litAction: a.identity,
        }),
      ),
    ).toBe('PKP_NOT_ALLOWED');
  });
  it('refuses to decide on an action whose identity was not computed (a bug, not a pass)', () => {
    expect(() =>
      authorizeIssue({ callers: [callerPolicy({ litActions: { allowedCids: ['*'], allowInlineCode: true } })] }, CALLER, byCid(A).request, opts),
    ).toThrow(/needs its identity/);
  });
});
