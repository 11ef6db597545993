/**
 * The local API Gateway and the emulated Lambda environments, with test functions bundled by the
 * same esbuild step as the service's: the payload 2.0 event, the emulated IAM authorizer, the
 * gateway's own answers (404, 403, 413, 500, 503), warm and cold environments, timeouts, crashes,
 * init failures, the loopback guard, and what reaches the logs.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RouteDef } from '../../lib/routes';
import { bundleFunctions } from '../../local/bundle';
import { FunctionHost, type LogLine } from '../../local/function-host';
import { CALLER_HEADER, MAX_HEADER_BYTES, MAX_PAYLOAD_BYTES, startGateway, type Gateway } from '../../local/http-gateway';

jest.setTimeout(120_000);

const needs = { ownerKey: false, table: {}, lit: false } as const;
const ROUTES: RouteDef[] = [
  {
    id: 'Echo',
    method: 'POST',
    path: '/echo',
    entry: 'test/local/fixtures/echo-handler.ts',
    description: 'echo',
    admin: false,
    needs,
    timeoutSeconds: 5,
    memoryMb: 256,
  },
  {
    id: 'Misbehave',
    method: 'POST',
    path: '/misbehave',
    entry: 'test/local/fixtures/misbehaving-handler.ts',
    description: 'misbehave',
    admin: false,
    needs,
    timeoutSeconds: 1,
    memoryMb: 256,
  },
  {
    id: 'FailingInit',
    method: 'GET',
    path: '/init',
    entry: 'test/local/fixtures/failing-init-handler.ts',
    description: 'init',
    admin: false,
    needs,
    memoryMb: 256,
  },
];
const DEFAULT_CALLER = 'arn:aws:iam::000000000000:user/default-caller';
const CALLER = 'arn:aws:sts::123456789012:assumed-role/app/i-1';

describe('local API Gateway and Lambda environments', () => {
  let dir: string;
  let host: FunctionHost;
  let gateway: Gateway;
  const logs: LogLine[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-test-'));
    const bundles = await bundleFunctions(ROUTES, path.join(dir, 'bundles'));
    host = new FunctionHost({
      functions: ROUTES,
      bundles,
      environment: (def) => ({ FIXTURE_VALUE: `value-for-${def.id}`, FIXTURE_FAIL_INIT: 'yes' }),
      onLog: (l) => logs.push(l),
    });
    gateway = await startGateway({
      routes: ROUTES,
      invoke: (id, e) => host.invoke(id, e),
      defaultCaller: DEFAULT_CALLER,
      onLog: (l) => logs.push(l),
      localRoutes: { '/_local/info': () => ({ hello: 'local' }) },
    });
  });

  afterAll(async () => {
    await gateway?.close();
    await host?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const post = (p: string, body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}) =>
    fetch(`${gateway.url}${p}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

  it('turns a request into a payload 2.0 event with the caller where the IAM authorizer puts it', async () => {
    const res = await post('/echo?x=1&x=2&y=z', JSON.stringify({ a: 1 }), { [CALLER_HEADER]: CALLER, 'x-custom': 'kept' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-fixture')).toBe('echo');
    expect(res.headers.get('apigw-requestid')).toMatch(/=$/);
    const out = await res.json();
    expect(out.event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /echo',
      rawPath: '/echo',
      rawQueryString: 'x=1&x=2&y=z',
      queryStringParameters: { x: '1,2', y: 'z' },
      body: '{"a":1}',
      isBase64Encoded: false,
      requestContext: {
        http: { method: 'POST', path: '/echo', sourceIp: '127.0.0.1' },
        authorizer: { iam: { userArn: CALLER, accountId: '123456789012' } },
        stage: '$default',
        routeKey: 'POST /echo',
      },
    });
    expect(out.event.requestContext.requestId).toBe(res.headers.get('apigw-requestid'));
    expect(out.event.headers['x-custom']).toBe('kept');
    expect(out.event.headers[CALLER_HEADER]).toBeUndefined(); // identity travels only in the authorizer context
    // The function's own environment, memory and deadline.
    expect(out).toMatchObject({ functionName: 'Echo', memory: '256', env: { FIXTURE_VALUE: 'value-for-Echo' } });
    expect(out.remaining).toBeGreaterThan(0);
    expect(out.remaining).toBeLessThanOrEqual(5_000);
    expect(out.pid).toBe(process.pid); // a thread, not a process: nothing to leave behind
  });

  it('uses the default caller without the header, and refuses an unsigned request before any function runs', async () => {
    const out = await (await post('/echo', '{}')).json();
    expect(out.event.requestContext.authorizer.iam.userArn).toBe(DEFAULT_CALLER);
    const before = host.invocations('Echo');
    const unsigned = await post('/echo', '{}', { [CALLER_HEADER]: 'none' });
    expect(unsigned.status).toBe(403);
    expect(await unsigned.json()).toEqual({ message: 'Forbidden' });
    expect(host.invocations('Echo')).toBe(before);
  });

  /** One request written byte for byte on a fresh socket (fetch would normalise the target); the whole answer. */
  const rawRequest = (text: string): Promise<{ status: number; headers: string; body: string }> =>
    new Promise((resolve, reject) => {
      const socket = net.connect(gateway.port, '127.0.0.1', () => socket.write(text));
      const chunks: Buffer[] = [];
      socket.on('data', (c) => chunks.push(c));
      socket.on('error', reject);
      socket.on('end', () => {
        const all = Buffer.concat(chunks).toString('utf8');
        const split = all.indexOf('\r\n\r\n');
        resolve({ status: Number(all.slice(9, 12)), headers: all.slice(0, split), body: all.slice(split + 4) });
      });
    });
  const rawPost = (target: string, extraHeaders = '') =>
    rawRequest(
      `POST ${target} HTTP/1.1\r\nhost: 127.0.0.1:${gateway.port}\r\ncontent-type: application/json\r\ncontent-length: 2\r\n${extraHeaders}connection: close\r\n\r\n{}`,
    );

  it('an empty, blank or repeated caller header is an unsigned request (403), never the default caller', async () => {
    const before = host.invocations('Echo');
    for (const value of ['', '   ', '\t']) {
      const res = await rawPost('/echo', `${CALLER_HEADER}: ${value}\r\n`);
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body)).toEqual({ message: 'Forbidden' });
    }
    const twice = await rawPost('/echo', `${CALLER_HEADER}: ${CALLER}\r\n${CALLER_HEADER}: ${DEFAULT_CALLER}\r\n`);
    expect(twice.status).toBe(403);
    expect(host.invocations('Echo')).toBe(before);
    // A value is used exactly as received: nothing inside it is trimmed or rewritten.
    const spaced = 'arn:aws:iam::123456789012:user/two  words';
    const out = JSON.parse((await rawPost('/echo', `${CALLER_HEADER}: ${spaced}\r\n`)).body);
    expect(out.event.requestContext.authorizer.iam.userArn).toBe(spaced);
  });

  it("routes on the path exactly as sent: no dot-segment or percent-decoding, no absolute-form targets; rawPath is the client's", async () => {
    const before = host.invocations('Echo');
    for (const target of [
      '/x/../echo',
      '/./echo',
      '/%2e%2e/echo',
      '/x/%2e%2e/echo',
      '/%65cho',
      '//echo',
      '/echo/',
      `http://127.0.0.1:${gateway.port}/echo`,
      '*',
    ]) {
      const res = await rawPost(target);
      expect({ target, status: res.status, body: JSON.parse(res.body) }).toEqual({ target, status: 404, body: { message: 'Not Found' } });
    }
    expect(host.invocations('Echo')).toBe(before);
    const out = JSON.parse((await rawPost('/echo?a=%41&b=1+2&a=x')).body);
    expect(out.event).toMatchObject({
      rawPath: '/echo',
      rawQueryString: 'a=%41&b=1+2&a=x',
      queryStringParameters: { a: 'A,x', b: '1 2' },
      requestContext: { http: { path: '/echo' } },
    });
  });

  it('passes text and JSON bodies as text, and base64-encodes every other content type, as HTTP APIs do', async () => {
    const body = 'a=1&b=<x/>';
    const encoding = async (contentType?: string) => {
      const out = await (await fetch(`${gateway.url}/echo`, { method: 'POST', body, headers: contentType ? { 'content-type': contentType } : {} })).json();
      const decoded = out.event.isBase64Encoded ? Buffer.from(out.event.body, 'base64').toString('utf8') : out.event.body;
      expect(decoded).toBe(body);
      return out.event.isBase64Encoded;
    };
    for (const t of [
      'application/json',
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/problem+json',
      'text/plain',
      'text/html; charset=utf-8',
      'text/xml',
    ])
      expect({ t, base64: await encoding(t) }).toEqual({ t, base64: false });
    for (const t of [
      'application/x-www-form-urlencoded',
      'application/xml',
      'application/javascript',
      'application/octet-stream',
      'multipart/form-data; boundary=x',
      'application/jsonx',
      'image/png',
    ])
      expect({ t, base64: await encoding(t) }).toEqual({ t, base64: true });
    // fetch sends a string body as text/plain unless told otherwise: a body with no content type needs a raw request.
    const none = JSON.parse((await rawRequest(`POST /echo HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}`)).body);
    expect(none.event).toMatchObject({ isBase64Encoded: true, body: Buffer.from('{}').toString('base64') });
  });

  it("answers what Node's HTTP parser refuses as JSON too: malformed request 400, headers over 10 KB 431", async () => {
    const before = host.invocations('Echo');
    const malformed = await rawRequest('THIS IS NOT HTTP\r\n\r\n');
    expect(malformed.status).toBe(400);
    expect(malformed.headers).toMatch(/content-type: application\/json/i);
    expect(JSON.parse(malformed.body)).toEqual({ message: 'Bad Request' });
    const badHeader = await rawRequest('POST /echo HTTP/1.1\r\nhost: x\r\nbad header: x\r\n\r\n');
    expect(badHeader.status).toBe(400);
    expect(JSON.parse(badHeader.body)).toEqual({ message: 'Bad Request' });
    const big = await rawPost('/echo', `x-big: ${'a'.repeat(MAX_HEADER_BYTES + 1)}\r\n`);
    expect(big.status).toBe(431);
    expect(JSON.parse(big.body)).toEqual({ message: 'Request Header Fields Too Large' });
    const expectation = await rawPost('/echo', 'expect: 200-ok\r\n');
    expect(expectation.status).toBe(417);
    expect(JSON.parse(expectation.body)).toEqual({ message: 'Expectation Failed' });
    expect(host.invocations('Echo')).toBe(before);
    // Headers just under the limit still reach the function.
    expect((await rawPost('/echo', `x-big: ${'a'.repeat(MAX_HEADER_BYTES - 400)}\r\n`)).status).toBe(200);
  });

  it('fills the event as AWS does for IAM callers: identity shapes per kind of principal and partition, request time, domain without port', async () => {
    const eventFor = async (caller: string) => (await (await post('/echo', '{}', { [CALLER_HEADER]: caller })).json()).event;
    const role = await eventFor('arn:aws:sts::123456789012:assumed-role/app-backend/i-0abc');
    expect(role.requestContext.authorizer.iam).toEqual({
      accessKey: expect.stringMatching(/^ASIA[A-Z2-7]{16}$/),
      accountId: '123456789012',
      callerId: expect.stringMatching(/^AROA[A-Z2-7]{17}:i-0abc$/),
      cognitoIdentity: null,
      principalOrgId: null,
      userArn: 'arn:aws:sts::123456789012:assumed-role/app-backend/i-0abc',
      userId: expect.stringMatching(/^AROA[A-Z2-7]{17}:i-0abc$/),
    });
    expect(role.requestContext.authorizer.iam.userId).toBe(role.requestContext.authorizer.iam.callerId);
    // Another session of the same role: the same role id, another session name.
    const other = await eventFor('arn:aws:sts::123456789012:assumed-role/app-backend/i-0def');
    expect(other.requestContext.authorizer.iam.userId.split(':')[0]).toBe(role.requestContext.authorizer.iam.userId.split(':')[0]);
    const user = (await eventFor('arn:aws:iam::123456789012:user/alice')).requestContext.authorizer.iam;
    expect(user).toMatchObject({
      accessKey: expect.stringMatching(/^AKIA[A-Z2-7]{16}$/),
      userId: expect.stringMatching(/^AIDA[A-Z2-7]{17}$/),
      accountId: '123456789012',
    });
    expect(user.callerId).toBe(user.userId);
    expect((await eventFor('arn:aws:sts::123456789012:federated-user/bob')).requestContext.authorizer.iam).toMatchObject({
      userId: '123456789012:bob',
      accessKey: expect.stringMatching(/^ASIA/),
    });
    expect((await eventFor('arn:aws:iam::123456789012:root')).requestContext.authorizer.iam).toMatchObject({
      userId: '123456789012',
      callerId: '123456789012',
    });
    for (const partition of ['aws-cn', 'aws-us-gov']) {
      const iam = (await eventFor(`arn:${partition}:sts::210987654321:assumed-role/r/s`)).requestContext.authorizer.iam;
      expect(iam).toMatchObject({ accountId: '210987654321', userId: expect.stringMatching(/^AROA[A-Z2-7]{17}:s$/) });
    }
    expect(role.requestContext.time).toMatch(/^\d{2}\/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(Math.abs(Date.parse(role.requestContext.time.replace(/^(\d{2})\/(\w{3})\/(\d{4}):/, '$2 $1 $3 ')) - role.requestContext.timeEpoch)).toBeLessThan(
      1_000,
    );
    expect(role.requestContext).toMatchObject({ domainName: '127.0.0.1', domainPrefix: '127' });
    expect(role.headers.host).toBe(`127.0.0.1:${gateway.port}`);
  });

  it('answers 404 for a path or method outside the route table, and serves local routes', async () => {
    expect((await post('/nothing', '{}')).status).toBe(404);
    const wrongMethod = await fetch(`${gateway.url}/echo`);
    expect(wrongMethod.status).toBe(404);
    expect(await wrongMethod.json()).toEqual({ message: 'Not Found' });
    expect(await (await fetch(`${gateway.url}/_local/info`)).json()).toEqual({ hello: 'local' });
  });

  it('base64-encodes a binary body, and decodes a base64 response', async () => {
    const out = await (await post('/echo', new Uint8Array([0, 159, 146, 150]), { 'content-type': 'application/octet-stream' })).json();
    expect(out.event.isBase64Encoded).toBe(true);
    expect([...Buffer.from(out.event.body, 'base64')]).toEqual([0, 159, 146, 150]);
    const bin = await post('/misbehave', JSON.stringify({ do: 'binary' }));
    expect([...new Uint8Array(await bin.arrayBuffer())]).toEqual([0, 1, 2, 255]);
    const plain = await post('/misbehave', JSON.stringify({ do: 'plain' }));
    expect(plain.status).toBe(200);
    expect(await plain.json()).toEqual({ plain: true });
  });

  it('refuses a body over the 10 MB payload limit with 413, without invoking', async () => {
    const before = host.invocations('Echo');
    const res = await post('/echo', new Uint8Array(MAX_PAYLOAD_BYTES + 1));
    expect(res.status).toBe(413);
    expect(host.invocations('Echo')).toBe(before);
  });

  it('keeps an environment warm, and recycle makes the next invocation a cold start', async () => {
    const stamp = async () => (await (await post('/echo', '{}')).json()).threadStamp;
    const a = await stamp();
    expect(await stamp()).toBe(a);
    const cold = host.coldStartCount('Echo');
    await host.recycle('Echo');
    const b = await stamp();
    expect(b).not.toBe(a);
    expect(host.coldStartCount('Echo')).toBe(cold + 1);
  });

  it('a timeout is 503 and retires the environment; the next request gets a fresh one', async () => {
    const cold = host.coldStartCount('Misbehave');
    const res = await post('/misbehave', JSON.stringify({ do: 'sleep', ms: 3_000 }));
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ message: 'Service Unavailable' });
    const next = await post('/misbehave', '{}');
    expect(await next.json()).toEqual({ ok: true });
    expect(host.coldStartCount('Misbehave')).toBeGreaterThan(cold);
  });

  it('a thrown error is 500 with nothing of its message, in the response or the logs', async () => {
    const res = await post('/misbehave', JSON.stringify({ do: 'throw' }));
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('{"message":"Internal Server Error"}');
    const lines = logs.filter((l) => l.source === 'Misbehave').map((l) => l.text);
    expect(lines.some((t) => /"errorType":"RangeError"/.test(t))).toBe(true);
    expect(lines.join('\n')).not.toMatch(/secret-looking|deadbeef/);
  });

  it('an uncaught exception kills the environment: 500, then a fresh environment serves', async () => {
    const res = await post('/misbehave', JSON.stringify({ do: 'crash' }));
    expect(res.status).toBe(500);
    expect(await (await post('/misbehave', '{}')).json()).toEqual({ ok: true });
  });

  it('the loopback guard stops a function from reaching the network, and logs it', async () => {
    const out = await (await post('/misbehave', JSON.stringify({ do: 'fetch-outside' }))).json();
    expect(out.reached).toBe(false);
    expect(out.error).toMatch(/offline guard/);
    for (let i = 0; i < 20 && !logs.some((l) => /loopback guard blocked/.test(l.text)); i++) await new Promise((r) => setTimeout(r, 100));
    expect(logs.find((l) => /loopback guard blocked/.test(l.text))?.text).toMatch(/example\.com/);
  });

  it('an init failure is 500 and is retried in a fresh environment next time', async () => {
    const first = await fetch(`${gateway.url}/init`);
    expect(first.status).toBe(500);
    expect(logs.some((l) => l.source === 'FailingInit' && /function init failed.*TypeError/.test(l.text))).toBe(true);
    const second = await fetch(`${gateway.url}/init`);
    expect(second.status).toBe(500);
    expect(host.coldStartCount('FailingInit')).toBe(2);
  });

  it('runs one invocation per environment, scaling out to the limit (2 here) and no further', async () => {
    await host.recycle('Misbehave');
    const cold = host.coldStartCount('Misbehave');
    const results = await Promise.all(Array.from({ length: 4 }, () => post('/misbehave', JSON.stringify({ do: 'sleep', ms: 300 }))));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(host.coldStartCount('Misbehave') - cold).toBe(2);
    expect(host.environmentCount('Misbehave')).toBe(2);
  });

  it('queued invocations wait for an environment; the timeout counts from when one takes them', async () => {
    // One environment, a 1 s timeout, three 600 ms invocations at once: 1.8 s in all, none timed out.
    const single = new FunctionHost({
      functions: ROUTES,
      bundles: await bundleFunctions(ROUTES, path.join(dir, 'bundles')),
      environment: () => ({}),
      maxEnvironments: 1,
    });
    try {
      const outcomes = await Promise.all(Array.from({ length: 3 }, () => single.invoke('Misbehave', { body: JSON.stringify({ do: 'sleep', ms: 600 }) })));
      expect(outcomes.map((o) => o.kind)).toEqual(['result', 'result', 'result']);
      expect(single.coldStartCount('Misbehave')).toBe(1);
    } finally {
      await single.stop();
    }
  });

  it('writes one access-log line per request with the route, caller and status', () => {
    const access = logs.filter((l) => l.source === 'api').map((l) => JSON.parse(l.text));
    expect(access.length).toBeGreaterThan(10);
    expect(access).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ routeKey: 'POST /echo', caller: CALLER, status: 200 }),
        expect.objectContaining({ routeKey: 'POST /echo', caller: '-', status: 403 }),
        expect.objectContaining({ routeKey: 'POST /misbehave', status: 503, integrationError: 'timeout' }),
        expect.objectContaining({ routeKey: 'POST /misbehave', status: 500, integrationError: 'RangeError' }),
      ]),
    );
  });
});
