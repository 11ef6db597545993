/**
 * The local API Gateway: an HTTP server on 127.0.0.1 that turns each request into an HTTP API
 * payload 2.0 event for the function the route table maps it to, and the function's result into
 * the response, as API Gateway does:
 * - routes are exact `METHOD /path` keys from lib/routes.ts, matched against the path exactly as
 *   the client sent it (no `..` or `%2e` resolution, no absolute-form targets); anything else is
 *   404 `Not Found`; `rawPath` is what the client sent;
 * - the IAM authorizer is emulated: the caller identity comes from the `x-local-caller-arn`
 *   header (or, without the header, the server's default caller) and lands in
 *   `requestContext.authorizer.iam` with the fields AWS fills for that kind of IAM principal;
 *   `none`, an empty value or a repeated header is an unsigned request, refused with 403
 *   `Forbidden` before any function runs;
 * - bodies over API Gateway's 10 MB payload limit are refused with 413; bodies that are not text
 *   or JSON (by content type) reach the function base64-encoded (`isBase64Encoded`), as on AWS;
 * - a function error is 500 `Internal Server Error`, a timeout 503 `Service Unavailable`;
 * - every refusal is a JSON `{ message }`, those of Node's HTTP parser too (400 malformed request,
 *   431 headers over API Gateway's 10 KB);
 * - one access-log line per request, with the fields of the deployed API's access log.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import type { RouteDef } from '../lib/routes';
import type { InvokeOutcome, LogLine } from './function-host';

export const CALLER_HEADER = 'x-local-caller-arn';
/** The caller header value that makes a request unsigned. */
export const UNSIGNED_CALLER = 'none';
/** API Gateway HTTP API payload limit. */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
/** API Gateway HTTP API limit on the request line and headers together. */
export const MAX_HEADER_BYTES = 10 * 1024;
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

/**
 * Bodies API Gateway HTTP APIs pass as text: text/* and JSON. Everything else (forms, XML,
 * octet streams, no content type at all) reaches the function base64-encoded.
 */
const TEXT_TYPES = /^\s*(text\/[^;\s]+|application\/json|application\/[^;\s]+\+json)\s*(;|$)/i;

function requestId(): string {
  // API Gateway's request ids are short base64 strings ending in '='.
  return randomBytes(10).toString('base64');
}

function gatewayError(res: http.ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ message });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

/**
 * The caller a request names: the header's value exactly as received (never trimmed), the default
 * caller when there is no header, or undefined for an unsigned request (`none`, an empty or blank
 * value, or the header twice: SigV4 has one identity, and an empty header is no identity).
 */
export function callerOf(rawHeaders: readonly string[], defaultCaller: string): string | undefined {
  const values: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i].toLowerCase() === CALLER_HEADER) values.push(rawHeaders[i + 1]);
  if (values.length === 0) return defaultCaller;
  if (values.length > 1) return undefined;
  const [value] = values;
  return value === UNSIGNED_CALLER || value.trim() === '' ? undefined : value;
}

/**
 * The request target split as API Gateway sees it: origin-form only (`/path?query`). An
 * absolute-form (`http://host/path`) or asterisk-form target matches no route.
 */
function splitTarget(target: string): { path: string; query: string } | undefined {
  if (!target.startsWith('/')) return undefined;
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Request Entity Too Large',
  417: 'Expectation Failed',
  431: 'Request Header Fields Too Large',
};

/** Answers a request Node's HTTP parser refused, as JSON like every other refusal, and closes. */
function parserRefusal(socket: Socket, status: number, id: string): void {
  const body = JSON.stringify({ message: STATUS_TEXT[status] ?? 'Bad Request' });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\napigw-requestid: ${id}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const byKey = new Map(options.routes.map((r) => [`${r.method} ${r.path}`, r]));
  const log = options.onLog ?? (() => undefined);

  // Headers are held to API Gateway's 10 KB: over it, Node's parser refuses (431, below).
  const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    const started = Date.now();
    const id = requestId();
    const target = splitTarget(req.url ?? '');
    const method = req.method ?? 'GET';
    const caller = callerOf(req.rawHeaders, options.defaultCaller);
    let status = 0;
    let integrationError: string | undefined;
    res.setHeader('apigw-requestid', id);
    res.on('finish', () => {
      // The deployed API's access-log fields (lib/service-api.ts). The path is bounded: it is the client's.
      log({
        source: 'api',
        text: JSON.stringify({
          requestId: id,
          ip: req.socket.remoteAddress,
          caller: caller ?? '-',
          routeKey: `${method} ${(target?.path ?? '-').slice(0, 200)}`,
          status,
          integrationError: integrationError ?? '-',
          latencyMs: Date.now() - started,
        }),
      });
    });
    const reply = (s: number, message: string, headers?: Record<string, string>) => {
      status = s;
      gatewayError(res, s, message, headers);
    };

    const local = method === 'GET' && target ? options.localRoutes?.[target.path] : undefined;
    if (local) {
      status = 200;
      const body = JSON.stringify(local());
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
      return;
    }
    const route = target ? byKey.get(`${method} ${target.path}`) : undefined;
    if (!route || !target) return reply(404, 'Not Found');
    if (caller === undefined) return reply(403, 'Forbidden');

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
      const asText = raw.length === 0 || TEXT_TYPES.test(String(req.headers['content-type'] ?? ''));
      const event = toEvent(req, target, route, id, caller, raw, asText);
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
          // A whole body with its length, as API Gateway answers (not chunked).
          res.writeHead(r.status, { ...r.headers, 'content-length': String(r.body.length) });
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
  // What Node's parser refuses (a malformed request line, headers over the limit) would otherwise
  // get Node's bare 400 with no body; it gets the gateway's JSON refusal instead.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const id = requestId();
    parserRefusal(socket, status, id);
    log({
      source: 'api',
      text: JSON.stringify({ requestId: id, ip: socket.remoteAddress, caller: '-', routeKey: '-', status, integrationError: '-', latencyMs: 0 }),
    });
  });
  // An Expect header other than 100-continue: Node would answer 417 with no body.
  server.on('checkExpectation', (_req: http.IncomingMessage, res: http.ServerResponse) =>
    gatewayError(res, 417, 'Expectation Failed', { connection: 'close' }),
  );

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

/** The part of an IAM ARN after the partition: `arn:<partition>:<service>::<account>:<resource>`. */
const IAM_ARN = /^arn:(aws[a-z-]*):(iam|sts)::(\d{12}):(.+)$/;

/** 17 characters of an AWS unique id (upper-case base32-like), derived from `seed`: stable per principal. */
function uniqueIdSuffix(seed: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const digest = createHash('sha256').update(seed).digest();
  return Array.from(digest.subarray(0, 17), (b) => alphabet[b % 32]).join('');
}

export interface IamIdentity {
  accessKey: string;
  accountId: string;
  callerId: string;
  cognitoIdentity: null;
  principalOrgId: null;
  userArn: string;
  userId: string;
}

/**
 * `requestContext.authorizer.iam` as API Gateway fills it for a SigV4 caller, by kind of principal
 * (ids are made up but stable per principal, of AWS's shapes):
 * - IAM user `arn:<p>:iam::<acct>:user/<name>`: long-term key `AKIA…`, userId = callerId = `AIDA…`;
 * - assumed role `arn:<p>:sts::<acct>:assumed-role/<role>/<session>`: temporary key `ASIA…`,
 *   userId = callerId = `AROA…:<session>` (the role's id, the session name);
 * - federated user `arn:<p>:sts::<acct>:federated-user/<name>`: `ASIA…`, `<acct>:<name>`;
 * - the account root `arn:<p>:iam::<acct>:root`: `AKIA…`, the account id;
 * - an IAM role ARN (a local shorthand: a request is always made by a session of a role):
 *   as an assumed-role session named `local`.
 * Any partition (`aws`, `aws-cn`, `aws-us-gov`…) is read the same way.
 */
export function iamIdentity(userArn: string): IamIdentity {
  const m = IAM_ARN.exec(userArn);
  const accountId = m?.[3] ?? LOCAL_ACCOUNT_ID;
  const resource = m?.[4] ?? userArn;
  const base = { accountId, cognitoIdentity: null, principalOrgId: null, userArn } as const;
  const session = (principalId: string) => ({
    ...base,
    accessKey: `ASIA${uniqueIdSuffix(`key:${userArn}`).slice(0, 16)}`,
    callerId: principalId,
    userId: principalId,
  });
  const longTerm = (principalId: string) => ({
    ...base,
    accessKey: `AKIA${uniqueIdSuffix(`key:${userArn}`).slice(0, 16)}`,
    callerId: principalId,
    userId: principalId,
  });
  const assumed = /^assumed-role\/([^/]+)\/(.+)$/.exec(resource);
  if (m?.[2] === 'sts' && assumed) return session(`AROA${uniqueIdSuffix(`role:${m[1]}:${accountId}:${assumed[1]}`)}:${assumed[2]}`);
  const federated = /^federated-user\/(.+)$/.exec(resource);
  if (m?.[2] === 'sts' && federated) return session(`${accountId}:${federated[1]}`);
  const role = /^role\/(?:.*\/)?([^/]+)$/.exec(resource);
  if (m?.[2] === 'iam' && role) return session(`AROA${uniqueIdSuffix(`role:${m[1]}:${accountId}:${role[1]}`)}:local`);
  if (m?.[2] === 'iam' && resource === 'root') return longTerm(accountId);
  return longTerm(`AIDA${uniqueIdSuffix(`user:${userArn}`)}`);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `requestContext.time` as API Gateway writes it: `12/Mar/2020:19:03:58 +0000` (CLF, UTC). */
export function requestTime(at: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(at.getUTCDate())}/${MONTHS[at.getUTCMonth()]}/${at.getUTCFullYear()}:${two(at.getUTCHours())}:${two(at.getUTCMinutes())}:${two(at.getUTCSeconds())} +0000`;
}

/** The Host header without its port: API Gateway's `domainName` never carries one. */
function domainOf(host: string | undefined): string {
  if (!host) return '127.0.0.1';
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1) || host;
  return host.replace(/:\d*$/, '');
}

/** An HTTP API payload 2.0 event with the IAM authorizer's context, as API Gateway sends it. */
export function apiGatewayEvent(input: EventInput): unknown {
  const now = new Date();
  const routeKey = `${input.route.method} ${input.route.path}`;
  const rawPath = input.rawPath ?? input.route.path;
  const headers = input.headers ?? {};
  const raw = input.body?.raw ?? Buffer.alloc(0);
  const asText = input.body?.asText ?? true;
  const domainName = domainOf(input.host);
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
      authorizer: { iam: iamIdentity(input.caller) },
      domainName,
      domainPrefix: domainName.split('.')[0],
      http: {
        method: input.route.method,
        path: rawPath,
        protocol: input.protocol ?? 'HTTP/1.1',
        sourceIp: input.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: input.requestId ?? requestId(),
      routeKey,
      stage: '$default',
      time: requestTime(now),
      timeEpoch: now.getTime(),
    },
    ...(raw.length ? { body: asText ? raw.toString('utf8') : raw.toString('base64') } : {}),
    isBase64Encoded: raw.length > 0 && !asText,
  };
}

function toEvent(
  req: http.IncomingMessage,
  target: { path: string; query: string },
  route: RouteDef,
  id: string,
  caller: string,
  raw: Buffer,
  asText: boolean,
): unknown {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [k, v] of Object.entries(req.headers)) {
    if (k === CALLER_HEADER || v === undefined) continue;
    if (k === 'cookie') cookies.push(...String(v).split(/;\s*/));
    else headers[k] = Array.isArray(v) ? v.join(',') : v;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(target.query)) query[k] = k in query ? `${query[k]},${v}` : v;
  return apiGatewayEvent({
    route,
    caller,
    requestId: id,
    rawPath: target.path,
    rawQueryString: target.query,
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
