/**
 * Refusals a devnet node sends, shaped like a real Lit node's error body so that the SDK turns
 * them into a `NodeError` whose `info.errorCode` a test can assert on.
 *
 * Codes are stable. Messages say what was wrong, never echo what was sent: request bodies carry
 * auth sigs and session sigs, which must not reach a log line.
 */

export const NODE_ERROR_STATUS = {
  NodeInvalidRequest: 400,
  NodeUnknownEndpoint: 404,
  NodeInvalidEpoch: 400,
  NodeInvalidSiwe: 400,
  NodeInvalidBlockhash: 400,
  NodeUnsupportedAuthMethod: 400,
  NodeInvalidAuthSig: 401,
  NodeAuthSigExpired: 401,
  NodeNotAuthorized: 401, // the SDK's LIT_ERROR_CODE.NODE_NOT_AUTHORIZED
  NodeInvalidSessionSig: 401,
  NodeSessionSigExpired: 401,
  NodeWrongNodeAddress: 401,
  NodeInvalidBlsSignature: 401,
  NodeResourceNotCovered: 403,
  NodePkpNotFound: 404,
  NodeCapacityDelegationRequired: 402,
  NodeInvalidCapacityDelegation: 402,
  NodeCapacityDelegationExpired: 402,
  NodeCapacityDelegationNotForPkp: 402,
  NodeCapacityDelegationExhausted: 429,
  NodeCapacityTokenInvalid: 402,
  NodeInjectedFault: 500,
  NodeInternalError: 500,
} as const;

export type NodeErrorCode = keyof typeof NODE_ERROR_STATUS;

/** The body a Lit node sends with a non-2xx status. */
export interface LitNodeErrorBody {
  errorKind: 'Validation' | 'Unexpected';
  errorCode: NodeErrorCode;
  message: string;
  status: number;
  details: string[];
}

export class NodeRefusal extends Error {
  readonly code: NodeErrorCode;
  readonly details: string[];

  constructor(code: NodeErrorCode, message: string, details: string[] = []) {
    super(message);
    this.name = 'NodeRefusal';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return NODE_ERROR_STATUS[this.code];
  }

  toBody(): LitNodeErrorBody {
    return {
      errorKind: this.status >= 500 ? 'Unexpected' : 'Validation',
      errorCode: this.code,
      message: this.message,
      status: this.status,
      details: this.details,
    };
  }
}

/** Throws a refusal unless `condition` holds. */
export function refuseUnless(condition: unknown, code: NodeErrorCode, message: string): asserts condition {
  if (!condition) throw new NodeRefusal(code, message);
}
