import type { AuditEntry } from '../../functions/commons/ports';
import { apiHandler, callerArn, duplicateKeyOffset, errorResponse, parseJsonBody, requestDeadline, type ApiEvent } from '../../functions/commons/http';
import { ERROR_STATUS, ServiceError, type ErrorCode } from '../../functions/commons/errors';
import { ROUTES } from '../../lib/routes';
import { callerPolicy } from './fakes';

function event(over: Partial<ApiEvent> & { userArn?: string | null } = {}): ApiEvent {
  const { userArn = 'arn:aws:iam::123456789012:user/alice', ...rest } = over;
  return {
    version: '2.0',
    routeKey: 'POST /session-sigs',
    rawPath: '/session-sigs',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'x',
      domainPrefix: 'x',
      http: { method: 'POST', path: '/session-sigs', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest' },
      requestId: 'req-123',
      routeKey: 'POST /session-sigs',
      stage: '$default',
      time: '',
      timeEpoch: 0,
      authorizer: userArn === null ? (undefined as never) : { iam: { userArn } as never },
    },
    ...rest,
  } as ApiEvent;
}

const lambdaContext = { awsRequestId: 'lambda-1', getRemainingTimeInMillis: () => 29_000 };

class RecordingLog {
  lines: unknown[][] = [];
  addContext() {}
  appendKeys() {}
  resetKeys() {}
  info(...a: unknown[]) {
    this.lines.push(['info', ...a]);
  }
  warn(...a: unknown[]) {
    this.lines.push(['warn', ...a]);
  }
  error(...a: unknown[]) {
    this.lines.push(['error', ...a]);
  }
}

function wrap(route: Parameters<typeof apiHandler>[1], routeId = 'GetDelegation', admin = false) {
  const log = new RecordingLog();
  let flushed = 0;
  const audits: AuditEntry[] = [];
  const h = apiHandler(routeId, route, {
    logger: log as never,
    metrics: { hasStoredMetrics: () => true, publishStoredMetrics: () => (flushed++, undefined) as never },
    policy: () => ({ callers: [callerPolicy({ principal: 'arn:aws:iam::123456789012:user/alice', admin })] }),
    auditRefusal: async (entry) => void audits.push(entry),
  });
  return { h, log, flushed: () => flushed, audits };
}

describe('admin routes: the route table decides, the wrapper enforces', () => {
  it.each(ROUTES.map((r) => [r.id, r.admin] as const))('%s (admin: %s): a non-admin caller is refused exactly when the table says admin', async (id, admin) => {
    let ran = 0;
    const { h } = wrap(async () => (ran++, { body: {} }), id);
    const res = await h(event(), { awsRequestId: 'a' } as never);
    const outcome = { status: res.statusCode, code: JSON.parse(res.body as string).error?.code, ran };
    expect(outcome).toEqual(admin ? { status: 403, code: 'ADMIN_REQUIRED', ran: 0 } : { status: 200, code: undefined, ran: 1 });
  });
  it('a refused non-admin is audited on the routes that audit every attempt (refresh, mint), and only there', async () => {
    const audited: Record<string, unknown[]> = {};
    for (const r of ROUTES.filter((d) => d.admin)) {
      const { h, audits } = wrap(async () => ({ body: {} }), r.id);
      await h(event(), { awsRequestId: 'a' } as never);
      audited[r.id] = audits.map((a) => ({ action: a.action, outcome: a.outcome, errorCode: a.errorCode }));
    }
    expect(audited).toEqual({
      RefreshDelegation: [{ action: 'refresh-delegation', outcome: 'refused', errorCode: 'ADMIN_REQUIRED' }],
      ListPkps: [],
      MintPkp: [{ action: 'mint-pkp', outcome: 'refused', errorCode: 'ADMIN_REQUIRED' }],
    });
    const admin = wrap(async () => ({ body: {} }), 'MintPkp', true);
    await admin.h(event(), { awsRequestId: 'a' } as never);
    expect(admin.audits).toEqual([]); // the route itself audits what it runs
  });
  it('an admin caller gets every admin route', async () => {
    for (const r of ROUTES.filter((d) => d.admin)) {
      const { h } = wrap(async () => ({ body: {} }), r.id, true);
      expect((await h(event(), { awsRequestId: 'a' } as never)).statusCode).toBe(200);
    }
  });
  it('a handler wired to a route the table does not have fails at load', () => {
    expect(() => apiHandler('NoSuchRoute', async () => ({ body: {} }))).toThrow('No route NoSuchRoute');
  });
});

describe('caller identity', () => {
  it('reads the IAM user ARN', () => {
    expect(callerArn(event())).toBe('arn:aws:iam::123456789012:user/alice');
  });
  it('missing caller → 401 UNAUTHENTICATED through the wrapper', async () => {
    const { h } = wrap(async (e) => ({ body: { caller: callerArn(e) } }));
    for (const ev of [event({ userArn: null }), event({ userArn: '' })]) {
      const res = await h(ev, lambdaContext);
      expect(res.statusCode).toBe(401);
      expect(JSON.parse(res.body as string).error.code).toBe('UNAUTHENTICATED');
    }
  });
});

describe('JSON body', () => {
  it('parses plain and base64 bodies; empty is undefined', () => {
    expect(parseJsonBody({ body: '{"a":1}', isBase64Encoded: false }, 100)).toEqual({ a: 1 });
    expect(parseJsonBody({ body: Buffer.from('{"a":"é"}').toString('base64'), isBase64Encoded: true }, 100)).toEqual({ a: 'é' });
    expect(parseJsonBody({ body: undefined, isBase64Encoded: false }, 100)).toBeUndefined();
    expect(parseJsonBody({ body: '', isBase64Encoded: false }, 100)).toBeUndefined();
  });
  it('oversized → 413 BODY_TOO_LARGE, measured in decoded bytes', async () => {
    const { h } = wrap(async (e) => ({ body: parseJsonBody(e, 1024) }));
    const big = JSON.stringify({ pad: 'x'.repeat(1100) });
    const res = await h(event({ body: big }), lambdaContext);
    expect(res.statusCode).toBe(413);
    expect(JSON.parse(res.body as string).error).toMatchObject({ code: 'BODY_TOO_LARGE', requestId: 'req-123', details: { maxBytes: 1024 } });
    const b64 = await h(event({ body: Buffer.from(big).toString('base64'), isBase64Encoded: true }), lambdaContext);
    expect(b64.statusCode).toBe(413);
    // 1000 bytes decoded is fine even though its base64 form is longer than 1024 characters.
    const ok = JSON.stringify({ pad: 'y'.repeat(985) });
    expect(Buffer.from(ok).toString('base64').length).toBeGreaterThan(1024);
    const fine = await h(event({ body: Buffer.from(ok).toString('base64'), isBase64Encoded: true }), lambdaContext);
    expect(fine.statusCode).toBe(200);
  });
  it('multi-byte characters count as bytes', () => {
    expect(() => parseJsonBody({ body: JSON.stringify('é'.repeat(60)), isBase64Encoded: false }, 100)).toThrow(
      expect.objectContaining({ code: 'BODY_TOO_LARGE' }),
    );
  });
  it.each([
    ['at the top level', '{"pkpPublicKey":"0x02bad","pkpPublicKey":"0x04good"}'],
    ['spelt differently but equal once decoded', '{"force":true,"\\u0066orce":false}'],
    ['in a nested object', '{"a":[{"kind":"pkp","id":"*","id":"1"}]}'],
    ['after a string value that looks like a key', '{"a":"b","c":{"a":1},"a":2}'],
  ])('duplicate keys %s → 400 INVALID_JSON, the key not echoed', (_name, body) => {
    let error: ServiceError | undefined;
    try {
      parseJsonBody({ body, isBase64Encoded: false }, 1024);
    } catch (e) {
      error = e as ServiceError;
    }
    expect(error?.code).toBe('INVALID_JSON');
    expect(error?.details).toEqual({ position: expect.any(Number) });
    expect(body.slice(error!.details!.position as number)).toMatch(/^"/);
    expect(error!.message).not.toMatch(/pkpPublicKey|force|"id"/);
  });

  it('equal keys in different objects, and keys equal to values, are not duplicates', () => {
    expect(parseJsonBody({ body: '{"a":{"a":1},"b":[{"a":1},{"a":2}],"c":"a","d":"\\"a"}', isBase64Encoded: false }, 1024)).toEqual({
      a: { a: 1 },
      b: [{ a: 1 }, { a: 2 }],
      c: 'a',
      d: '"a',
    });
  });

  it('the duplicate scan copes with the deepest nesting a body can hold (no recursion)', () => {
    const deep = '['.repeat(8_000) + ']'.repeat(8_000);
    expect(duplicateKeyOffset(deep)).toBeUndefined();
    expect(duplicateKeyOffset('{"x":' + '['.repeat(8_000) + ']'.repeat(8_000) + ',"x":1}')).toBe(16_006);
  });

  it('invalid JSON → 400 INVALID_JSON without echoing the body', async () => {
    const { h } = wrap(async (e) => ({ body: parseJsonBody(e, 1024) }));
    const res = await h(event({ body: '{"secret": "0xSECRETVALUE"' }), lambdaContext);
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('INVALID_JSON');
    expect(res.body).not.toContain('SECRETVALUE');
  });
});

describe('error mapping', () => {
  it.each(Object.entries(ERROR_STATUS) as Array<[ErrorCode, number]>)('%s → %i with the error body shape', (code, status) => {
    const { response } = errorResponse(new ServiceError(code, `msg for ${code}`), 'rid');
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toBe('application/json');
    const body = JSON.parse(response.body);
    expect(body).toEqual({ error: { code, message: `msg for ${code}`, requestId: 'rid' } });
    if (status === 429 || status === 503) expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    else expect(response.headers['retry-after']).toBeUndefined();
  });

  it('uses retryAfterSeconds from details for Retry-After', () => {
    const { response } = errorResponse(new ServiceError('RATE_LIMITED', 'slow down', { details: { retryAfterSeconds: 17.2 } }), 'rid');
    expect(response.headers['retry-after']).toBe('18');
  });

  it('unknown errors → 500 INTERNAL with a generic message, no stack, no cause text; the log has no message either', async () => {
    const secret = '0x' + 'ab'.repeat(32);
    const { h, log, flushed } = wrap(async () => {
      throw new TypeError(`boom with private key ${secret}`);
    });
    const res = await h(event(), lambdaContext);
    expect(res.statusCode).toBe(500);
    const body = JSON.parse(res.body as string);
    expect(body).toEqual({ error: { code: 'INTERNAL', message: 'Internal error', requestId: 'req-123' } });
    expect(res.body).not.toContain('boom');
    expect(res.body).not.toContain('at ');
    expect(JSON.stringify(log.lines)).not.toContain(secret);
    expect(JSON.stringify(log.lines)).toContain('TypeError');
    expect(flushed()).toBe(1);
  });

  it('non-Error throws map to INTERNAL too', async () => {
    const { h } = wrap(async () => {
      throw 'a string';
    });
    const res = await h(event(), lambdaContext);
    expect(res.statusCode).toBe(500);
  });

  it('success: JSON headers, status, metrics flushed', async () => {
    const { h, flushed } = wrap(async () => ({ status: 201, body: { ok: true } }));
    const res = await h(event(), lambdaContext);
    expect(res).toMatchObject({ statusCode: 201, headers: { 'content-type': 'application/json' } });
    expect(JSON.parse(res.body as string)).toEqual({ ok: true });
    expect(flushed()).toBe(1);
  });

  it('gives the route a deadline inside the Lambda time budget', async () => {
    let deadline = 0;
    const { h } = wrap(async (_e, ctx) => {
      deadline = ctx.deadlineMs;
      return { body: {} };
    });
    const before = Date.now();
    await h(event(), { awsRequestId: 'x', getRemainingTimeInMillis: () => 10_000 });
    expect(deadline).toBeGreaterThan(before);
    expect(deadline).toBeLessThan(before + 10_000);
  });

  it("budgets from the request's timeEpoch: a cold start's init already used part of the gateway's 29 s", async () => {
    let deadline = 0;
    const { h } = wrap(async (_e, ctx) => {
      deadline = ctx.deadlineMs;
      return { body: {} };
    });
    const received = Date.now() - 12_000; // the gateway got it 12 s ago (init took that long)
    const e = event();
    e.requestContext.timeEpoch = received;
    await h(e, { awsRequestId: 'x', getRemainingTimeInMillis: () => 29_000 });
    // 29 s from the request, minus the safety margin; not 29 s from now.
    expect(deadline).toBe(received + 29_000 - 1_500);
  });

  it('takes the Lambda deadline when it comes first, and never a deadline in the past', () => {
    const now = 1_000_000;
    const ctx = (ms: number) => ({ getRemainingTimeInMillis: () => ms });
    expect(requestDeadline({ requestContext: { timeEpoch: now } } as ApiEvent, ctx(5_000), now)).toBe(now + 5_000 - 1_500);
    expect(requestDeadline({ requestContext: { timeEpoch: now - 40_000 } } as ApiEvent, ctx(29_000), now)).toBe(now);
    expect(requestDeadline({ requestContext: { timeEpoch: 0 } } as ApiEvent, ctx(29_000), now)).toBe(now + 29_000 - 1_500);
  });
});
