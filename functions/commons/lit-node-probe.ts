/**
 * GET /health's Lit check, without the Lit SDK: the first step of the SDK's connect, a
 * `POST /web/handshake` to each node of the network the refresher last signed through (its
 * Staking list, kept with the delegation). Ready when at least the network's threshold of them
 * answers one: what issuing for a new scope needs.
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

/**
 * What issuing can do with this many nodes answering (adapters/lit/node-availability.ts): any
 * scope at the threshold; below it, only scopes whose wallet sig is cached (one node gives the
 * network key the SDK checks it against); none with no node.
 */
export type LitIssuance = 'any-scope' | 'cached-scopes-only' | 'none';

export function litIssuance(r: Pick<LitProbeResult, 'answered' | 'threshold'>): LitIssuance {
  return r.answered >= r.threshold ? 'any-scope' : r.answered > 0 ? 'cached-scopes-only' : 'none';
}

export interface LitCheck extends LitProbeResult {
  issues: LitIssuance;
  /** When the nodes were asked (ISO). */
  checkedAt: string;
}

/**
 * The Lit check of GET /health: a probe no older than `maxAgeMs`, or a new one (always new when
 * `fresh`, the deep check). Per execution environment; concurrent checks share one probe. So the
 * plain check follows the network within `maxAgeMs` (it never stays at an old answer) while any
 * number of plain checks make at most one handshake per node per `maxAgeMs` per environment.
 */
export function createLitCheck(options: {
  maxAgeMs: number;
  probe?: typeof probeLitNodes;
  now?: () => number;
}): (set: LitNodeSet, deadlineMs: number, fresh: boolean) => Promise<LitCheck> {
  const probe = options.probe ?? probeLitNodes;
  const now = options.now ?? Date.now;
  let last: { key: string; atMs: number; check: LitCheck } | undefined;
  let running: { key: string; promise: Promise<LitCheck> } | undefined;
  return async (set, deadlineMs, fresh) => {
    const key = `${set.minNodeCount}|${set.urls.join(',')}`;
    if (!fresh && last?.key === key && now() - last.atMs < options.maxAgeMs) return last.check;
    if (running?.key !== key) {
      const atMs = now();
      const promise = probe(set, deadlineMs).then((r) => {
        const check = { ...r, issues: litIssuance(r), checkedAt: new Date(atMs).toISOString() };
        last = { key, atMs, check };
        return check;
      });
      running = { key, promise };
      void promise.then(
        () => (running = undefined),
        () => (running = undefined),
      );
    }
    return running.promise;
  };
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
