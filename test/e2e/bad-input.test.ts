/**
 * Malformed POST /session-sigs requests over HTTP, as a table. Each must be a 4xx JSON error
 * `{ error: { code, message, requestId } }` with a stable code (and, for INVALID_REQUEST, the
 * offending field), never a 5xx, never stack-trace text; and nothing may be issued or stored:
 * no sign_session_key round, no session scope written, an audit record saying `refused`.
 */
import { ethers } from 'ethers';
import { startLocalStack, type LocalStack } from '../../local/stack';
import {
  auditRecords,
  expectGatewayError,
  expectServiceError,
  type HttpResult,
  issueBody,
  request,
  scopeItemCount,
  signRounds,
  withCallers,
} from './helpers';

jest.setTimeout(300_000);

const NO_WILDCARD = 'arn:aws:iam::000000000000:user/local-no-wildcard';
const MAX_BODY_BYTES = 16_384;

interface Case {
  /** The request: a JSON value (sent as application/json), or raw bytes with a content type. */
  body?: () => unknown;
  raw?: () => string | Buffer;
  contentType?: string;
  caller?: string;
  status: number;
  code: string;
  /** `details.field` of an INVALID_REQUEST. */
  field?: string;
}

describe('bad input to POST /session-sigs over HTTP', () => {
  let stack: LocalStack;
  let pkp: { publicKey: string; tokenId: string; ethAddress: string };
  /** After the stack started: its bootstrap mints a PKP through POST /pkps, which is audited too. */
  let startedAt = 0;
  /** Request id → code, for the audit check. */
  const answered = new Map<string, string>();
  let roundsAtStart = 0;
  let scopesAtStart = 0;

  beforeAll(async () => {
    stack = await startLocalStack({
      refreshEveryMs: 0,
      devnet: { nodeCount: 3, threshold: 2, blockTimeMs: 1000 },
      configure: (config, ctx) => withCallers(config, ctx.callers.app, [{ principal: NO_WILDCARD, allowWildcardResources: false }]),
    });
    pkp = stack.pkp;
    roundsAtStart = signRounds(stack);
    scopesAtStart = await scopeItemCount(stack);
    startedAt = Date.now();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** A valid request, to break one part at a time. */
  const valid = (): Record<string, unknown> => issueBody(pkp);
  const rar = (entry: unknown) => ({ pkpPublicKey: pkp.publicKey, resourceAbilityRequests: [entry] });
  const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
  const otherKey = () => ethers.utils.computePublicKey(ethers.utils.randomBytes(32)); // fast: no mnemonic derivation

  const cases: [string, Case][] = [
    // Not JSON, or not the right kind of JSON.
    ['truncated JSON', { raw: () => '{"pkpPublicKey": ', contentType: 'application/json', status: 400, code: 'INVALID_JSON' }],
    ['JSON with a trailing comma', { raw: () => `${JSON.stringify(valid()).slice(0, -1)},}`, contentType: 'application/json', status: 400, code: 'INVALID_JSON' }],
    ['a JavaScript object literal (unquoted keys)', { raw: () => "{pkpPublicKey: '0x04'}", contentType: 'application/json', status: 400, code: 'INVALID_JSON' }],
    ['invalid UTF-8 bytes', { raw: () => Buffer.from([0x7b, 0xff, 0xfe, 0x22, 0x7d]), contentType: 'application/json', status: 400, code: 'INVALID_JSON' }],
    ['an empty body', { raw: () => '', contentType: 'application/json', status: 400, code: 'INVALID_REQUEST', field: 'body' }],
    ['no body and no content type', { raw: () => Buffer.alloc(0), status: 400, code: 'INVALID_REQUEST', field: 'body' }],
    ['null', { body: () => null, status: 400, code: 'INVALID_REQUEST', field: 'body' }],
    ['an empty array', { body: () => [], status: 400, code: 'INVALID_REQUEST', field: 'body' }],
    ['an array holding a valid request', { body: () => [valid()], status: 400, code: 'INVALID_REQUEST', field: 'body' }],
    ['a string', { body: () => 'pkp please', status: 400, code: 'INVALID_REQUEST', field: 'body' }],
    ['a number', { body: () => 42, status: 400, code: 'INVALID_REQUEST', field: 'body' }],
    ['true', { body: () => true, status: 400, code: 'INVALID_REQUEST', field: 'body' }],
    ['an empty object', { body: () => ({}), status: 400, code: 'INVALID_REQUEST', field: 'pkpPublicKey' }],
    // Wrong content type: the body must be JSON whatever the header says, and these are not.
    ['a form-encoded body (application/x-www-form-urlencoded)', { raw: () => `pkpPublicKey=${pkp.publicKey}&ability=pkp-signing`, contentType: 'application/x-www-form-urlencoded', status: 400, code: 'INVALID_JSON' }],
    ['plain text (text/plain)', { raw: () => 'session sigs for my PKP please', contentType: 'text/plain', status: 400, code: 'INVALID_JSON' }],
    ['binary bytes (application/octet-stream, sent base64 by the gateway)', { raw: () => Buffer.from([0, 1, 2, 3, 0xff, 0x80, 0x7b]), contentType: 'application/octet-stream', status: 400, code: 'INVALID_JSON' }],
    ['XML (application/xml)', { raw: () => `<request><pkpPublicKey>${pkp.publicKey}</pkpPublicKey></request>`, contentType: 'application/xml', status: 400, code: 'INVALID_JSON' }],
    // Missing fields and wrong types.
    ['missing pkpPublicKey', { body: () => ({ resourceAbilityRequests: valid().resourceAbilityRequests }), status: 400, code: 'INVALID_REQUEST', field: 'pkpPublicKey' }],
    ['missing resourceAbilityRequests', { body: () => ({ pkpPublicKey: pkp.publicKey }), status: 400, code: 'INVALID_REQUEST', field: 'resourceAbilityRequests' }],
    ['pkpPublicKey as a number', { body: () => ({ ...valid(), pkpPublicKey: 4 }), status: 400, code: 'INVALID_REQUEST', field: 'pkpPublicKey' }],
    ['pkpPublicKey null', { body: () => ({ ...valid(), pkpPublicKey: null }), status: 400, code: 'INVALID_REQUEST', field: 'pkpPublicKey' }],
    ['pkpPublicKey as an array', { body: () => ({ ...valid(), pkpPublicKey: [pkp.publicKey] }), status: 400, code: 'INVALID_REQUEST', field: 'pkpPublicKey' }],
    ['resourceAbilityRequests as an object', { body: () => ({ ...valid(), resourceAbilityRequests: { resource: { kind: 'pkp', id: '*' }, ability: 'pkp-signing' } }), status: 400, code: 'INVALID_REQUEST', field: 'resourceAbilityRequests' }],
    ['resourceAbilityRequests empty', { body: () => ({ ...valid(), resourceAbilityRequests: [] }), status: 400, code: 'INVALID_REQUEST', field: 'resourceAbilityRequests' }],
    ['33 resource ability requests (max 32)', { body: () => ({ ...valid(), resourceAbilityRequests: Array.from({ length: 33 }, () => ({ resource: { kind: 'pkp', id: '*' }, ability: 'pkp-signing' })) }), status: 400, code: 'INVALID_REQUEST', field: 'resourceAbilityRequests' }],
    ['an entry that is a string', { body: () => rar('pkp-signing'), status: 400, code: 'INVALID_REQUEST', field: 'resourceAbilityRequests[0]' }],
    ['an entry without resource', { body: () => rar({ ability: 'pkp-signing' }), status: 400, code: 'INVALID_REQUEST', field: 'resourceAbilityRequests[0].resource' }],
    ['resource as a string', { body: () => rar({ resource: 'lit-pkp://*', ability: 'pkp-signing' }), status: 400, code: 'INVALID_REQUEST', field: 'resourceAbilityRequests[0].resource' }],
    ['resource id as a number', { body: () => rar({ resource: { kind: 'pkp', id: 1 }, ability: 'pkp-signing' }), status: 400, code: 'INVALID_REQUEST', field: 'resourceAbilityRequests[0].resource.id' }],
    // Invalid keys and ids.
    ['pkpPublicKey without 0x', { body: () => ({ ...valid(), pkpPublicKey: pkp.publicKey.slice(2) }), status: 400, code: 'INVALID_REQUEST', field: 'pkpPublicKey' }],
    ['pkpPublicKey compressed (0x02/0x03…)', { body: () => ({ ...valid(), pkpPublicKey: ethers.utils.computePublicKey(pkp.publicKey, true) }), status: 400, code: 'INVALID_REQUEST', field: 'pkpPublicKey' }],
    ['pkpPublicKey one hex digit short', { body: () => ({ ...valid(), pkpPublicKey: pkp.publicKey.slice(0, -1) }), status: 400, code: 'INVALID_REQUEST', field: 'pkpPublicKey' }],
    ['pkpPublicKey with a non-hex digit', { body: () => ({ ...valid(), pkpPublicKey: `${pkp.publicKey.slice(0, -1)}g` }), status: 400, code: 'INVALID_REQUEST', field: 'pkpPublicKey' }],
    ['pkpPublicKey as the PKP eth address', { body: () => ({ ...valid(), pkpPublicKey: pkp.ethAddress }), status: 400, code: 'INVALID_REQUEST', field: 'pkpPublicKey' }],
    ['pkpPublicKey as the token id', { body: () => ({ ...valid(), pkpPublicKey: pkp.tokenId }), status: 400, code: 'INVALID_REQUEST', field: 'pkpPublicKey' }],
    ['a resource id naming another PKP', { body: () => rar({ resource: { kind: 'pkp', id: otherKey() }, ability: 'pkp-signing' }), status: 400, code: 'INVALID_REQUEST', field: 'resourceAbilityRequests[0].resource.id' }],
    ['a pkp resource id that is no id at all', { body: () => rar({ resource: { kind: 'pkp', id: 'my-pkp' }, ability: 'pkp-signing' }), status: 400, code: 'INVALID_REQUEST', field: 'resourceAbilityRequests[0].resource.id' }],
    ['a lit-action id that is not an IPFS CID', { body: () => rar({ resource: { kind: 'lit-action', id: 'https://example.com/action.js' }, ability: 'lit-action-execution' }), status: 400, code: 'INVALID_REQUEST', field: 'resourceAbilityRequests[0].resource.id' }],
    ['an empty resource id', { body: () => rar({ resource: { kind: 'pkp', id: '' }, ability: 'pkp-signing' }), status: 400, code: 'INVALID_REQUEST', field: 'resourceAbilityRequests[0].resource.id' }],
    // Unknown abilities and resources.
    ['an unknown ability', { body: () => rar({ resource: { kind: 'pkp', id: '*' }, ability: 'pkp-admin' }), status: 400, code: 'INVALID_REQUEST', field: 'resourceAbilityRequests[0].ability' }],
    ['an ability of another resource kind', { body: () => rar({ resource: { kind: 'pkp', id: '*' }, ability: 'lit-action-execution' }), status: 400, code: 'INVALID_REQUEST', field: 'resourceAbilityRequests[0].ability' }],
    ['an unknown resource kind', { body: () => rar({ resource: { kind: 'wallet', id: '*' }, ability: 'pkp-signing' }), status: 400, code: 'INVALID_REQUEST', field: 'resourceAbilityRequests[0].resource.kind' }],
    ['a Lit resource prefix as the kind', { body: () => rar({ resource: { kind: 'lit-pkp', id: '*' }, ability: 'pkp-signing' }), status: 400, code: 'INVALID_REQUEST', field: 'resourceAbilityRequests[0].resource.kind' }],
    ['the same entry twice', { body: () => ({ ...valid(), resourceAbilityRequests: [valid().resourceAbilityRequests, valid().resourceAbilityRequests].flat() }), status: 400, code: 'INVALID_REQUEST', field: 'resourceAbilityRequests[1]' }],
    // Expiration.
    ['expiration in the past', { body: () => ({ ...valid(), expiration: inSeconds(-60) }), status: 400, code: 'INVALID_REQUEST', field: 'expiration' }],
    ['expiration in 2001', { body: () => ({ ...valid(), expiration: '2001-09-09T01:46:40Z' }), status: 400, code: 'INVALID_REQUEST', field: 'expiration' }],
    ['expiration without a time zone', { body: () => ({ ...valid(), expiration: inSeconds(600).replace('Z', '') }), status: 400, code: 'INVALID_REQUEST', field: 'expiration' }],
    ['expiration as words', { body: () => ({ ...valid(), expiration: 'in ten minutes' }), status: 400, code: 'INVALID_REQUEST', field: 'expiration' }],
    ['expiration as epoch seconds', { body: () => ({ ...valid(), expiration: Math.floor(Date.now() / 1000) + 600 }), status: 400, code: 'INVALID_REQUEST', field: 'expiration' }],
    ['expiration in month 13', { body: () => ({ ...valid(), expiration: '2099-13-01T00:00:00Z' }), status: 400, code: 'INVALID_REQUEST', field: 'expiration' }],
    ['expiration at hour 25', { body: () => ({ ...valid(), expiration: '2099-01-01T25:00:00Z' }), status: 400, code: 'INVALID_REQUEST', field: 'expiration' }],
    ['expiration two days away (app maximum one day)', { body: () => ({ ...valid(), expiration: inSeconds(2 * 86_400) }), status: 403, code: 'EXPIRATION_TOO_LONG' }],
    ['expiration in the year 9999', { body: () => ({ ...valid(), expiration: '9999-12-31T23:59:59Z' }), status: 403, code: 'EXPIRATION_TOO_LONG' }],
    // `*` where the caller may not use it.
    ["'*' for a caller without wildcard rights", { caller: NO_WILDCARD, body: () => valid(), status: 403, code: 'WILDCARD_NOT_ALLOWED' }],
    // Extra unknown fields are refused, at every level.
    ['an unknown top-level field', { body: () => ({ ...valid(), admin: true }), status: 400, code: 'INVALID_REQUEST', field: 'admin' }],
    ['a misspelt field (resourceAbilityRequest)', { body: () => ({ pkpPublicKey: pkp.publicKey, resourceAbilityRequest: valid().resourceAbilityRequests }), status: 400, code: 'INVALID_REQUEST', field: 'resourceAbilityRequest' }],
    ['an unknown field in an entry', { body: () => rar({ resource: { kind: 'pkp', id: '*' }, ability: 'pkp-signing', uses: 5 }), status: 400, code: 'INVALID_REQUEST', field: 'resourceAbilityRequests[0].uses' }],
    ['an unknown field in a resource', { body: () => rar({ resource: { kind: 'pkp', id: '*', prefix: 'lit-pkp' }, ability: 'pkp-signing' }), status: 400, code: 'INVALID_REQUEST', field: 'resourceAbilityRequests[0].resource.prefix' }],
    ['a __proto__ field', { raw: () => JSON.stringify(valid()).replace(/^\{/, '{"__proto__":{"admin":true},'), contentType: 'application/json', status: 400, code: 'INVALID_REQUEST', field: '__proto__' }],
    // Caller auth methods (validated before the policy looks at them).
    ['authMethods as an object', { body: () => ({ ...valid(), authMethods: { authMethodType: 1, accessToken: 'x' } }), status: 400, code: 'INVALID_REQUEST', field: 'authMethods' }],
    ['authMethods empty', { body: () => ({ ...valid(), authMethods: [] }), status: 400, code: 'INVALID_REQUEST', field: 'authMethods' }],
    ['authMethodType as a string', { body: () => ({ ...valid(), authMethods: [{ authMethodType: '1', accessToken: 'x' }] }), status: 400, code: 'INVALID_REQUEST', field: 'authMethods[0].authMethodType' }],
    ['an accessToken over 8192 characters', { body: () => ({ ...valid(), authMethods: [{ authMethodType: 1, accessToken: 'a'.repeat(8_193) }] }), status: 400, code: 'INVALID_REQUEST', field: 'authMethods[0].accessToken' }],
    // Size.
    [`a body over maxBodyBytes (${MAX_BODY_BYTES})`, { body: () => ({ ...valid(), padding: 'x'.repeat(MAX_BODY_BYTES) }), status: 413, code: 'BODY_TOO_LARGE' }],
    ['a body one byte over maxBodyBytes', { raw: () => JSON.stringify(valid()).padEnd(MAX_BODY_BYTES + 1, ' '), contentType: 'application/json', status: 413, code: 'BODY_TOO_LARGE' }],
  ];

  async function send(c: Case): Promise<HttpResult> {
    const caller = c.caller ?? stack.callers.app;
    if (c.raw) return request(stack, 'POST', '/session-sigs', { caller, rawBody: c.raw(), headers: c.contentType ? { 'content-type': c.contentType } : {} });
    return request(stack, 'POST', '/session-sigs', { caller, body: c.body!() });
  }

  it.each(cases)('%s: refused with a stable 4xx code, nothing reaches Lit', async (_name, c) => {
    const rounds = signRounds(stack);
    const res = await send(c);
    expectServiceError(res, c.status, c.code);
    expect(res.status).toBeLessThan(500);
    if (c.field !== undefined) expect(res.body.error.details).toEqual({ field: c.field });
    // Messages say what is wrong, not how the code failed.
    expect(res.body.error.message).not.toMatch(/undefined|TypeError|SyntaxError|Unexpected token/);
    expect(signRounds(stack)).toBe(rounds);
    answered.set(res.body.error.requestId, c.code);
  });

  it('a body over API Gateway\'s 10 MB payload limit: the gateway answers 413 and the function never runs', async () => {
    const before = stack.functions.invocations('IssueSessionSigs');
    const res = await request(stack, 'POST', '/session-sigs', { caller: stack.callers.app, rawBody: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20), headers: { 'content-type': 'application/json' } });
    expectGatewayError(res, 413, 'Request Entity Too Large');
    expect(stack.functions.invocations('IssueSessionSigs')).toBe(before);
  });

  it('nothing was issued or stored: no node round, no session scope; every request audited as refused with its code', async () => {
    expect(answered.size).toBe(cases.length);
    expect(signRounds(stack)).toBe(roundsAtStart);
    expect(await scopeItemCount(stack)).toBe(scopesAtStart);
    const records = await auditRecords(stack, startedAt);
    expect(records.filter((r) => r.outcome !== 'refused')).toEqual([]);
    const byId = new Map(records.map((r) => [r.requestId, r]));
    for (const [requestId, code] of answered) expect(byId.get(requestId)).toMatchObject({ outcome: 'refused', errorCode: code });
  });

  it('after all that, a valid request from the same caller is issued (the refusals cost it nothing)', async () => {
    const res = await request(stack, 'POST', '/session-sigs', { caller: stack.callers.app, body: valid() });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.sessionSigs)).toHaveLength(stack.devnet.nodes.length);
  });
});
