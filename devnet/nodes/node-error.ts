/**
 * Refusals a devnet node sends, in the real Lit node's wire shapes (LIT-Protocol/Node v1.0.18).
 *
 * The node's usual body is lit-core's `PublicError` (rust/lit-core/lit-core/src/error/public.rs:9-22):
 * `{ errorKind, errorCode?, status, message?, correlationId?, details? }`, where `message` is the
 * code's fixed description (or the kind's text when the code has none, or when there is no code),
 * `errorKind` is the kind of the constructor that raised it (not the code's declared kind), the
 * specific reason is in `details`, and `correlationId` is the request's X-Correlation-Id /
 * X-Request-Id, present only for errors raised inside the handler's context. A few refusals have
 * other shapes (Rocket's own catchers, the rate limit, Lit Action errors): `RawRefusal`.
 *
 * Details never echo a request's secrets: where the real node would quote a signature or a whole
 * message, the devnet quotes only what the check was about (a time, a URI, an address).
 */
import { KIND_TEXT, REAL_ERROR_CODES, type ErrorKindName, type RealErrorCodeName } from './real-error-codes';

/**
 * The one code the devnet adds: a request the real node would serve but the devnet does not
 * emulate (an endpoint, an auth method type). The real node has no such code; the message says so.
 */
export const DEVNET_NOT_EMULATED = 'DevnetNotEmulated';

export type NodeErrorCode = RealErrorCodeName | typeof DEVNET_NOT_EMULATED;

/** The body a Lit node sends with a non-2xx status (lit-core PublicError). */
export interface LitNodeErrorBody {
  errorKind: ErrorKindName;
  errorCode?: NodeErrorCode;
  status: number;
  message?: string;
  correlationId?: string;
  details?: string[];
}

/** Any non-2xx answer: a status and a body, given the request's correlation id. */
export abstract class NodeRefusal extends Error {
  abstract readonly status: number;
  abstract body(correlationId: string | undefined): unknown;
  /** The errorCode the body carries, if any (for counters and tests). */
  abstract readonly code: string | undefined;
}

export interface PublicErrorOptions {
  /** The wire's errorKind: the kind of the constructor the real node raises it with. Default: the code's declared kind, or Unexpected without a code. */
  kind?: ErrorKindName;
  /** Raised before the handler's tracing context (v1.rs pre-checks, catchers): no correlationId. */
  withoutCorrelationId?: boolean;
  /** Override the status (only where the real node's status is not the code's: e.g. 500 without a code). */
  status?: number;
  /** A Lit Action's console output, added as `logs` (lit-api-core `handle_with_logs`, error/handler.rs:26-30). */
  logs?: string;
}

/** A lit-core PublicError refusal. */
export class PublicErrorRefusal extends NodeRefusal {
  readonly code: NodeErrorCode | undefined;
  readonly kind: ErrorKindName;
  readonly status: number;
  readonly details: string[];
  private readonly withCorrelationId: boolean;
  private readonly logs: string | undefined;

  constructor(code: NodeErrorCode | undefined, details: string[], options: PublicErrorOptions = {}) {
    super(details[0] ?? code ?? 'refused');
    this.name = 'PublicErrorRefusal';
    this.code = code;
    this.details = details;
    const declared = code && code !== DEVNET_NOT_EMULATED ? REAL_ERROR_CODES[code] : undefined;
    this.kind = options.kind ?? declared?.kind ?? 'Unexpected';
    // lit-core: status = the code's http_status, or 500 when the chain carries no code.
    this.status = options.status ?? (code === DEVNET_NOT_EMULATED ? 501 : (declared?.status ?? 500));
    this.withCorrelationId = !options.withoutCorrelationId;
    this.logs = options.logs;
  }

  body(correlationId: string | undefined): LitNodeErrorBody & { logs?: string } {
    const declared = this.code && this.code !== DEVNET_NOT_EMULATED ? REAL_ERROR_CODES[this.code] : undefined;
    const description: string | undefined = declared && 'description' in declared ? declared.description : undefined;
    // Keys in the struct's order (serde_json with preserve_order); the SDK does not mind either way.
    const body: LitNodeErrorBody = { errorKind: this.kind, ...(this.code ? { errorCode: this.code } : {}), status: this.status };
    body.message = this.code === DEVNET_NOT_EMULATED ? 'devnet: not emulated by this devnet' : (description ?? KIND_TEXT[this.kind]);
    if (this.withCorrelationId && correlationId) body.correlationId = correlationId;
    if (this.details.length > 0) body.details = this.details;
    return this.logs === undefined ? body : { ...body, logs: this.logs };
  }
}

/** A refusal whose body is not a PublicError (Rocket catchers, rate limit, Lit Action error). */
export class RawRefusal extends NodeRefusal {
  readonly code: string | undefined;
  constructor(
    readonly status: number,
    private readonly raw: Record<string, unknown>,
    what: string,
  ) {
    super(what);
    this.name = 'RawRefusal';
    this.code = typeof raw.errorCode === 'string' ? raw.errorCode : undefined;
  }
  body(): unknown {
    return this.raw;
  }
}

/**
 * A PublicError the way most node checks raise it: `validation_err_code(reason, code)` plus
 * `.add_source_to_details()` at the call site and again in the handler, so the reason appears
 * twice, once with the kind's prefix ("validation error: …") and once bare.
 */
export function refuse(code: NodeErrorCode | undefined, reason: string, options: PublicErrorOptions & { twice?: boolean } = {}): PublicErrorRefusal {
  return new PublicErrorRefusal(code, options.twice === false ? [reason] : [reason, reason], options);
}

/** Throws `refusal()` unless `condition` holds. */
export function refuseUnless(condition: unknown, refusal: () => NodeRefusal): asserts condition {
  if (!condition) throw refusal();
}

/** What the devnet refuses because it does not emulate it (the real node would serve it). */
export function notEmulated(what: string): PublicErrorRefusal {
  return new PublicErrorRefusal(DEVNET_NOT_EMULATED, [`devnet: ${what} is not emulated by this devnet; the real Lit node would serve it`]);
}

/** Rocket's default catcher body (rocket 0.5 `default_handler`, JSON for `Accept: application/json`). */
const ROCKET_REASONS: Record<number, [string, string]> = {
  400: ['Bad Request', 'The request could not be understood by the server due to malformed syntax.'],
  404: ['Not Found', 'The requested resource could not be found.'],
  413: ['Payload Too Large', 'The request is larger than the server is willing or able to process.'],
};

export function rocketDefault(status: 400 | 404 | 413): RawRefusal {
  const [reason, description] = ROCKET_REASONS[status];
  return new RawRefusal(status, { error: { code: status, reason, description } }, `rocket ${status}`);
}

/** The node's 422 catcher (rust/lit-node/src/main.rs:94-113): a body whose types or required fields are wrong. */
export function badInput(): PublicErrorRefusal {
  return new PublicErrorRefusal('NodeBadInput', ['caught rocket 422: bad input error'], { kind: 'Unexpected', withoutCorrelationId: true });
}

/** The rate limit refusal (rust/lit-node/src/endpoints/pkp.rs:127-137): HTTP 400, not a PublicError. */
export function rateLimitExceeded(tryAgainAt: Date | undefined): RawRefusal {
  const when = tryAgainAt ? `at ${tryAgainAt.toISOString()}` : 'later.';
  return new RawRefusal(400, { message: `Rate limit exceeded.  Try again ${when}`, errorCode: 'rate_limit_exceeded' }, 'rate limit exceeded');
}
