/**
 * Malformed POST /session-sigs requests over HTTP, as a table. Each must be a 4xx JSON error
 * `{ error: { code, message, requestId } }` with a stable code (and, for INVALID_REQUEST, the
 * offending field), never a 5xx, never stack-trace text; and nothing may be issued or stored:
 * no sign_session_key round, no session scope written, an audit record saying `refused`.
 */
import * as net from 'node:net';
import { ethers } from 'ethers';
import { startLocalStack, type LocalStack } from '../../local/stack';
import {
  auditRecords,
  expectGatewayError,
  expectServiceError,
  type HttpResult,
  issueBody,
  request,
  scanTable,
  scopeItemCount,
  signRounds,
  withCallers,
} from './helpers';

jest.setTimeout(300_000);

const NO_WILDCARD = 'arn:aws:iam::000000000000:user/local-no-wildcard';
const OTHER_ADMIN = 'arn:aws:iam::000000000000:role/local-other-admin';
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
      configure: (config, ctx) =>
        withCallers(config, ctx.callers.app, [
          { principal: NO_WILDCARD, allowWildcardResources: false },
          { principal: OTHER_ADMIN, admin: true },
        ]),
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
    [
      'JSON with a trailing comma',
      { raw: () => `${JSON.stringify(valid()).slice(0, -1)},}`, contentType: 'application/json', status: 400, code: 'INVALID_JSON' },
    ],
    [
      'a JavaScript object literal (unquoted keys)',
      { raw: () => "{pkpPublicKey: '0x04'}", contentType: 'application/json', status: 400, code: 'INVALID_JSON' },
    ],
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
    [
      'a form-encoded body (application/x-www-form-urlencoded)',
      { raw: () => `pkpPublicKey=${pkp.publicKey}&ability=pkp-signing`, contentType: 'application/x-www-form-urlencoded', status: 400, code: 'INVALID_JSON' },
    ],
    ['plain text (text/plain)', { raw: () => 'session sigs for my PKP please', contentType: 'text/plain', status: 400, code: 'INVALID_JSON' }],
    [
      'binary bytes (application/octet-stream, sent base64 by the gateway)',
      { raw: () => Buffer.from([0, 1, 2, 3, 0xff, 0x80, 0x7b]), contentType: 'application/octet-stream', status: 400, code: 'INVALID_JSON' },
    ],
    [
      'XML (application/xml)',
      { raw: () => `<request><pkpPublicKey>${pkp.publicKey}</pkpPublicKey></request>`, contentType: 'application/xml', status: 400, code: 'INVALID_JSON' },
    ],
    // Missing fields and wrong types.
    [
      'missing pkpPublicKey',
      { body: () => ({ resourceAbilityRequests: valid().resourceAbilityRequests }), status: 400, code: 'INVALID_REQUEST', field: 'pkpPublicKey' },
    ],
    [
      'missing resourceAbilityRequests',
      { body: () => ({ pkpPublicKey: pkp.publicKey }), status: 400, code: 'INVALID_REQUEST', field: 'resourceAbilityRequests' },
    ],
    ['pkpPublicKey as a number', { body: () => ({ ...valid(), pkpPublicKey: 4 }), status: 400, code: 'INVALID_REQUEST', field: 'pkpPublicKey' }],
    ['pkpPublicKey null', { body: () => ({ ...valid(), pkpPublicKey: null }), status: 400, code: 'INVALID_REQUEST', field: 'pkpPublicKey' }],
    ['pkpPublicKey as an array', { body: () => ({ ...valid(), pkpPublicKey: [pkp.publicKey] }), status: 400, code: 'INVALID_REQUEST', field: 'pkpPublicKey' }],
    [
      'resourceAbilityRequests as an object',
      {
        body: () => ({ ...valid(), resourceAbilityRequests: { resource: { kind: 'pkp', id: '*' }, ability: 'pkp-signing' } }),
        status: 400,
        code: 'INVALID_REQUEST',
        field: 'resourceAbilityRequests',
      },
    ],
    [
      'resourceAbilityRequests empty',
      { body: () => ({ ...valid(), resourceAbilityRequests: [] }), status: 400, code: 'INVALID_REQUEST', field: 'resourceAbilityRequests' },
    ],
    [
      '33 resource ability requests (max 32)',
      {
        body: () => ({
          ...valid(),
          resourceAbilityRequests: Array.from({ length: 33 }, () => ({ resource: { kind: 'pkp', id: '*' }, ability: 'pkp-signing' })),
        }),
        status: 400,
        code: 'INVALID_REQUEST',
        field: 'resourceAbilityRequests',
      },
    ],
    ['an entry that is a string', { body: () => rar('pkp-signing'), status: 400, code: 'INVALID_REQUEST', field: 'resourceAbilityRequests[0]' }],
    [
      'an entry without resource',
      { body: () => rar({ ability: 'pkp-signing' }), status: 400, code: 'INVALID_REQUEST', field: 'resourceAbilityRequests[0].resource' },
    ],
    [
      'resource as a string',
      {
        body: () => rar({ resource: 'lit-pkp://*', ability: 'pkp-signing' }),
        status: 400,
        code: 'INVALID_REQUEST',
        field: 'resourceAbilityRequests[0].resource',
      },
    ],
    [
      'resource id as a number',
      {
        body: () => rar({ resource: { kind: 'pkp', id: 1 }, ability: 'pkp-signing' }),
        status: 400,
        code: 'INVALID_REQUEST',
        field: 'resourceAbilityRequests[0].resource.id',
      },
    ],
    // Invalid keys and ids.
    [
      'pkpPublicKey without 0x',
      { body: () => ({ ...valid(), pkpPublicKey: pkp.publicKey.slice(2) }), status: 400, code: 'INVALID_REQUEST', field: 'pkpPublicKey' },
    ],
    [
      'pkpPublicKey compressed (0x02/0x03…)',
      {
        body: () => ({ ...valid(), pkpPublicKey: ethers.utils.computePublicKey(pkp.publicKey, true) }),
        status: 400,
        code: 'INVALID_REQUEST',
        field: 'pkpPublicKey',
      },
    ],
    [
      'pkpPublicKey one hex digit short',
      { body: () => ({ ...valid(), pkpPublicKey: pkp.publicKey.slice(0, -1) }), status: 400, code: 'INVALID_REQUEST', field: 'pkpPublicKey' },
    ],
    [
      'pkpPublicKey with a non-hex digit',
      { body: () => ({ ...valid(), pkpPublicKey: `${pkp.publicKey.slice(0, -1)}g` }), status: 400, code: 'INVALID_REQUEST', field: 'pkpPublicKey' },
    ],
    [
      'pkpPublicKey as the PKP eth address',
      { body: () => ({ ...valid(), pkpPublicKey: pkp.ethAddress }), status: 400, code: 'INVALID_REQUEST', field: 'pkpPublicKey' },
    ],
    ['pkpPublicKey as the token id', { body: () => ({ ...valid(), pkpPublicKey: pkp.tokenId }), status: 400, code: 'INVALID_REQUEST', field: 'pkpPublicKey' }],
    [
      'a resource id naming another PKP',
      {
        body: () => rar({ resource: { kind: 'pkp', id: otherKey() }, ability: 'pkp-signing' }),
        status: 400,
        code: 'INVALID_REQUEST',
        field: 'resourceAbilityRequests[0].resource.id',
      },
    ],
    [
      'a pkp resource id that is no id at all',
      {
        body: () => rar({ resource: { kind: 'pkp', id: 'my-pkp' }, ability: 'pkp-signing' }),
        status: 400,
        code: 'INVALID_REQUEST',
        field: 'resourceAbilityRequests[0].resource.id',
      },
    ],
    [
      'a lit-action id that is not an IPFS CID',
      {
        body: () => rar({ resource: { kind: 'lit-action', id: 'https://example.com/action.js' }, ability: 'lit-action-execution' }),
        status: 400,
        code: 'INVALID_REQUEST',
        field: 'resourceAbilityRequests[0].resource.id',
      },
    ],
    [
      'an empty resource id',
      {
        body: () => rar({ resource: { kind: 'pkp', id: '' }, ability: 'pkp-signing' }),
        status: 400,
        code: 'INVALID_REQUEST',
        field: 'resourceAbilityRequests[0].resource.id',
      },
    ],
    // Unknown abilities and resources.
    [
      'an unknown ability',
      {
        body: () => rar({ resource: { kind: 'pkp', id: '*' }, ability: 'pkp-admin' }),
        status: 400,
        code: 'INVALID_REQUEST',
        field: 'resourceAbilityRequests[0].ability',
      },
    ],
    [
      'an ability of another resource kind',
      {
        body: () => rar({ resource: { kind: 'pkp', id: '*' }, ability: 'lit-action-execution' }),
        status: 400,
        code: 'INVALID_REQUEST',
        field: 'resourceAbilityRequests[0].ability',
      },
    ],
    [
      'an unknown resource kind',
      {
        body: () => rar({ resource: { kind: 'wallet', id: '*' }, ability: 'pkp-signing' }),
        status: 400,
        code: 'INVALID_REQUEST',
        field: 'resourceAbilityRequests[0].resource.kind',
      },
    ],
    [
      'a Lit resource prefix as the kind',
      {
        body: () => rar({ resource: { kind: 'lit-pkp', id: '*' }, ability: 'pkp-signing' }),
        status: 400,
        code: 'INVALID_REQUEST',
        field: 'resourceAbilityRequests[0].resource.kind',
      },
    ],
    [
      'the same entry twice',
      {
        body: () => ({ ...valid(), resourceAbilityRequests: [valid().resourceAbilityRequests, valid().resourceAbilityRequests].flat() }),
        status: 400,
        code: 'INVALID_REQUEST',
        field: 'resourceAbilityRequests[1]',
      },
    ],
    // Expiration.
    ['expiration in the past', { body: () => ({ ...valid(), expiration: inSeconds(-60) }), status: 400, code: 'INVALID_REQUEST', field: 'expiration' }],
    ['expiration in 2001', { body: () => ({ ...valid(), expiration: '2001-09-09T01:46:40Z' }), status: 400, code: 'INVALID_REQUEST', field: 'expiration' }],
    [
      'expiration without a time zone',
      { body: () => ({ ...valid(), expiration: inSeconds(600).replace('Z', '') }), status: 400, code: 'INVALID_REQUEST', field: 'expiration' },
    ],
    ['expiration as words', { body: () => ({ ...valid(), expiration: 'in ten minutes' }), status: 400, code: 'INVALID_REQUEST', field: 'expiration' }],
    [
      'expiration as epoch seconds',
      { body: () => ({ ...valid(), expiration: Math.floor(Date.now() / 1000) + 600 }), status: 400, code: 'INVALID_REQUEST', field: 'expiration' },
    ],
    ['expiration in month 13', { body: () => ({ ...valid(), expiration: '2099-13-01T00:00:00Z' }), status: 400, code: 'INVALID_REQUEST', field: 'expiration' }],
    ['expiration at hour 25', { body: () => ({ ...valid(), expiration: '2099-01-01T25:00:00Z' }), status: 400, code: 'INVALID_REQUEST', field: 'expiration' }],
    [
      'expiration two days away (app maximum one day)',
      { body: () => ({ ...valid(), expiration: inSeconds(2 * 86_400) }), status: 403, code: 'EXPIRATION_TOO_LONG' },
    ],
    ['expiration in the year 9999', { body: () => ({ ...valid(), expiration: '9999-12-31T23:59:59Z' }), status: 403, code: 'EXPIRATION_TOO_LONG' }],
    // `*` where the caller may not use it.
    ["'*' for a caller without wildcard rights", { caller: NO_WILDCARD, body: () => valid(), status: 403, code: 'WILDCARD_NOT_ALLOWED' }],
    // Extra unknown fields are refused, at every level.
    ['an unknown top-level field', { body: () => ({ ...valid(), admin: true }), status: 400, code: 'INVALID_REQUEST', field: 'admin' }],
    [
      'a misspelt field (resourceAbilityRequest)',
      {
        body: () => ({ pkpPublicKey: pkp.publicKey, resourceAbilityRequest: valid().resourceAbilityRequests }),
        status: 400,
        code: 'INVALID_REQUEST',
        field: 'resourceAbilityRequest',
      },
    ],
    [
      'an unknown field in an entry',
      {
        body: () => rar({ resource: { kind: 'pkp', id: '*' }, ability: 'pkp-signing', uses: 5 }),
        status: 400,
        code: 'INVALID_REQUEST',
        field: 'resourceAbilityRequests[0].uses',
      },
    ],
    [
      'an unknown field in a resource',
      {
        body: () => rar({ resource: { kind: 'pkp', id: '*', prefix: 'lit-pkp' }, ability: 'pkp-signing' }),
        status: 400,
        code: 'INVALID_REQUEST',
        field: 'resourceAbilityRequests[0].resource.prefix',
      },
    ],
    [
      'a __proto__ field',
      {
        raw: () => JSON.stringify(valid()).replace(/^\{/, '{"__proto__":{"admin":true},'),
        contentType: 'application/json',
        status: 400,
        code: 'INVALID_REQUEST',
        field: '__proto__',
      },
    ],
    // Caller auth methods (validated before the policy looks at them).
    [
      'authMethods as an object',
      { body: () => ({ ...valid(), authMethods: { authMethodType: 1, accessToken: 'x' } }), status: 400, code: 'INVALID_REQUEST', field: 'authMethods' },
    ],
    ['authMethods empty', { body: () => ({ ...valid(), authMethods: [] }), status: 400, code: 'INVALID_REQUEST', field: 'authMethods' }],
    [
      'authMethodType as a string',
      {
        body: () => ({ ...valid(), authMethods: [{ authMethodType: '1', accessToken: 'x' }] }),
        status: 400,
        code: 'INVALID_REQUEST',
        field: 'authMethods[0].authMethodType',
      },
    ],
    [
      'an accessToken over 8192 characters',
      {
        body: () => ({ ...valid(), authMethods: [{ authMethodType: 1, accessToken: 'a'.repeat(8_193) }] }),
        status: 400,
        code: 'INVALID_REQUEST',
        field: 'authMethods[0].accessToken',
      },
    ],
    // Duplicate keys: JSON.parse keeps the last one, a proxy in front may read the first.
    [
      'a duplicate key (a bad key first, the good one last)',
      { raw: () => JSON.stringify(valid()).replace(/^\{/, '{"pkpPublicKey":"0x02bad",'), contentType: 'application/json', status: 400, code: 'INVALID_JSON' },
    ],
    [
      'a duplicate key in a resource, spelt with a \\u escape',
      { raw: () => JSON.stringify(valid()).replace('"id":"*"', '"id":"*","\\u0069d":"*"'), contentType: 'application/json', status: 400, code: 'INVALID_JSON' },
    ],
    // Keys of the right shape that are no key: a malformed request, not a policy refusal.
    [
      'pkpPublicKey of the right shape but not a point of secp256k1',
      { body: () => ({ ...valid(), pkpPublicKey: '0x04' + '11'.repeat(64) }), status: 400, code: 'INVALID_REQUEST', field: 'pkpPublicKey' },
    ],
    [
      'pkpPublicKey one digit off the PKP (no longer on the curve)',
      {
        body: () => ({ ...valid(), pkpPublicKey: pkp.publicKey.slice(0, -1) + (pkp.publicKey.endsWith('0') ? '1' : '0') }),
        status: 400,
        code: 'INVALID_REQUEST',
        field: 'pkpPublicKey',
      },
    ],
    // Hostile field names are named by position, never echoed.
    [
      'an unknown field named <script>…</script>',
      { body: () => ({ ...valid(), '<script>alert(document.cookie)</script>': 1 }), status: 400, code: 'INVALID_REQUEST', field: '#3' },
    ],
    ['an unknown field with a 4 KB name', { body: () => ({ ...valid(), ['k'.repeat(4096)]: 1 }), status: 400, code: 'INVALID_REQUEST', field: '#3' }],
    [
      'an unknown field in an entry, named with a newline',
      {
        body: () => rar({ resource: { kind: 'pkp', id: '*' }, ability: 'pkp-signing', 'a\nb': 1 }),
        status: 400,
        code: 'INVALID_REQUEST',
        field: 'resourceAbilityRequests[0].#3',
      },
    ],
    // Size.
    [
      `a body over maxBodyBytes (${MAX_BODY_BYTES})`,
      { body: () => ({ ...valid(), padding: 'x'.repeat(MAX_BODY_BYTES) }), status: 413, code: 'BODY_TOO_LARGE' },
    ],
    [
      'a body one byte over maxBodyBytes',
      { raw: () => JSON.stringify(valid()).padEnd(MAX_BODY_BYTES + 1, ' '), contentType: 'application/json', status: 413, code: 'BODY_TOO_LARGE' },
    ],
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
    // Errors never reflect unbounded input: whatever was sent, the answer stays small and inert.
    expect(res.text.length).toBeLessThan(1_024);
    expect(res.text).not.toMatch(/<script|kkkkkkkkkkkkkkkk|0x02bad/);
    expect(signRounds(stack)).toBe(rounds);
    answered.set(res.body.error.requestId, c.code);
  });

  it("a body over API Gateway's 10 MB payload limit: the gateway answers 413 and the function never runs", async () => {
    const before = stack.functions.invocations('IssueSessionSigs');
    const res = await request(stack, 'POST', '/session-sigs', {
      caller: stack.callers.app,
      rawBody: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20),
      headers: { 'content-type': 'application/json' },
    });
    expectGatewayError(res, 413, 'Request Entity Too Large');
    expect(stack.functions.invocations('IssueSessionSigs')).toBe(before);
  });

  it('hostile requests the gateway refuses: traversal paths, an empty caller, huge or malformed headers; each a JSON answer, no function runs', async () => {
    const before = stack.functions.invocations('IssueSessionSigs');
    /** Written byte for byte (fetch and http.request would normalise or refuse these themselves). */
    const raw = (text: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const socket = net.connect(stack.port, '127.0.0.1', () => socket.write(text));
        const chunks: Buffer[] = [];
        socket.on('data', (c) => chunks.push(c));
        socket.on('error', reject);
        socket.on('end', () => {
          const all = Buffer.concat(chunks).toString('utf8');
          resolve({ status: Number(all.slice(9, 12)), body: all.slice(all.indexOf('\r\n\r\n') + 4) });
        });
      });
    const body = JSON.stringify(valid());
    const post = (target: string, headers = '') =>
      raw(
        `POST ${target} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${headers}connection: close\r\n\r\n${body}`,
      );
    const cases: [string, Promise<{ status: number; body: string }>, number, string][] = [
      ['a dot-dot path', post('/x/../session-sigs', `x-local-caller-arn: ${stack.callers.app}\r\n`), 404, 'Not Found'],
      ['a percent-encoded dot-dot path', post('/x/%2e%2e/session-sigs', `x-local-caller-arn: ${stack.callers.app}\r\n`), 404, 'Not Found'],
      ['an absolute-form target', post(`http://127.0.0.1:${stack.port}/session-sigs`, `x-local-caller-arn: ${stack.callers.app}\r\n`), 404, 'Not Found'],
      ['an empty caller header', post('/session-sigs', 'x-local-caller-arn: \r\n'), 403, 'Forbidden'],
      ['a blank caller header', post('/session-sigs', 'x-local-caller-arn:    \t \r\n'), 403, 'Forbidden'],
      [
        'headers over 10 KB',
        post('/session-sigs', `x-local-caller-arn: ${stack.callers.app}\r\nx-pad: ${'p'.repeat(12 * 1024)}\r\n`),
        431,
        'Request Header Fields Too Large',
      ],
      ['a malformed request line', raw('POST /session-sigs HTTP/9\r\n\r\n'), 400, 'Bad Request'],
    ];
    for (const [name, pending, status, message] of cases) {
      const res = await pending;
      expect({ name, status: res.status, body: JSON.parse(res.body) }).toEqual({ name, status, body: { message } });
    }
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

  describe('POST /pkps and POST /delegation/refresh: bodies and Idempotency-Key', () => {
    /** PKPs the owner holds on chain now (GET /pkps reads the chain). */
    const ownedPkps = async (): Promise<string[]> => {
      const r = await request(stack, 'GET', '/pkps', { caller: stack.callers.admin });
      expect(r.status).toBe(200);
      return (r.body.pkps as { publicKey: string }[]).map((p) => p.publicKey.toLowerCase()).sort();
    };
    const mint = (opts: { rawBody?: string; body?: unknown; key?: string; caller?: string; contentType?: string } = {}) =>
      request(stack, 'POST', '/pkps', {
        caller: opts.caller ?? stack.callers.admin,
        ...(opts.rawBody !== undefined ? { rawBody: opts.rawBody } : {}),
        ...(opts.body !== undefined ? { body: opts.body } : {}),
        headers: { ...(opts.contentType ? { 'content-type': opts.contentType } : {}), ...(opts.key !== undefined ? { 'idempotency-key': opts.key } : {}) },
      });

    it.each([
      ['not JSON', { rawBody: 'not json', contentType: 'application/json' }, 'INVALID_JSON', undefined],
      ['a form body', { rawBody: 'count=2', contentType: 'application/x-www-form-urlencoded' }, 'INVALID_JSON', undefined],
      ['a field', { body: { count: 2 } }, 'INVALID_REQUEST', 'count'],
      ['a hostile field name', { body: { '<img src=x onerror=alert(1)>': 1 } }, 'INVALID_REQUEST', '#1'],
      ['an array', { body: [] }, 'INVALID_REQUEST', 'body'],
      ['null', { body: null }, 'INVALID_REQUEST', 'body'],
      ['a duplicate key', { rawBody: '{"a":1,"a":2}', contentType: 'application/json' }, 'INVALID_JSON', undefined],
      ['a malformed Idempotency-Key (a comma)', { key: 'a,b' }, 'INVALID_REQUEST', 'Idempotency-Key'],
      ['an Idempotency-Key over 255 characters', { key: 'k'.repeat(256) }, 'INVALID_REQUEST', 'Idempotency-Key'],
    ] as const)('POST /pkps with %s: 400, nothing minted', async (_name, opts, code, field) => {
      const before = stack.functions.invocations('MintPkp');
      const res = await mint(opts as never);
      expectServiceError(res, 400, code);
      if (field !== undefined) expect(res.body.error.details).toEqual({ field });
      expect(res.text).not.toMatch(/<img|kkkkkkkkkkkkkkkk/);
      expect(stack.functions.invocations('MintPkp')).toBe(before + 1);
    });

    it('the refused bodies minted nothing on chain', async () => {
      // Every refusal above ran the function (counted) and left the owner's PKPs as they were.
      expect(await ownedPkps()).toEqual(stack.pkps.map((p) => p.publicKey.toLowerCase()).sort());
    });

    it('no body, an empty body and {} are all accepted: the same request', async () => {
      const key = `same-request-${Date.now()}`;
      const first = await mint({ key });
      expect(first.status).toBe(201);
      expect(first.headers['idempotent-replayed']).toBe('false');
      const asEmptyObject = await mint({ key, body: {} });
      expect(asEmptyObject.status).toBe(201);
      expect(asEmptyObject.headers['idempotent-replayed']).toBe('true');
      expect(asEmptyObject.body).toEqual(first.body);
    });

    it('a retried mint with the same Idempotency-Key returns the first PKP and mints nothing more, even when concurrent', async () => {
      const before = await ownedPkps();
      const key = `retry-${Date.now()}`;
      // Two at once (two environments): one mints, the other is told it is in progress, or replays.
      const [a, b] = await Promise.all([mint({ key }), mint({ key })]);
      expect([a.status, b.status].sort()).toEqual(expect.arrayContaining([201]));
      for (const r of [a, b]) {
        if (r.status === 409) expectServiceError(r, 409, 'IDEMPOTENCY_IN_PROGRESS');
        else expect(r.status).toBe(201);
      }
      const minted = [a, b].find((r) => r.status === 201)!.body.pkp;
      const retried = await mint({ key });
      expect(retried.status).toBe(201);
      expect(retried.headers['idempotent-replayed']).toBe('true');
      expect(retried.body.pkp).toEqual(minted);
      const after = await ownedPkps();
      expect(after).toEqual([...before, minted.publicKey.toLowerCase()].sort());

      // Kept in the function's own partition, expiring (TTL) a day later.
      const items = (await scanTable(stack)).filter((i) => i.pk?.S === 'IDEMPOTENCY#MintPkp');
      expect(items.length).toBeGreaterThan(0);
      for (const i of items) {
        expect(i.sk?.S).toMatch(/^MintPkp#/);
        const ttl = Number(i.expiresAt?.N);
        expect(ttl).toBeGreaterThan(Date.now() / 1000 + 86_400 - 600);
        expect(ttl).toBeLessThan(Date.now() / 1000 + 86_400 + 600);
        // The key itself is stored hashed, never as sent.
        expect(JSON.stringify(i)).not.toContain(key);
      }
    });

    it('the same key from another admin is another request: keys are per caller', async () => {
      const key = `per-caller-${Date.now()}`;
      const mine = await mint({ key });
      const theirs = await mint({ key, caller: OTHER_ADMIN });
      expect([mine.status, theirs.status]).toEqual([201, 201]);
      expect(theirs.headers['idempotent-replayed']).toBe('false');
      expect(theirs.body.pkp.publicKey).not.toBe(mine.body.pkp.publicKey);
    });

    it('POST /delegation/refresh: the same key with the same body replays, with another body is 422 IDEMPOTENCY_KEY_REUSED', async () => {
      const key = `refresh-${Date.now()}`;
      const refresh = (body: unknown) =>
        request(stack, 'POST', '/delegation/refresh', { caller: stack.callers.admin, body, headers: { 'idempotency-key': key } });
      const first = await refresh({ force: false });
      expect(first.status).toBe(200);
      expect(first.headers['idempotent-replayed']).toBe('false');
      const again = await refresh({ force: false });
      expect(again.status).toBe(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      const other = await refresh({ force: true });
      expectServiceError(other, 422, 'IDEMPOTENCY_KEY_REUSED');
      expect(other.text).not.toContain(key);
      // Its hostile unknown keys are named by position too.
      const hostile = await request(stack, 'POST', '/delegation/refresh', { caller: stack.callers.admin, body: { '<script>x</script>': true } });
      expectServiceError(hostile, 400, 'INVALID_REQUEST');
      expect(hostile.body.error.details).toEqual({ field: '#1' });
      expect(hostile.text).not.toContain('<script');
    });
  });

  it('after all that, a valid request from the same caller is issued (the refusals cost it nothing)', async () => {
    const res = await request(stack, 'POST', '/session-sigs', { caller: stack.callers.app, body: valid() });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.sessionSigs)).toHaveLength(stack.devnet.nodes.length);
  });
});
