/**
 * GET /health?deep=true's Lit check, without the Lit SDK: the first step of the SDK's connect, a
 * `POST /web/handshake` to each node, against the nodes the refresher last signed through (kept
 * with the delegation). Ready when at least the network's threshold of them answers one.
 *
 * Hand-written (a few lines over fetch) on purpose: the only library that speaks to Lit nodes is
 * the SDK, and its bundle (3 MB) and import (about 80 ms of every cold start) are what /health must
 * not carry. It checks reachability and the handshake's shape, not the keys (the issuing
 * functions' SDK does that on every connect).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { LitNodeSet } from './ports';

/** Per-node bound: a health check answers within a few seconds or says what did not answer. */
const NODE_TIMEOUT_MS = 5_000;

export interface LitProbeResult {
  ok: boolean;
  /** Nodes that answered the handshake. */
  answered: number;
  nodes: number;
  threshold: number;
}

/** A BLS network public key as a node's handshake gives it (48 bytes, hex), not "ERR". */
export function isNetworkPublicKey(v: unknown): boolean {
  return typeof v === 'string' && /^[0-9a-fA-F]{96}$/.test(v);
}

async function handshake(url: string, deadlineMs: number, fetchImpl: typeof fetch): Promise<boolean> {
  const timeout = Math.max(1, Math.min(NODE_TIMEOUT_MS, deadlineMs - Date.now()));
  try {
    const res = await fetchImpl(`${url.replace(/\/+$/, '')}/web/handshake`, {
      method: 'POST',
      // What the SDK sends: a throwaway client key and a fresh challenge.
      headers: { 'content-type': 'application/json', 'x-request-id': `health-${randomUUID()}` },
      body: JSON.stringify({ clientPublicKey: 'test', challenge: randomBytes(32).toString('hex') }),
      signal: AbortSignal.timeout(timeout),
    });
    if (!res.ok) return false;
    // The real node answers `serverPublicKey: ""` always, and "ERR" in every key field while it has
    // no network key yet (LIT-Protocol/Node endpoints/web_client.rs:664-694): read the network key.
    const body = (await res.json()) as { networkPublicKey?: unknown };
    return isNetworkPublicKey(body?.networkPublicKey);
  } catch {
    return false;
  }
}

export async function probeLitNodes(set: LitNodeSet, deadlineMs: number, fetchImpl: typeof fetch = fetch): Promise<LitProbeResult> {
  const answers = await Promise.all(set.urls.map((u) => handshake(u, deadlineMs, fetchImpl)));
  const answered = answers.filter(Boolean).length;
  return { ok: answered >= set.minNodeCount, answered, nodes: set.urls.length, threshold: set.minNodeCount };
}
