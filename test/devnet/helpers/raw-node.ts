/**
 * Sending a request to one devnet node directly, as the SDK would, to test refusals the SDK's own
 * client-side checks stop before they reach a node (expired session sigs and delegations).
 */
export interface RawReply {
  status: number;
  body: { errorCode?: string; message?: string; [k: string]: unknown };
}

export async function postToNode(nodeUrl: string, path: string, body: unknown): Promise<RawReply> {
  const res = await fetch(`${nodeUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as RawReply['body'] };
}

/** A pkpSign request body exactly as the SDK builds it for one node. */
export function pkpSignBody(sessionSig: unknown, pkpPublicKey: string, toSign: Uint8Array, epoch: number): unknown {
  return { toSign: Array.from(toSign), pubkey: pkpPublicKey, authSig: sessionSig, epoch };
}
