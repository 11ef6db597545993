/**
 * Lit SDK errors → ServiceErrors. SDK error messages quote whole node responses and sometimes
 * request parameters (auth sigs), so no SDK text is ever copied: only short identifiers that
 * pass a strict character check (the node's errorKind / errorCode, the SDK's error code).
 */
import { ServiceError, isServiceError } from '../../errors';

const SAFE_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const safeId = (v: unknown): string | undefined => (typeof v === 'string' && SAFE_ID.test(v) ? v : undefined);

export interface LitFailureDetails {
  /** The node's errorKind (e.g. Validation) or the SDK's error kind (e.g. Unexpected). */
  errorKind?: string;
  /** The node's errorCode (e.g. NodeInvalidAuthSig) or the SDK's error code (e.g. init_error). */
  errorCode?: string;
}

type LitErrorShape = { name?: unknown; code?: unknown; kind?: unknown; info?: { errorCode?: unknown }; message?: unknown };

/** Reads the identifiers of a Lit SDK error (or node reply quoted in it). Never returns free text. */
export function litFailureDetails(e: unknown): LitFailureDetails {
  if (typeof e !== 'object' || e === null) return {};
  const err = e as LitErrorShape;
  if (err.name === 'NodeError') {
    // The SDK keeps errorCode in `info`; errorKind only survives inside the quoted node response.
    const quoted = typeof err.message === 'string' ? /"errorKind"\s*:\s*"([^"]{1,64})"/.exec(err.message)?.[1] : undefined;
    return { errorKind: safeId(quoted), errorCode: safeId(err.info?.errorCode) };
  }
  return { errorKind: safeId(err.kind), errorCode: safeId(err.code) };
}

/** Is this an error the nodes returned (as opposed to a local or connection failure)? */
export function isNodeError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as LitErrorShape).name === 'NodeError';
}

/**
 * Node error codes that describe the network's state, not the request: retrying later can
 * succeed (LIT_UNAVAILABLE, 503). Codes and bodies as LIT-Protocol/Node v1.0.18 sends them
 * (rust/lit-node/src/error.rs; the timeout and rate-limit bodies of utils/web.rs:819-832 and
 * endpoints/pkp.rs:127-137). NodeInvalidBlockhash: the node's RPC has not seen the nonce's block yet.
 */
const TRANSIENT_NODE_CODES = new Set([
  'NodeSystemFault',
  'NodeRpcError',
  'NodeBlockchainError',
  'NodeBLSRootKeyNotFound',
  'NodeConcurrencyOverload',
  'NodeInvalidBlockhash',
  'CoreApiHttpClientTimeout',
  'CoreApiHttpClientConnectFailed',
  'request_timeout',
  'rate_limit_exceeded',
]);

/**
 * SDK errors the SDK raises before any network call, about the parameters it was given: the
 * service called it wrongly, which retrying will not fix (INTERNAL, 500).
 */
const SDK_PARAMETER_ERRORS = new Set([
  'InvalidArgumentException',
  'InvalidParamType',
  'ParamsMissingError',
  'ParamNullError',
  'WrongParamFormat',
  'LitNodeClientBadConfigError',
  'RemovedFunctionError',
  'UnsupportedMethodError',
]);

/** The prefix of the SDK's NodeError message before the nodes' most common reply, JSON-encoded (lit-core.js _throwNodeError). */
const REPLY_MARKER = 'Response from the nodes: ';

/**
 * The nodes' most common error reply (the `error` of `{"success":false,"error":…}`) that the SDK
 * quotes, JSON-encoded, in a NodeError's message, parsed; undefined if it is not there. The SDK
 * keeps no structured copy (its `cause` becomes an Error of "[object Object]"), and a reply
 * without errorCode (an action that threw) is told apart by its shape only. Read from the
 * structure, never by searching the text: the action's error text and logs are inside it.
 */
export function quotedNodeReply(e: unknown): Record<string, unknown> | undefined {
  const message = typeof e === 'object' && e !== null ? (e as LitErrorShape).message : undefined;
  if (typeof message !== 'string') return undefined;
  const start = message.indexOf(REPLY_MARKER) + REPLY_MARKER.length;
  if (start < REPLY_MARKER.length || message[start] !== '{') return undefined;
  // The JSON object ends where its braces balance outside strings (verror appends ": <cause>").
  let depth = 0;
  let inString = false;
  for (let i = start; i < message.length; i++) {
    const c = message[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if ((c === '}' || c === ']') && --depth === 0) {
      try {
        const error = (JSON.parse(message.slice(start, i + 1)) as { error?: unknown }).error;
        return typeof error === 'object' && error !== null && !Array.isArray(error) ? (error as Record<string, unknown>) : undefined;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * What the nodes said about a Lit Action, as LIT-Protocol/Node v1.0.18 answers sign_session_key
 * (endpoints/web_client.rs, the "Validate the Lit Action result" block): the action did not answer
 * true (401 NodeLitActionsSessionSigAuthenticationFailed) → LIT_ACTION_DENIED; it threw (400
 * `{"success":false,"error":"<js error>","logs":…}`, no errorCode), timed out or hit the memory
 * limit (502 NodeJsTimeoutError / NodeJsMemoryLimitError), or failed otherwise (NodeJsExecutionError)
 * → LIT_ACTION_FAILED with a fixed `reason`; its code could not be fetched by CID (errorKind IPFS,
 * no errorCode, 500; utils/web.rs get_ipfs_file) → LIT_ACTION_UNAVAILABLE. The action's error text
 * and logs are never copied: the action's author (maybe the caller) controls them, and they are
 * unbounded. An action CID the PKP does not permit is refused like any auth the PKP does not
 * permit (NodeAuthSigScopeTooLimited → LIT_NODE_ERROR, mapped below).
 */
function litActionOutcome(e: unknown, details: LitFailureDetails, operation: string): ServiceError | undefined {
  const failed = (reason: string) =>
    new ServiceError('LIT_ACTION_FAILED', `The Lit Action failed on the Lit nodes (${reason}) during the ${operation} request`, {
      cause: e,
      details: { reason, errorCode: details.errorCode },
    });
  switch (details.errorCode) {
    case 'NodeLitActionsSessionSigAuthenticationFailed':
      return new ServiceError('LIT_ACTION_DENIED', 'The Lit Action ran and did not answer true: the nodes refused to sign', {
        cause: e,
        details: { errorKind: details.errorKind, errorCode: details.errorCode },
      });
    case 'NodeJsTimeoutError':
      return failed('timeout');
    case 'NodeJsMemoryLimitError':
      return failed('memory-limit');
    case 'NodeJsExecutionError':
      return failed('execution-error');
    case undefined:
      break;
    default:
      return undefined;
  }
  const reply = quotedNodeReply(e);
  if (reply === undefined) return undefined;
  if (reply.success === false && typeof reply.error === 'string' && reply.errorKind === undefined) return failed('threw');
  if (reply.errorKind === 'IPFS') {
    return new ServiceError('LIT_ACTION_UNAVAILABLE', 'The Lit nodes could not fetch the Lit Action code by its CID', {
      cause: e,
      details: { errorKind: 'IPFS' },
    });
  }
  return undefined;
}

/**
 * Maps anything a Lit call threw: ServiceErrors pass through; a Lit Action outcome →
 * LIT_ACTION_DENIED / LIT_ACTION_FAILED / LIT_ACTION_UNAVAILABLE (litActionOutcome); a NodeError carrying the nodes'
 * own reason → LIT_UNAVAILABLE (503) when the reason is the network's state (TRANSIENT_NODE_CODES),
 * else LIT_NODE_ERROR (502), a refusal that retrying will not fix; a NodeError with no node reason
 * (too few nodes answered at all) → LIT_UNAVAILABLE; an SDK parameter error → INTERNAL (a bug);
 * anything else (connection, handshake) → LIT_UNAVAILABLE.
 */
export function mapLitError(e: unknown, operation: string): ServiceError {
  if (isServiceError(e)) return e;
  const details = litFailureDetails(e);
  const action = isNodeError(e) ? litActionOutcome(e, details, operation) : undefined;
  if (action) return action;
  if (isNodeError(e) && (details.errorKind !== undefined || details.errorCode !== undefined)) {
    if (details.errorCode !== undefined && TRANSIENT_NODE_CODES.has(details.errorCode)) {
      return new ServiceError('LIT_UNAVAILABLE', `The Lit nodes could not serve the ${operation} request now`, { cause: e, details: { ...details } });
    }
    return new ServiceError('LIT_NODE_ERROR', `The Lit nodes refused the ${operation} request`, {
      cause: e,
      details: { errorKind: details.errorKind, errorCode: details.errorCode },
      retryable: false,
    });
  }
  const name = typeof e === 'object' && e !== null ? (e as LitErrorShape).name : undefined;
  if (typeof name === 'string' && SDK_PARAMETER_ERRORS.has(name)) {
    return new ServiceError('INTERNAL', 'Internal error', { cause: e, details: { sdkError: name } });
  }
  return new ServiceError('LIT_UNAVAILABLE', `The ${operation} call to the Lit network failed`, { cause: e, details: { ...details } });
}
