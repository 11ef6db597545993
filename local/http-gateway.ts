/**
 * The local API Gateway: an HTTP server on 127.0.0.1 that turns each request into an HTTP API
 * payload 2.0 event for the function the route table maps it to, and the function's result into
 * the response, as API Gateway does:
 * - routes are exact `METHOD /path` keys from lib/routes.ts; anything else is 404 `Not Found`;
 * - the IAM authorizer is emulated: the caller identity comes from the `x-local-caller-arn`
 *   header (or the server's default caller) and lands in `requestContext.authorizer.iam`; the
 *   value `none` is an unsigned request, refused with 403 `Forbidden` before any function runs;
 * - bodies over API Gateway's 10 MB payload limit are refused with 413; non-text bodies reach the
 *   function base64-encoded (`isBase64Encoded`);
 * - a function error is 500 `Internal Server Error`, a timeout 503 `Service Unavailable`;
 * - one access-log line per request, with the fields of the deployed API's access log.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { RouteDef } from '../lib/routes';
import type { InvokeOutcome, LogLine } from './function-host';

export const CALLER_HEADER = 'x-local-caller-arn';
/** The caller header value that makes a request unsigned. */
export const UNSIGNED_CALLER = 'none';
/** API Gateway HTTP API payload limit. */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
export const LOCAL_ACCOUNT_ID = '000000000000';

export interface GatewayOptions {
  routes: readonly RouteDef[];
  invoke: (functionId: string, event: unknown) => Promise<InvokeOutcome>;
  /** The caller of requests without the header. */
  defaultCaller: string;
  port?: number;
  /** Local-only GET routes (not API routes): path → JSON body. */
  localRoutes?: Record<string, () => unknown>;
  onLog?: (line: LogLine) => void;
}

export interface Gateway {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A bind failure that names what to do. */
export class GatewayListenError extends Error {
  readonly code: string;
  constructor(port: number, cause: NodeJS.ErrnoException) {
    super(
      cause.code === 'EADDRINUSE'
        ? `port ${port} on 127.0.0.1 is already in use. Stop what holds it, or pass --port with another port (--port 0 picks a free one)`
        : `cannot listen on 127.0.0.1:${port} (${cause.code ?? cause.message})`,
    );
    this.name = 'GatewayListenError';
    this.code = cause.code ?? 'LISTEN_FAILED';
  }
}

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+json|[^;]*\+xml)/i;

function requestId(): string {
  // API Gateway's request ids are short base64 strings ending in '='.
  return randomBytes(10).toString('base64');
}

function gatewayError(res: http.ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ message });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const byKey = new Map(options.routes.map((r) => [`${r.method} ${r.path}`, r]));
  const log = options.onLog ?? (() => undefined);

  const server = http.createServer((req, res) => {
    const started = Date.now();
    const id = requestId();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const callerHeader = req.headers[CALLER_HEADER];
    const caller = (Array.isArray(callerHeader) ? callerHeader[0] : callerHeader)?.trim() || options.defaultCaller;
    let status = 0;
    let integrationError: string | undefined;
    res.setHeader('apigw-requestid', id);
    res.on('finish', () => {
      // The deployed API's access-log fields (lib/service-api.ts).
      log({
        source: 'api',
        text: JSON.stringify({ requestId: id, ip: req.socket.remoteAddress, caller: caller === UNSIGNED_CALLER ? '-' : caller, routeKey: `${method} ${url.pathname}`, status, integrationError: integrationError ?? '-', latencyMs: Date.now() - started }),
      });
    });
    const reply = (s: number, message: string, headers?: Record<string, string>) => {
      status = s;
      gatewayError(res, s, message, headers);
    };

    const local = method === 'GET' ? options.localRoutes?.[url.pathname] : undefined;
    if (local) {
      status = 200;
      const body = JSON.stringify(local());
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
      return;
    }
    const route = byKey.get(`${method} ${url.pathname}`);
    if (!route) return reply(404, 'Not Found');
    if (caller === UNSIGNED_CALLER) return reply(403, 'Forbidden');

    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_PAYLOAD_BYTES) {
      req.resume();
      return reply(413, 'Request Entity Too Large', { connection: 'close' });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (c: Buffer) => {
      if (refused) return;
      size += c.length;
      if (size > MAX_PAYLOAD_BYTES) {
        refused = true;
        reply(413, 'Request Entity Too Large', { connection: 'close' });
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (refused) return;
      const raw = Buffer.concat(chunks);
      const contentType = String(req.headers['content-type'] ?? '');
      const asText = raw.length === 0 || contentType === '' || TEXT_TYPES.test(contentType);
      const event = toEvent(req, url, route, id, caller, raw, asText);
      options.invoke(route.id, event).then(
        (outcome) => {
          if (outcome.kind === 'timeout') {
            integrationError = 'timeout';
            return reply(503, 'Service Unavailable');
          }
          if (outcome.kind === 'error') {
            integrationError = outcome.errorType;
            return reply(500, 'Internal Server Error');
          }
          const r = toResponse(outcome.value);
          status = r.status;
          res.writeHead(r.status, r.headers);
          res.end(r.body);
        },
        () => {
          integrationError = 'invoke';
          reply(500, 'Internal Server Error');
        },
      );
    });
  });
  // Longer than clients' idle pools (undici keeps 4 s+): a server closing an idle socket just as a
  // client reuses it is a reset. close() drops every connection, so this never delays a stop.
  server.keepAliveTimeout = 65_000;

  const port = options.port ?? 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new GatewayListenError(port, e)));
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** What an HTTP API payload 2.0 event is built from. */
export interface EventInput {
  route: Pick<RouteDef, 'method' | 'path'>;
  caller: string;
  requestId?: string;
  rawPath?: string;
  rawQueryString?: string;
  headers?: Record<string, string>;
  cookies?: string[];
  query?: Record<string, string>;
  body?: { raw: Buffer; asText: boolean };
  sourceIp?: string;
  protocol?: string;
  host?: string;
}

/** An HTTP API payload 2.0 event with the IAM authorizer's context, as API Gateway sends it. */
export function apiGatewayEvent(input: EventInput): unknown {
  const now = new Date();
  const routeKey = `${input.route.method} ${input.route.path}`;
  const rawPath = input.rawPath ?? input.route.path;
  const headers = input.headers ?? {};
  const raw = input.body?.raw ?? Buffer.alloc(0);
  const asText = input.body?.asText ?? true;
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: input.rawQueryString ?? '',
    ...(input.cookies?.length ? { cookies: input.cookies } : {}),
    headers,
    ...(input.query && Object.keys(input.query).length ? { queryStringParameters: input.query } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: 'local',
      authorizer: {
        iam: {
          accessKey: 'ASIALOCALLOCALLOCAL0',
          accountId: /^arn:aws:[a-z]+::(\d{12}):/.exec(input.caller)?.[1] ?? LOCAL_ACCOUNT_ID,
          callerId: 'AIDALOCAL',
          cognitoIdentity: null,
          principalOrgId: null,
          userArn: input.caller,
          userId: 'AIDALOCAL',
        },
      },
      domainName: input.host ?? '127.0.0.1',
      domainPrefix: '127',
      http: { method: input.route.method, path: rawPath, protocol: input.protocol ?? 'HTTP/1.1', sourceIp: input.sourceIp ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: input.requestId ?? requestId(),
      routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(raw.length ? { body: asText ? raw.toString('utf8') : raw.toString('base64') } : {}),
    isBase64Encoded: raw.length > 0 && !asText,
  };
}

function toEvent(req: http.IncomingMessage, url: URL, route: RouteDef, id: string, caller: string, raw: Buffer, asText: boolean): unknown {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [k, v] of Object.entries(req.headers)) {
    if (k === CALLER_HEADER || v === undefined) continue;
    if (k === 'cookie') cookies.push(...String(v).split(/;\s*/));
    else headers[k] = Array.isArray(v) ? v.join(',') : v;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  return apiGatewayEvent({
    route,
    caller,
    requestId: id,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    cookies,
    query,
    body: { raw, asText },
    sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    protocol: `HTTP/${req.httpVersion}`,
    host: req.headers.host,
  });
}

/** Payload 2.0 response mapping: a structured result, or any other value as a JSON 200. */
function toResponse(value: unknown): { status: number; headers: Record<string, string>; body: Buffer } {
  if (value && typeof value === 'object' && 'statusCode' in value) {
    const r = value as { statusCode: number; headers?: Record<string, unknown>; body?: string; isBase64Encoded?: boolean };
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = String(v);
    const body = r.body === undefined ? Buffer.alloc(0) : r.isBase64Encoded ? Buffer.from(r.body, 'base64') : Buffer.from(r.body, 'utf8');
    return { status: r.statusCode, headers, body };
  }
  const body = Buffer.from(JSON.stringify(value ?? null), 'utf8');
  return { status: 200, headers: { 'content-type': 'application/json' }, body };
}
