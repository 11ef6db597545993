/**
 * Step 11 of `sign_session_key`: Lit Action authentication, as the real node does it
 * (rust/lit-node/src/endpoints/web_client.rs:1350-1518). The code comes from the request (base64)
 * or from IPFS by CID; the node runs it with the request's `jsParams` as globals and its auth
 * context as `Lit.Auth`; the action authenticates only if the response it sets contains "true".
 * Then its CID joins the auth context's `actionIpfsIdStack`, and the permission check that follows
 * (check_pkp_auth) asks the chain whether that CID is permitted for the PKP.
 */
import type { NodeContext, NodeRequest } from '../node-context';
import { notEmulated, PublicErrorRefusal, RawRefusal, refuse } from '../node-error';
import type { AuthContext } from '../pkp-permission';
import { litActionCid, runLitAction, type ActionRun } from './runtime';

const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** The real node echoes the id it could not fetch; the devnet echoes it only when it is short. */
const MAX_ECHOED_ID = 100;

export interface SessionKeyActionRequest {
  code?: string;
  litActionIpfsId?: string;
  jsParams?: unknown;
}

/** The node's view after a successful action: the CID that authenticated and the response it set. */
export interface ActionAuthentication {
  cid: string;
  response: string;
}

/** web_client.rs:1366-1396: standard base64 (data_encoding::BASE64), then strict UTF-8. */
function decodeCode(code: string): string {
  if (!STANDARD_BASE64.test(code)) {
    throw new PublicErrorRefusal(undefined, ['Your Lit Action code could not be decoded from base64', 'Invalid symbol'], { kind: 'Conversion' });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(code, 'base64'));
  } catch {
    throw new PublicErrorRefusal(
      undefined,
      [
        'Your Lit Action code could not be converted from base64 decoded bytes into a string.  Please check your base64 encoding code.',
        'invalid utf-8 sequence',
      ],
      { kind: 'Conversion' },
    );
  }
}

/** utils/web.rs:549-640: the node's IPFS fetch; on the devnet, the code registered under that CID. */
function fetchByCid(ctx: NodeContext, cid: string): string {
  const code = ctx.litActions.store.get(cid);
  if (code !== undefined) return code;
  const shown = cid.length <= MAX_ECHOED_ID ? cid : `${cid.slice(0, MAX_ECHOED_ID)}…`;
  // A gateway answers 404 for content nobody provides: ipfs_err with the status, plus a detail naming the file.
  throw new PublicErrorRefusal(undefined, [`Error getting ipfs file: ${shown}`, 'Error getting code from ipfs url. Status code: 404 Not Found'], {
    kind: 'IPFS',
  });
}

/** The node's answer to each way an execution can end (web_client.rs:1459-1517). */
function refusalFor(run: ActionRun, limits: { timeoutMs: number; memoryLimitMb: number }): Error | undefined {
  if (run.notEmulated.length > 0) {
    // Whatever the action did next: an answer that depends on an unemulated call is never trusted.
    return notEmulated(`the Lit Action API ${run.notEmulated.slice(0, 4).join(', ')} (called by the action)`);
  }
  switch (run.outcome) {
    case 'timeout':
      return new PublicErrorRefusal(
        'NodeJsTimeoutError',
        [`timeout error: Your function exceeded the maximum runtime of ${limits.timeoutMs}ms and was terminated.`],
        {
          kind: 'Timeout',
          logs: run.logs,
        },
      );
    case 'memory':
      return new PublicErrorRefusal(
        'NodeJsMemoryLimitError',
        [`memory limit error: Your function exceeded the maximum memory of ${limits.memoryLimitMb} MB and was terminated.`],
        {
          kind: 'MemoryLimit',
          logs: run.logs,
        },
      );
    case 'error':
      // The one non-PublicError body of this endpoint: the JS error text and the logs (web_client.rs:1480-1485).
      return new RawRefusal(400, { success: false, error: run.error ?? '', logs: run.logs }, 'Lit Action error');
    case 'complete':
      if (run.response.includes('true')) return undefined; // a substring test, as the node's (web_client.rs:1492)
      return refuse('NodeLitActionsSessionSigAuthenticationFailed', 'Authentication failed for session_sig signing via Lit Action', { kind: 'Validation' });
  }
}

/**
 * Runs the request's Lit Action if it has one. Resolves with the authentication it gives (or
 * undefined when the request has no action); throws the node's refusal otherwise.
 */
export async function authenticateWithLitAction(
  ctx: NodeContext,
  req: SessionKeyActionRequest,
  authContext: AuthContext,
  request: NodeRequest,
): Promise<ActionAuthentication | undefined> {
  if (req.code !== undefined && req.litActionIpfsId !== undefined)
    throw refuse(undefined, "Can't provide both code & lit_action_ipfs_id", { kind: 'Unexpected' });
  if (req.code === undefined && req.litActionIpfsId === undefined) return undefined;
  let code: string;
  let cid: string;
  if (req.code !== undefined) {
    code = decodeCode(req.code);
    cid = await litActionCid(code);
  } else {
    cid = req.litActionIpfsId as string;
    code = fetchByCid(ctx, cid);
  }
  // action_client.rs:220-231: the action sees the auth context with its own CID pushed on the stack.
  const actionAuth: AuthContext = { ...authContext, actionIpfsIdStack: [...authContext.actionIpfsIdStack, cid], actionIpfsIds: [cid] };
  const headers = Object.fromEntries(Object.entries(request.headers).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const limits = ctx.litActions.limits();
  const run = await runLitAction({ code, jsParams: req.jsParams ?? null, authContext: actionAuth, headers, limits });
  const refusal = refusalFor(run, limits);
  if (refusal) throw refusal;
  return { cid, response: run.response };
}
