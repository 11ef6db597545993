/**
 * Typed errors with stable codes. Every failure a caller can see is one of these; the HTTP
 * status for each code is declared once, here, and nowhere else.
 *
 * Messages must never carry secret material (owner key, session secret keys, auth sigs): they
 * go to callers and to logs as they are.
 */

export const ERROR_STATUS = {
  // 400: the request is malformed; nothing reached Lit or storage.
  INVALID_JSON: 400,
  INVALID_REQUEST: 400,
  BODY_TOO_LARGE: 413,
  // 401/403: who is calling, and what the policy lets them do (default deny).
  UNAUTHENTICATED: 401,
  CALLER_NOT_ALLOWED: 403,
  ADMIN_REQUIRED: 403,
  PKP_NOT_ALLOWED: 403,
  ABILITY_NOT_ALLOWED: 403,
  WILDCARD_NOT_ALLOWED: 403,
  AUTH_METHODS_NOT_ALLOWED: 403,
  EXPIRATION_TOO_LONG: 403,
  // Lit Action authentication: the policy does not allow this action (refused before any storage
  // or node round); the action ran and did not answer true.
  LIT_ACTION_NOT_ALLOWED: 403,
  LIT_ACTION_DENIED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  // Idempotency-Key (the IETF httpapi draft's statuses): a request with this key is still running,
  // or the key was used before with another request.
  IDEMPOTENCY_IN_PROGRESS: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  // The Lit Action threw, timed out or ran out of memory on the nodes: the action's own fault,
  // which the same request will meet again.
  LIT_ACTION_FAILED: 422,
  RATE_LIMITED: 429,
  // 502: Lit nodes answered and refused; the node's own error kind travels in `details`.
  LIT_NODE_ERROR: 502,
  // The nodes could not fetch the action's code by its CID (IPFS).
  LIT_ACTION_UNAVAILABLE: 502,
  // 503: a dependency is not ready; retrying later may work.
  LIT_UNAVAILABLE: 503,
  NO_VALID_DELEGATION: 503,
  OWNER_KEY_UNAVAILABLE: 503,
  STORAGE_UNAVAILABLE: 503,
  CHAIN_UNAVAILABLE: 503,
  // 500: a bug. The message is generic; the log has the request id.
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Details that are safe to show a caller: short strings and numbers only. */
export type ErrorDetails = Record<string, string | number | boolean | string[] | undefined>;

export class ServiceError extends Error {
  readonly code: ErrorCode;
  readonly details?: ErrorDetails;
  /** Whether a caller may retry the same request later (503/429/some 502). */
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: { details?: ErrorDetails; cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ServiceError';
    this.code = code;
    this.details = options.details;
    const status = ERROR_STATUS[code];
    this.retryable = options.retryable ?? (status === 503 || status === 429);
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export function isServiceError(e: unknown): e is ServiceError {
  return e instanceof ServiceError;
}

/** Shape of every error response body. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; requestId: string; details?: ErrorDetails };
}

/** Anything thrown becomes a ServiceError; unknown errors become INTERNAL with a generic message. */
export function toServiceError(e: unknown): ServiceError {
  if (isServiceError(e)) return e;
  return new ServiceError('INTERNAL', 'Internal error', { cause: e });
}

export function errorBody(e: ServiceError, requestId: string): ErrorBody {
  const body: ErrorBody = { error: { code: e.code, message: e.message, requestId } };
  if (e.details && Object.keys(e.details).length > 0) body.error.details = e.details;
  return body;
}
