/**
 * Shared pieces of the main-path end-to-end tests (issue, policy, bad input, concurrency, logs,
 * demo). Everything goes over HTTP to a stack from local/stack.ts; checks read the devnet's
 * request counters and the DynamoDB Local table, as an operator could. Nothing here mocks a part.
 */
import http from 'node:http';
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { listAuditDay } from '../../functions/commons/adapters/dynamodb';
import { ethers } from 'ethers';
import type { LocalPkp, LocalStack, LocalResponse } from '../../local/stack';
import type { ServiceConfig, CallerPolicy } from '../../functions/commons/config';

export type HttpResult = LocalResponse;

export interface RequestOptions {
  caller?: string;
  body?: unknown;
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
}

/**
 * `stack.request` over a fresh connection per request (node:http, no keep-alive). Why not
 * `stack.request` itself: it uses fetch, whose pooled keep-alive sockets race the gateway's 5 s
 * idle timeout when this process's event loop stalls (the devnet's crypto runs here), and a
 * request written to a socket the server just closed fails with ECONNRESET. A fresh connection
 * per request has no such race; everything else is the same request.
 */
export function request(stack: Pick<LocalStack, 'url'>, method: 'GET' | 'POST', path: string, opts: RequestOptions = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers };
  if (opts.caller !== undefined) headers['x-local-caller-arn'] = opts.caller;
  const payload = opts.rawBody !== undefined ? Buffer.from(opts.rawBody) : opts.body !== undefined ? Buffer.from(JSON.stringify(opts.body), 'utf8') : undefined;
  if (payload) headers['content-length'] = String(payload.length);
  return new Promise((resolve, reject) => {
    const req = http.request(`${stack.url}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: the text
        }
        const resHeaders: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) resHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
        resolve({ status: res.statusCode ?? 0, headers: resHeaders, body, text });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}
type SessionSigs = Record<string, { sig: string; signedMessage: string; address?: string }>;

/** POST /session-sigs body: pkp-signing on `pkp`, by `*` (default) or by its token id. */
export function issueBody(pkp: Pick<LocalPkp, 'publicKey'> & Partial<LocalPkp>, id: string = '*'): Record<string, unknown> {
  return { pkpPublicKey: pkp.publicKey, resourceAbilityRequests: [{ resource: { kind: 'pkp', id }, ability: 'pkp-signing' }] };
}

export function issue(stack: LocalStack, caller: string, pkp: LocalPkp = stack.pkp, extra: Record<string, unknown> = {}): Promise<HttpResult> {
  return request(stack, 'POST', '/session-sigs', { caller, body: { ...issueBody(pkp), ...extra } });
}

/** All `sign_session_key` requests the devnet's nodes have received so far (one round = one per node reached). */
export function signRounds(stack: LocalStack): number {
  return stack.devnet.controls.totalCounts().sign_session_key;
}

/** Throws with the response text (never a secret: error bodies carry none) when the status is not `status`. */
export function expectStatus(res: HttpResult, status: number): void {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status} ${res.text.slice(0, 400)}`);
}

/** The PKP addresses of the wallet sigs (the LIT_BLS capability) the session sigs were built on. */
export function walletSigPkpAddresses(sessionSigs: SessionSigs): Set<string> {
  return new Set(
    Object.values(sessionSigs).map((s) => {
      const cap = (JSON.parse(s.signedMessage).capabilities as { algo?: string; address: string }[]).find((c) => c.algo === 'LIT_BLS');
      if (!cap) throw new Error('a session sig without a LIT_BLS capability');
      return ethers.utils.getAddress(cap.address);
    }),
  );
}

/** 200 with session sigs for every devnet node, each built on `pkp`'s own wallet sig. */
export function expectIssuedFor(stack: LocalStack, res: HttpResult, pkp: LocalPkp): void {
  expectStatus(res, 200);
  expect(Object.keys(res.body.sessionSigs).sort()).toEqual(stack.devnet.nodes.map((n) => n.url).sort());
  expect(walletSigPkpAddresses(res.body.sessionSigs)).toEqual(new Set([ethers.utils.getAddress(pkp.ethAddress)]));
}

/** Text that betrays a stack trace or a source location. */
export const STACK_TRACE = /\n\s+at |\bat [\w.<>]+ \(|\.ts:\d+|\.js:\d+|node_modules|Error:/;

/**
 * A service error response: `status`, JSON `{ error: { code, message, requestId, details? } }`
 * with `code`, no stack text, Retry-After on 429/503.
 */
export function expectServiceError(res: HttpResult, status: number, code: string): void {
  const summary = `${res.status} ${res.text.slice(0, 400)}`;
  if (res.status !== status || res.body?.error?.code !== code) throw new Error(`expected ${status} ${code}, got ${summary}`);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(Object.keys(res.body)).toEqual(['error']);
  expect(res.body.error).toEqual(expect.objectContaining({ code, message: expect.any(String), requestId: expect.any(String) }));
  expect(Object.keys(res.body.error).every((k) => ['code', 'message', 'requestId', 'details'].includes(k))).toBe(true);
  expect(res.body.error.requestId.length).toBeGreaterThan(0);
  expect(res.body.error.message.length).toBeGreaterThan(0);
  expect(res.text).not.toMatch(STACK_TRACE);
  if (status === 429 || status === 503) expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
}

/** An answer of the emulated API Gateway itself (the function never ran): `{ message }`. */
export function expectGatewayError(res: HttpResult, status: number, message: string): void {
  expect({ status: res.status, body: res.body }).toEqual({ status, body: { message } });
}

/** `configure` helper: adds caller entries, each starting from a copy of the app caller's entry. */
export function withCallers(config: ServiceConfig, app: string, entries: (Partial<CallerPolicy> & { principal: string })[]): ServiceConfig {
  const found = config.policy.callers.find((c) => c.principal === app);
  if (!found) throw new Error(`the bootstrap policy has no entry for ${app}`);
  // Not the example Lit Action: an entry that wants one says so (and the config stays within Lambda's 4 KB of environment).
  const { litActions: _exampleAction, ...base } = found;
  return { ...config, policy: { ...config.policy, callers: [...config.policy.callers, ...entries.map((e) => ({ ...base, ...e }))] } };
}

export interface AuditItem {
  requestId: string;
  action?: string;
  caller: string;
  outcome: string;
  errorCode?: string;
  walletSigSource?: string;
  pkpPublicKey?: string;
  litActionCid?: string;
  litActionInline?: boolean;
  at: number;
}

function auditItem(i: Record<string, AttributeValue>): AuditItem {
  return {
    requestId: i.requestId?.S ?? '',
    action: i.action?.S,
    caller: i.caller?.S ?? '',
    outcome: i.outcome?.S ?? '',
    errorCode: i.errorCode?.S,
    walletSigSource: i.walletSigSource?.S,
    pkpPublicKey: i.pkpPublicKey?.S,
    litActionCid: i.litActionCid?.S,
    litActionInline: i.litActionInline?.BOOL,
    at: Number(i.at?.N ?? 0),
  };
}

/** Audit records written at or after `sinceMs` (every shard partition of each UTC day, paged). */
export async function auditRecords(stack: LocalStack, sinceMs: number): Promise<AuditItem[]> {
  const days = new Set<string>();
  const now = Date.now();
  for (let t = sinceMs; t < now + 86_400_000; t += 86_400_000) days.add(new Date(Math.min(t, now)).toISOString().slice(0, 10));
  const out: AuditItem[] = [];
  // Each day is spread over its shard partitions; listAuditDay queries them all.
  for (const day of days) out.push(...(await listAuditDay({ client: stack.dynamodb.client, tableName: stack.dynamodb.tableName }, day)).map(auditItem));
  return out.filter((r) => r.at >= sinceMs);
}

/** Every item of the table (paged Scan). */
export async function scanTable(stack: LocalStack): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await stack.dynamodb.client.send(new ScanCommand({ TableName: stack.dynamodb.tableName, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Session-scope items (what the SDK's storage holds per scope). */
export async function scopeItemCount(stack: LocalStack): Promise<number> {
  return (await scanTable(stack)).filter((i) => i.pk?.S?.startsWith('SCOPE#')).length;
}

/**
 * Secret material the stack holds: the owner key, every stored scope's session secret key and
 * wallet sig (and its inner ProofOfPossession), every delegation auth sig (current and history).
 */
export async function storedSecrets(
  stack: LocalStack,
): Promise<{ ownerKeys: string[]; sessionSecretKeys: string[]; walletSigs: string[]; delegationSigs: string[] }> {
  const found = {
    ownerKeys: [stack.devnet.ownerWallet.privateKey],
    sessionSecretKeys: [] as string[],
    walletSigs: [] as string[],
    delegationSigs: [] as string[],
  };
  for (const item of await scanTable(stack)) {
    const entries = item.entries?.M ?? {};
    const sessionKey = entries['lit-session-key']?.S;
    const walletSig = entries['lit-wallet-sig']?.S;
    if (sessionKey) found.sessionSecretKeys.push(JSON.parse(sessionKey).secretKey);
    if (walletSig) {
      const sig = JSON.parse(walletSig).sig as string;
      found.walletSigs.push(sig);
      if (/ProofOfPossession/.test(sig)) found.walletSigs.push(JSON.parse(sig).ProofOfPossession);
    }
    if (item.authSig?.M?.sig?.S) found.delegationSigs.push(item.authSig.M.sig.S);
  }
  return found;
}

/** The ed25519 `sig` of every session sig in a 200 body. */
export function issuedSigs(body: unknown): string[] {
  const sigs = (body as { sessionSigs?: SessionSigs } | null)?.sessionSigs;
  return sigs ? Object.values(sigs).map((s) => s.sig) : [];
}

/**
 * Which of `secrets` occur in `text` (hex compared without 0x, case-insensitively, on a 40-char
 * prefix). Returns labels, never values, so a failing assertion does not print the secret.
 */
export function leakedSecrets(text: string, secrets: Record<string, string[]>): string[] {
  const haystack = text.toLowerCase();
  const leaked: string[] = [];
  for (const [kind, values] of Object.entries(secrets)) {
    values.forEach((s, i) => {
      const needle = s.replace(/^0x/, '').toLowerCase().slice(0, 40);
      if (needle.length >= 16 && haystack.includes(needle)) leaked.push(`${kind}[${i}]`);
    });
  }
  return leaked;
}

/** Resolves at `atMs` (the machine clock every part of the stack shares). */
export function sleepUntil(atMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, atMs - Date.now())));
}

/** The UTC minute (the rate limiter's window) `ms` falls in. */
export const minuteOf = (ms: number): number => Math.floor(ms / 60_000);
