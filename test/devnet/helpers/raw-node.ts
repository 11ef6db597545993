/**
 * Sending a request to one devnet node directly, as the SDK would, to test refusals the SDK's own
 * client-side checks stop before they reach a node (expired session sigs and delegations).
 */
export interface RawReply {
  status: number;
  body: { errorCode?: string; errorKind?: string; message?: string; details?: string[]; correlationId?: string; [k: string]: unknown };
  headers: Headers;
}

/** The X-Request-Id postToNode sends unless told otherwise (the SDK sends `lit_<id>`). */
export const TEST_REQUEST_ID = 'lit_devnet-test';

/** POST a JSON body (or a raw string) as the SDK does: JSON content type, an X-Request-Id. */
export async function postToNode(nodeUrl: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<RawReply> {
  const res = await fetch(`${nodeUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': TEST_REQUEST_ID, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as RawReply['body'], headers: res.headers };
}

/** A pkpSign request body exactly as the SDK builds it for one node. */
export function pkpSignBody(sessionSig: unknown, pkpPublicKey: string, toSign: Uint8Array, epoch: number): unknown {
  return { toSign: Array.from(toSign), pubkey: pkpPublicKey, authSig: sessionSig, epoch };
}
