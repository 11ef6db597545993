/**
 * The HTTP edge of every API function (API Gateway HTTP API, payload format 2.0, IAM auth):
 * who is calling, the JSON body, and one wrapper that turns any outcome into a response.
 *
 * Error responses are always `{ error: { code, message, requestId, details? } }` with the status
 * from ERROR_STATUS (errors.ts, the one place codes map to HTTP). Unknown errors become INTERNAL
 * with a generic message: a thrown SDK error may quote auth sigs or keys, so its text never
 * reaches a caller, and the log gets only its class name and code.
 */
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { routeDef } from '../../lib/routes';
import { API_INTEGRATION_TIMEOUT_MS, type PolicyConfig } from './config';
import { runtimeConfig, tableAdapters } from './composition';
import { requireAdmin } from './domain/policy';
import { ServiceError, errorBody, toServiceError } from './errors';
import type { AuditEntry } from './ports';
import { instrumented, logger as defaultLogger, metrics as defaultMetrics } from './powertools';

export type ApiEvent = APIGatewayProxyEventV2WithIAMAuthorizer;

export interface ApiResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** What a route function returns on success: a status (default 200) and a JSON-serializable body. */
export interface RouteResult {
  status?: number;
  body: unknown;
  /** Extra response headers (lower-case names). */
  headers?: Record<string, string>;
}

/** Per-invocation facts a route needs besides the event. */
export interface ApiContext {
  /** The id a caller sees in error bodies: API Gateway's request id (in its access log too). */
  requestId: string;
  /**
   * Unix ms by which the function must have answered: the earlier of the Lambda deadline and the
   * gateway's (request time + integration timeout), minus a safety margin.
   */
  deadlineMs: number;
}

/** Seconds a caller should wait before retrying a 503 when the error names no better value. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;
/** Time kept back from the Lambda deadline to write the response, audit and flush metrics. */
const DEADLINE_SAFETY_MS = 1_500;

/** The caller's IAM principal ARN, as the IAM authorizer reports it. */
export function callerArn(event: ApiEvent): string {
  const arn = event.requestContext?.authorizer?.iam?.userArn;
  if (typeof arn !== 'string' || arn.length === 0) {
    throw new ServiceError('UNAUTHENTICATED', 'The request carries no IAM caller identity (SigV4-sign it)');
  }
  return arn;
}

/**
 * Parses the JSON body. An absent or empty body is `undefined` (the route's validator decides
 * whether that is allowed). Base64 bodies (API Gateway sets `isBase64Encoded` for some content
 * types) are decoded first; the size limit applies to the decoded bytes.
 */
export function parseJsonBody(event: Pick<ApiEvent, 'body' | 'isBase64Encoded'>, maxBytes: number): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  // A base64 body is 4/3 the size of its bytes: refuse an obviously huge one before decoding it.
  const rawLength = Buffer.byteLength(event.body, 'utf8');
  if (rawLength > (event.isBase64Encoded ? Math.ceil((maxBytes * 4) / 3) + 4 : maxBytes)) throw tooLarge(maxBytes);
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (bytes.length > maxBytes) throw tooLarge(maxBytes);
  const text = bytes.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ServiceError('INVALID_JSON', 'The request body is not valid JSON');
  }
  // JSON.parse keeps the last of two equal keys; a proxy or WAF in front may read the first, and
  // then it has checked another request than the one served. Such a body is refused whole.
  const duplicate = duplicateKeyOffset(text);
  if (duplicate !== undefined) {
    throw new ServiceError('INVALID_JSON', 'The request body is not valid JSON for this API: an object has the same key twice', {
      details: { position: duplicate },
    });
  }
  return parsed;
}

/**
 * The character offset of the first key that repeats an earlier key of the same object, or
 * undefined. `text` must already be valid JSON (JSON.parse accepted it): then only strings and
 * the six structural characters matter, and keys are compared decoded (`"a"` equals `"\u0061"`).
 *
 * Hand-written on purpose (about 30 lines, iterative): the maintained JSON AST parsers either do
 * not survive esbuild (jsonc-parser's UMD build requires its modules from inside a factory) or
 * recurse per nesting level (momoa overflows the stack on the ~8000 levels a 16 KB body can hold).
 */
export function duplicateKeyOffset(text: string): number | undefined {
  // One entry per open container: the keys seen so far for an object, null for an array.
  const open: (Set<string> | null)[] = [];
  let keyNext = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let end = i + 1;
      while (text.charCodeAt(end) !== 0x22) end += text.charCodeAt(end) === 0x5c /* \ */ ? 2 : 1;
      if (keyNext) {
        const keys = open[open.length - 1]!;
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (keys.has(key)) return i;
        keys.add(key);
        keyNext = false;
      }
      i = end;
    } else if (c === 0x7b /* { */) {
      open.push(new Set());
      keyNext = true;
    } else if (c === 0x5b /* [ */) {
      open.push(null);
      keyNext = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      open.pop();
      keyNext = false;
    } else if (c === 0x2c /* , */) {
      keyNext = open[open.length - 1] instanceof Set;
    }
  }
  return undefined;
}

function tooLarge(maxBytes: number): ServiceError {
  return new ServiceError('BODY_TOO_LARGE', `The request body exceeds ${maxBytes} bytes`, { details: { maxBytes } });
}

/** `?name=true` (or `1`) in the query string. */
export function queryFlag(event: Pick<ApiEvent, 'queryStringParameters'>, name: string): boolean {
  const v = event.queryStringParameters?.[name];
  return v === 'true' || v === '1';
}

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

/** The response for any thrown value. Never includes a stack, a cause, or an unknown error's text. */
export function errorResponse(e: unknown, requestId: string): { response: ApiResponse; error: ServiceError } {
  const error = toServiceError(e);
  const headers: Record<string, string> = {};
  if (error.status === 429 || error.status === 503) {
    const hinted = error.details?.retryAfterSeconds;
    const seconds = typeof hinted === 'number' && hinted > 0 ? Math.ceil(hinted) : DEFAULT_RETRY_AFTER_SECONDS;
    headers['retry-after'] = String(seconds);
  }
  return { response: jsonResponse(error.status, errorBody(error, requestId), headers), error };
}

/** The minimal logger and metrics surface the wrapper uses (Powertools in production). */
export interface ApiHandlerDeps {
  logger?: Pick<typeof defaultLogger, 'addContext' | 'appendKeys' | 'resetKeys' | 'info' | 'warn' | 'error'>;
  metrics?: Pick<typeof defaultMetrics, 'publishStoredMetrics' | 'hasStoredMetrics'>;
  now?: () => number;
  /** The caller policy admin routes are checked against. @default the runtime config's */
  policy?: () => PolicyConfig;
  /** Where a refused admin attempt on an audited route is recorded. @default the table's audit log */
  auditRefusal?: (entry: AuditEntry) => Promise<void>;
}

/** Lambda's context, reduced to what the wrapper reads (tests pass a literal). */
export type LambdaContextLike = Pick<Context, 'awsRequestId' | 'getRemainingTimeInMillis'> & Partial<Context>;

/**
 * Wraps the route `routeId` of the route table (lib/routes.ts): refuses a non-admin caller of an
 * `admin` route before the route runs, adds the request id to every log line, maps every thrown
 * error to the error body, sets JSON headers and Retry-After, and flushes metrics whatever happened.
 * The admin check is here, from the table, so the table and what is enforced cannot disagree.
 */
export function apiHandler(
  routeId: string,
  route: (event: ApiEvent, ctx: ApiContext) => Promise<RouteResult>,
  deps: ApiHandlerDeps = {},
): (event: ApiEvent, context: LambdaContextLike) => Promise<APIGatewayProxyStructuredResultV2> {
  const { admin: adminOnly, auditAction } = routeDef(routeId);
  const auditRefusal = deps.auditRefusal ?? ((entry: AuditEntry) => tableAdapters().auditLog.record(entry));
  const policy = deps.policy ?? (() => runtimeConfig().policy);
  const log = deps.logger ?? defaultLogger;
  const mets = deps.metrics ?? defaultMetrics;
  const now = deps.now ?? Date.now;
  return (event, context) =>
    instrumented(
      context,
      async () => {
        const requestId = event.requestContext?.requestId ?? context.awsRequestId;
        log.appendKeys({ requestId, route: event.routeKey });
        const ctx: ApiContext = { requestId, deadlineMs: requestDeadline(event, context, now()) };
        try {
          if (adminOnly) {
            try {
              requireAdmin(policy(), callerArn(event));
            } catch (refusal) {
              // The route audits every attempt it runs; one refused here before it runs is audited too.
              if (auditAction) {
                const code = toServiceError(refusal).code;
                const entry: AuditEntry = {
                  requestId,
                  caller: callerArn(event),
                  action: auditAction,
                  resources: [],
                  outcome: 'refused',
                  errorCode: code,
                  at: now(),
                };
                await auditRefusal(entry).catch(() => log.error('audit record not written', { auditOutcome: 'refused', action: auditAction, errorCode: code }));
              }
              throw refusal;
            }
          }
          const result = await route(event, ctx);
          return jsonResponse(result.status ?? 200, result.body, result.headers);
        } catch (e) {
          const { response, error } = errorResponse(e, requestId);
          // The code and (for unknown errors) the class name only: messages of foreign errors may quote secrets.
          const logged = { errorCode: error.code, status: error.status, ...(error.code === 'INTERNAL' ? { errorType: errorTypeName(e) } : {}) };
          if (error.status >= 500) log.error('request failed', logged);
          else log.info('request refused', logged);
          return response;
        }
      },
      { logger: log, metrics: mets },
    );
}

/**
 * The time a route has. The gateway's clock started at `timeEpoch` and includes a cold start's
 * init, which the Lambda's remaining time does not see: on a slow cold start the gateway would
 * answer a bare 503 while the function still worked. An event without a usable `timeEpoch`
 * (tests, direct invocation) gets the Lambda budget alone.
 */
export function requestDeadline(event: Pick<ApiEvent, 'requestContext'>, context: Partial<Pick<Context, 'getRemainingTimeInMillis'>>, nowMs: number): number {
  const remaining = typeof context.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : API_INTEGRATION_TIMEOUT_MS;
  let end = nowMs + remaining;
  const received = event.requestContext?.timeEpoch;
  if (typeof received === 'number' && Number.isFinite(received) && received > 0) end = Math.min(end, received + API_INTEGRATION_TIMEOUT_MS);
  return Math.max(nowMs, end - DEADLINE_SAFETY_MS);
}

/** A thrown value's class name, safe to log (never its message). */
export function errorTypeName(e: unknown): string {
  if (e instanceof Error) return e.name || e.constructor?.name || 'Error';
  return typeof e;
}
