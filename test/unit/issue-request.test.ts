import { ethers } from 'ethers';
import {
  MAX_JS_PARAMS_BYTES,
  MAX_JS_PARAMS_DEPTH,
  MAX_LIT_ACTION_CODE_BYTES,
  parseIssueRequest,
  pkpTokenIdHex,
} from '../../functions/commons/domain/issue-request';
import { ServiceError } from '../../functions/commons/errors';
import { PKP_A, PKP_B } from './fakes';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const pkpReq = (id: string) => ({ resource: { kind: 'pkp', id }, ability: 'pkp-signing' });
const valid = () => ({ pkpPublicKey: PKP_A, resourceAbilityRequests: [pkpReq('*')] });
/** 0x04 + 128 hex digits, the shape of a key, but no point of secp256k1. */
const OFF_CURVE = '0x04' + '11'.repeat(64);
/** The same x with y + 1: off the curve, though one hex digit from a real key. */
const flippedY = (key: string) => key.slice(0, -1) + ((parseInt(key.slice(-1), 16) + 1) % 16).toString(16);

function refusal(body: unknown): { code: string; field: unknown } {
  try {
    parseIssueRequest(body, NOW);
  } catch (e) {
    expect(e).toBeInstanceOf(ServiceError);
    const se = e as ServiceError;
    return { code: se.code, field: se.details?.field };
  }
  throw new Error('expected a refusal');
}

describe('parseIssueRequest: malformed bodies', () => {
  const cases: Array<[string, unknown, string]> = [
    ['no body', undefined, 'body'],
    ['array body', [valid()], 'body'],
    ['string body', 'hello', 'body'],
    ['unknown top-level field', { ...valid(), extra: 1 }, 'extra'],
    ['missing pkpPublicKey', { resourceAbilityRequests: [pkpReq('*')] }, 'pkpPublicKey'],
    ['compressed pkp key', { ...valid(), pkpPublicKey: '0x02' + 'a'.repeat(64) }, 'pkpPublicKey'],
    ['pkp key without 0x', { ...valid(), pkpPublicKey: PKP_A.slice(2) }, 'pkpPublicKey'],
    ['pkp key non-hex', { ...valid(), pkpPublicKey: '0x04' + 'g'.repeat(128) }, 'pkpPublicKey'],
    ['pkp key of the right shape but not on the curve', { ...valid(), pkpPublicKey: OFF_CURVE }, 'pkpPublicKey'],
    ['pkp key with y of the other point of x (not on the curve)', { ...valid(), pkpPublicKey: flippedY(PKP_A) }, 'pkpPublicKey'],
    ['pkp resource id: a key not on the curve', { ...valid(), resourceAbilityRequests: [pkpReq(OFF_CURVE)] }, 'resourceAbilityRequests[0].resource.id'],
    ['missing resourceAbilityRequests', { pkpPublicKey: PKP_A }, 'resourceAbilityRequests'],
    ['empty resourceAbilityRequests', { ...valid(), resourceAbilityRequests: [] }, 'resourceAbilityRequests'],
    ['too many resourceAbilityRequests', { ...valid(), resourceAbilityRequests: Array.from({ length: 33 }, () => pkpReq('*')) }, 'resourceAbilityRequests'],
    ['entry not an object', { ...valid(), resourceAbilityRequests: ['pkp'] }, 'resourceAbilityRequests[0]'],
    ['unknown entry field', { ...valid(), resourceAbilityRequests: [{ ...pkpReq('*'), x: 1 }] }, 'resourceAbilityRequests[0].x'],
    [
      'resource not an object',
      { ...valid(), resourceAbilityRequests: [{ resource: 'lit-pkp://*', ability: 'pkp-signing' }] },
      'resourceAbilityRequests[0].resource',
    ],
    [
      'unknown kind',
      { ...valid(), resourceAbilityRequests: [{ resource: { kind: 'lit-pkp', id: '*' }, ability: 'pkp-signing' }] },
      'resourceAbilityRequests[0].resource.kind',
    ],
    [
      'unknown resource field',
      { ...valid(), resourceAbilityRequests: [{ resource: { kind: 'pkp', id: '*', x: 1 }, ability: 'pkp-signing' }] },
      'resourceAbilityRequests[0].resource.x',
    ],
    [
      'ability of another kind',
      { ...valid(), resourceAbilityRequests: [{ resource: { kind: 'pkp', id: '*' }, ability: 'lit-action-execution' }] },
      'resourceAbilityRequests[0].ability',
    ],
    [
      'unknown ability',
      { ...valid(), resourceAbilityRequests: [{ resource: { kind: 'pkp', id: '*' }, ability: 'everything' }] },
      'resourceAbilityRequests[0].ability',
    ],
    ['missing id', { ...valid(), resourceAbilityRequests: [{ resource: { kind: 'pkp' }, ability: 'pkp-signing' }] }, 'resourceAbilityRequests[0].resource.id'],
    ['empty id', { ...valid(), resourceAbilityRequests: [pkpReq('')] }, 'resourceAbilityRequests[0].resource.id'],
    ['pkp id of another PKP (public key)', { ...valid(), resourceAbilityRequests: [pkpReq(PKP_B)] }, 'resourceAbilityRequests[0].resource.id'],
    ['pkp id of another PKP (token id)', { ...valid(), resourceAbilityRequests: [pkpReq('12345')] }, 'resourceAbilityRequests[0].resource.id'],
    ['pkp id garbage', { ...valid(), resourceAbilityRequests: [pkpReq('lit-pkp://abc')] }, 'resourceAbilityRequests[0].resource.id'],
    [
      'lit-action id not a CID',
      { ...valid(), resourceAbilityRequests: [{ resource: { kind: 'lit-action', id: 'not-a-cid' }, ability: 'lit-action-execution' }] },
      'resourceAbilityRequests[0].resource.id',
    ],
    [
      'acc id not hex',
      {
        ...valid(),
        resourceAbilityRequests: [{ resource: { kind: 'access-control-condition', id: 'zz'.repeat(32) }, ability: 'access-control-condition-decryption' }],
      },
      'resourceAbilityRequests[0].resource.id',
    ],
    [
      'rli id not decimal',
      { ...valid(), resourceAbilityRequests: [{ resource: { kind: 'rate-limit-increase', id: '0x10' }, ability: 'rate-limit-increase-auth' }] },
      'resourceAbilityRequests[0].resource.id',
    ],
    ['duplicate entries', { ...valid(), resourceAbilityRequests: [pkpReq('*'), pkpReq('*')] }, 'resourceAbilityRequests[1]'],
    ['expiration not a string', { ...valid(), expiration: 1780000000 }, 'expiration'],
    ['expiration without zone', { ...valid(), expiration: '2026-06-01T01:00:00' }, 'expiration'],
    ['expiration unparsable', { ...valid(), expiration: 'tomorrow' }, 'expiration'],
    ['expiration impossible date', { ...valid(), expiration: '2026-13-45T00:00:00Z' }, 'expiration'],
    ['expiration on a day the month does not have (Feb 30, which Date.parse rolls over)', { ...valid(), expiration: '2099-02-30T00:00:00Z' }, 'expiration'],
    ['expiration on Nov 31', { ...valid(), expiration: '2099-11-31T12:00:00+02:00' }, 'expiration'],
    ['expiration in the past', { ...valid(), expiration: '2026-05-31T23:59:59Z' }, 'expiration'],
    ['expiration now', { ...valid(), expiration: '2026-06-01T00:00:00Z' }, 'expiration'],
    ['authMethods not a list', { ...valid(), authMethods: { authMethodType: 1 } }, 'authMethods'],
    ['authMethods empty', { ...valid(), authMethods: [] }, 'authMethods'],
    ['authMethod type not integer', { ...valid(), authMethods: [{ authMethodType: '1', accessToken: 't' }] }, 'authMethods[0].authMethodType'],
    ['authMethod type fractional', { ...valid(), authMethods: [{ authMethodType: 1.5, accessToken: 't' }] }, 'authMethods[0].authMethodType'],
    ['authMethod token missing', { ...valid(), authMethods: [{ authMethodType: 1 }] }, 'authMethods[0].accessToken'],
    ['authMethod token empty', { ...valid(), authMethods: [{ authMethodType: 1, accessToken: '' }] }, 'authMethods[0].accessToken'],
    ['authMethod unknown field', { ...valid(), authMethods: [{ authMethodType: 1, accessToken: 't', userId: 'x' }] }, 'authMethods[0].userId'],
  ];

  it.each(cases)('%s → INVALID_REQUEST on its field', (_name, body, field) => {
    expect(refusal(body)).toEqual({ code: 'INVALID_REQUEST', field });
  });

  it('does not echo the access token in the error message', () => {
    try {
      parseIssueRequest({ ...valid(), authMethods: [{ authMethodType: 'x', accessToken: 'SECRET-TOKEN' }] }, NOW);
      throw new Error('expected a refusal');
    } catch (e) {
      expect((e as Error).message).not.toContain('SECRET-TOKEN');
    }
  });
});

describe('parseIssueRequest: errors never reflect unbounded input', () => {
  const hostile = ['<script>alert(1)</script>', 'k'.repeat(4096), 'line\nbreak', 'quote"d', 'dot.ted', ''];

  it.each(hostile.map((k) => [JSON.stringify(k).slice(0, 40), k]))('an unknown key %s is named by its position, not echoed', (_name, key) => {
    for (const [body, field] of [
      [{ ...valid(), [key]: 1 }, '#3'],
      [{ ...valid(), resourceAbilityRequests: [{ ...pkpReq('*'), [key]: 1 }] }, 'resourceAbilityRequests[0].#3'],
      [
        { ...valid(), resourceAbilityRequests: [{ resource: { kind: 'pkp', id: '*', [key]: 1 }, ability: 'pkp-signing' }] },
        'resourceAbilityRequests[0].resource.#3',
      ],
    ] as const) {
      let error: ServiceError | undefined;
      try {
        parseIssueRequest(body, NOW);
      } catch (e) {
        error = e as ServiceError;
      }
      expect(error?.code).toBe('INVALID_REQUEST');
      expect(error?.details).toEqual({ field });
      if (key.length > 0) expect(error!.message).not.toContain(key);
      expect(error!.message.length).toBeLessThan(300);
    }
  });

  it('a plain unknown key (letters, digits, _ $ -, at most 64) is named as it is', () => {
    expect(refusal({ ...valid(), resource_Ability$Requests: 1 })).toEqual({ code: 'INVALID_REQUEST', field: 'resource_Ability$Requests' });
    expect(refusal({ ...valid(), ['k'.repeat(64)]: 1 })).toEqual({ code: 'INVALID_REQUEST', field: 'k'.repeat(64) });
    expect(refusal({ ...valid(), ['k'.repeat(65)]: 1 })).toEqual({ code: 'INVALID_REQUEST', field: '#3' });
  });
});

describe('parseIssueRequest: valid bodies', () => {
  it('canonicalizes the pkp key and names the PKP by token id in every accepted form', () => {
    const tokenHex = pkpTokenIdHex(PKP_A);
    expect(tokenHex).toBe(ethers.utils.keccak256(PKP_A).slice(2));
    const decimal = BigInt('0x' + tokenHex).toString(10);
    for (const id of [PKP_A, PKP_A.toUpperCase().replace('0X', '0x'), decimal, '0x' + tokenHex, '0x' + tokenHex.toUpperCase()]) {
      const r = parseIssueRequest({ pkpPublicKey: PKP_A.toUpperCase().replace('0X', '0x'), resourceAbilityRequests: [pkpReq(id)] }, NOW);
      expect(r.pkpPublicKey).toBe(PKP_A);
      expect(r.resources).toEqual([{ kind: 'pkp', id: tokenHex, ability: 'pkp-signing' }]);
    }
  });

  it('accepts every kind with its id forms, expiration and authMethods', () => {
    const r = parseIssueRequest(
      {
        pkpPublicKey: PKP_A,
        resourceAbilityRequests: [
          pkpReq('*'),
          { resource: { kind: 'lit-action', id: 'QmYLtiS6HqNabcS4kfPZdEiN6eWwWyTzLhVb3iMUdZ6Nd4' }, ability: 'lit-action-execution' },
          { resource: { kind: 'access-control-condition', id: 'AB'.repeat(64) }, ability: 'access-control-condition-signing' },
          { resource: { kind: 'rate-limit-increase', id: '007' }, ability: 'rate-limit-increase-auth' },
        ],
        expiration: '2026-06-01T00:10:00.000+00:00',
        authMethods: [{ authMethodType: 6, accessToken: 'google-jwt' }],
      },
      NOW,
    );
    expect(r.resources.map((x) => x.id)).toEqual(['*', 'QmYLtiS6HqNabcS4kfPZdEiN6eWwWyTzLhVb3iMUdZ6Nd4', 'ab'.repeat(64), '7']);
    expect(r.expiration?.toISOString()).toBe('2026-06-01T00:10:00.000Z');
    expect(r.authMethods).toEqual([{ authMethodType: 6, accessToken: 'google-jwt' }]);
  });
});

describe('parseIssueRequest: Lit Actions', () => {
  const CID = 'QmWLP9ojXrHJrFHnvMJv12HScFoz7R8kcYAECjtcpaJM2Y';
  const CODE = 'if (customAccessToken === \'lit\') { LitActions.setResponse({response:"true"}); }';
  const b64 = (s: string | Uint8Array) => Buffer.from(s as never).toString('base64');
  const byCid = (over: Record<string, unknown> = {}) => ({ ...valid(), litActionIpfsId: CID, jsParams: { customAccessToken: 'lit' }, ...over });
  const inline = (over: Record<string, unknown> = {}) => ({ ...valid(), litActionCode: b64(CODE), jsParams: {}, ...over });
  /** n nested objects: { a: { a: … {} } }. */
  const nest = (n: number): Record<string, unknown> => (n <= 1 ? {} : { a: nest(n - 1) });
  const withoutJsParams = (b: Record<string, unknown>) => Object.fromEntries(Object.entries(b).filter(([k]) => k !== 'jsParams'));

  const cases: Array<[string, unknown, string]> = [
    ['both litActionIpfsId and litActionCode', { ...byCid(), litActionCode: b64(CODE) }, 'litActionCode'],
    ['jsParams without an action', { ...valid(), jsParams: {} }, 'jsParams'],
    ['an action without jsParams (the SDK requires them)', withoutJsParams(byCid()), 'jsParams'],
    ['an inline action without jsParams', withoutJsParams(inline()), 'jsParams'],
    [
      'an action with authMethods (the action must be the whole authentication)',
      byCid({ authMethods: [{ authMethodType: 1, accessToken: 't' }] }),
      'authMethods',
    ],
    ['litActionIpfsId not a string', byCid({ litActionIpfsId: 42 }), 'litActionIpfsId'],
    [
      'litActionIpfsId a CIDv1 (Lit nodes take CIDv0)',
      byCid({ litActionIpfsId: 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi' }),
      'litActionIpfsId',
    ],
    ['litActionIpfsId of the Qm shape that is no sha2-256 multihash', byCid({ litActionIpfsId: 'Qm' + 'z'.repeat(44) }), 'litActionIpfsId'],
    ['litActionCode empty', inline({ litActionCode: '' }), 'litActionCode'],
    ['litActionCode not a string', inline({ litActionCode: ['x'] }), 'litActionCode'],
    ['litActionCode plain JavaScript, not base64', inline({ litActionCode: CODE }), 'litActionCode'],
    ['litActionCode base64url alphabet', inline({ litActionCode: Buffer.from([0xfb, 0xff, 0xbf]).toString('base64url') }), 'litActionCode'],
    ['litActionCode without padding', inline({ litActionCode: b64('ab').replace(/=+$/, '') }), 'litActionCode'],
    ['litActionCode with a line break', inline({ litActionCode: b64(CODE).slice(0, 8) + '\n' + b64(CODE).slice(8) }), 'litActionCode'],
    ['litActionCode with non-zero trailing bits (the node decoder refuses them)', inline({ litActionCode: 'QR==' }), 'litActionCode'],
    ['litActionCode that decodes to invalid UTF-8', inline({ litActionCode: b64(Uint8Array.from([0x61, 0xff, 0xfe])) }), 'litActionCode'],
    ['litActionCode over the decoded bound', inline({ litActionCode: b64('x'.repeat(MAX_LIT_ACTION_CODE_BYTES + 1)) }), 'litActionCode'],
    ['jsParams an array', byCid({ jsParams: [1] }), 'jsParams'],
    ['jsParams a string', byCid({ jsParams: '{}' }), 'jsParams'],
    ['jsParams null', byCid({ jsParams: null }), 'jsParams'],
    ['jsParams nested too deep', byCid({ jsParams: nest(MAX_JS_PARAMS_DEPTH + 1) }), 'jsParams'],
    ['jsParams too deep through arrays', byCid({ jsParams: { a: JSON.parse('['.repeat(MAX_JS_PARAMS_DEPTH) + ']'.repeat(MAX_JS_PARAMS_DEPTH)) } }), 'jsParams'],
    ['jsParams over the size bound', byCid({ jsParams: { v: 'x'.repeat(MAX_JS_PARAMS_BYTES) } }), 'jsParams'],
    ['jsParams with a number JSON.parse made Infinity', byCid({ jsParams: JSON.parse('{"n":1e999}') }), 'jsParams'],
  ];

  it.each(cases)('%s → INVALID_REQUEST on its field', (_name, body, field) => {
    expect(refusal(body)).toEqual({ code: 'INVALID_REQUEST', field });
  });

  it('never echoes the code or the jsParams in an error', () => {
    const secret = 'SECRET-JWT-' + 'z'.repeat(100);
    for (const body of [byCid({ jsParams: { token: secret, deep: nest(MAX_JS_PARAMS_DEPTH + 1) } }), inline({ litActionCode: `<script>${secret}</script>` })]) {
      try {
        parseIssueRequest(body, NOW);
        throw new Error('expected a refusal');
      } catch (e) {
        expect((e as ServiceError).code).toBe('INVALID_REQUEST');
        expect((e as Error).message).not.toContain(secret);
        expect((e as Error).message.length).toBeLessThan(300);
      }
    }
  });

  it('takes an action by CID with its jsParams', () => {
    const r = parseIssueRequest(byCid(), NOW);
    expect(r.litAction).toEqual({ source: { kind: 'ipfs', ipfsId: CID }, jsParams: { customAccessToken: 'lit' } });
    expect(r.authMethods).toBeUndefined();
  });

  it('takes inline code as the base64 the node decodes, with its bytes, up to the bound; jsParams {} and at the depth bound', () => {
    const r = parseIssueRequest(inline({ jsParams: nest(MAX_JS_PARAMS_DEPTH) }), NOW);
    expect(r.litAction?.source).toEqual({ kind: 'inline', codeBase64: b64(CODE), code: new Uint8Array(Buffer.from(CODE)) });
    expect(r.litAction?.jsParams).toEqual(nest(MAX_JS_PARAMS_DEPTH));
    const biggest = 'é'.repeat(MAX_LIT_ACTION_CODE_BYTES / 2); // two bytes each: multi-byte UTF-8 counts in bytes
    const big = parseIssueRequest(inline({ litActionCode: b64(biggest) }), NOW).litAction!.source;
    expect(big.kind === 'inline' && big.code.length).toBe(MAX_LIT_ACTION_CODE_BYTES);
    expect(parseIssueRequest(valid(), NOW).litAction).toBeUndefined();
  });
});
