/**
 * Validation of the POST /session-sigs body. Nothing invalid reaches the policy, storage or Lit,
 * and every problem is an INVALID_REQUEST naming the offending field in `details.field`.
 *
 * Body:
 * ```json
 * {
 *   "pkpPublicKey": "0x04…",                        // 65-byte uncompressed secp256k1 key, hex
 *   "resourceAbilityRequests": [
 *     { "resource": { "kind": "pkp", "id": "*" }, "ability": "pkp-signing" }
 *   ],
 *   "expiration": "2026-01-01T00:00:00Z",           // optional, ISO 8601 with a time zone
 *   "authMethods": [{ "authMethodType": 1, "accessToken": "…" }]  // optional
 * }
 * ```
 *
 * Or, to authenticate with a Lit Action instead of an auth method: `litActionIpfsId` (a CIDv0)
 * or `litActionCode` (the JavaScript, base64), with `jsParams` (a JSON object, `{}` for none).
 * The action is then the whole authentication, so `authMethods` may not come with it: the node's
 * PKP permission check passes when ANY auth method or the action is permitted for the PKP, so an
 * auth method sent alongside would get the sigs whatever the action answers.
 *
 * Resource ids, per kind (`*` always means "any resource of this kind" and needs the policy's
 * allowWildcardResources):
 * - `pkp`: the requested PKP, named by its token id (decimal, or 0x hex) or by its public key.
 *   Session sigs for one PKP can only grant that PKP, so any other PKP is refused here. Sent to
 *   Lit as the token id in 64 lower-case hex digits (keccak256 of the public key), as Lit does.
 * - `lit-action`: an IPFS CID (CIDv0 `Qm…` or base32 CIDv1 `b…`).
 * - `access-control-condition`: the hex resource id Lit derives from the conditions
 *   (hash of the conditions + data hash), 64 to 128 hex digits, sent lower-case.
 * - `rate-limit-increase`: a capacity token id (decimal).
 */
import { secp256k1 } from '@noble/curves/secp256k1';
import { ethers } from 'ethers';
import * as z from 'zod/mini';
import { ABILITIES_BY_RESOURCE, PKP_PUBLIC_KEY, RESOURCE_KINDS, isCidV0, type Ability, type ResourceKind } from '../config';
import { settled } from '../schema-issues';
import type { JsParams, LitActionRequest } from './lit-action';
import { boundedList, invalid, isObj, parseRequest, requestObject } from './request-fields';

export interface RequestedResource {
  kind: ResourceKind;
  /** Canonical id as sent to Lit, or `*`. */
  id: string;
  ability: Ability;
}

export interface CallerAuthMethod {
  authMethodType: number;
  accessToken: string;
}

export interface IssueRequest {
  /** Lower-case 0x04… key. */
  pkpPublicKey: string;
  /** The PKP's token id as Lit names it in resources: keccak256 of the public key, 64 lower-case hex digits. */
  pkpTokenIdHex: string;
  resources: RequestedResource[];
  /** Absent: the configured default applies (policy.ts decides the effective expiry). */
  expiration?: Date;
  authMethods?: CallerAuthMethod[];
  /** A Lit Action to authenticate with (never together with authMethods). */
  litAction?: LitActionRequest;
}

const MAX_RESOURCES = 32;
const MAX_AUTH_METHODS = 8;
const MAX_ACCESS_TOKEN_CHARS = 8_192;
/** ISO 8601 date-time with seconds optional fraction and an explicit zone (Z or ±hh:mm). */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const DECIMAL_ID = /^[0-9]{1,78}$/;
const HEX_ID = /^0x[0-9a-fA-F]{1,64}$/;
const CID_V0 = /^Qm[1-9A-HJ-NP-Za-km-z]{44}$/;
const CID_V1_BASE32 = /^b[a-z2-7]{20,120}$/;
const ACC_ID = /^[0-9a-fA-F]{64,128}$/;
/**
 * Inline action code, decoded. Authentication actions are a few KB; the bound keeps hashing and
 * the node request cheap and the code within one 256 KiB IPFS chunk, where the CID computed here
 * is certainly the node's (lit-action.ts). The real node sets no limit of its own on inline code.
 */
export const MAX_LIT_ACTION_CODE_BYTES = 64 * 1024;
/** Base64 of MAX_LIT_ACTION_CODE_BYTES: a longer string is refused before it is decoded. */
const MAX_LIT_ACTION_CODE_CHARS = Math.ceil(MAX_LIT_ACTION_CODE_BYTES / 3) * 4;
/** Serialized jsParams: sent to every node with each node round; an action's parameters are small. */
export const MAX_JS_PARAMS_BYTES = 16 * 1024;
/** Nesting of jsParams (objects and arrays), so canonicalization and hashing never recurse deeply. */
export const MAX_JS_PARAMS_DEPTH = 16;
/** Standard base64 alphabet with padding, what the node's decoder (data_encoding BASE64) takes. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Whether an `0x04…` key is a point of secp256k1. The shape regex alone passes 2^512 strings of
 * which almost none is a key; such a request is malformed (400), not a PKP the policy refuses.
 * @noble/curves validates the point (ethers 5's computePublicKey does not).
 */
export function isOnCurve(uncompressedKey: string): boolean {
  try {
    secp256k1.ProjectivePoint.fromHex(uncompressedKey.slice(2)).assertValidity();
    return true;
  } catch {
    return false;
  }
}

/** The PKP's token id as Lit derives it: keccak256 of the uncompressed public key, 64 hex digits. */
export function pkpTokenIdHex(pkpPublicKey: string): string {
  return ethers.utils.keccak256(pkpPublicKey).slice(2).toLowerCase();
}

function tokenIdToHex64(id: string): string | undefined {
  let n: bigint;
  if (DECIMAL_ID.test(id)) n = BigInt(id);
  else if (HEX_ID.test(id)) n = BigInt(id);
  else return undefined;
  if (n >= 1n << 256n) return undefined;
  return n.toString(16).padStart(64, '0');
}

/** The id as Lit names it, or the reason it names nothing of `kind` (a `pkp` id must name the requested PKP). */
function canonicalResourceId(kind: ResourceKind, rawId: string, pkpPublicKey: string): { id: string } | { problem: string } {
  if (rawId === '*') return { id: '*' };
  switch (kind) {
    case 'pkp': {
      const own = pkpTokenIdHex(pkpPublicKey);
      if (PKP_PUBLIC_KEY.test(rawId) && !isOnCurve(rawId)) return { problem: 'is not a valid public key (not a point of secp256k1)' };
      const asHex = PKP_PUBLIC_KEY.test(rawId) ? pkpTokenIdHex(rawId.toLowerCase()) : tokenIdToHex64(rawId);
      if (asHex === undefined) return { problem: "must be '*', a PKP token id (decimal or 0x hex) or a PKP public key" };
      if (asHex !== own) return { problem: 'must name the requested PKP (session sigs for one PKP cannot grant another)' };
      return { id: own };
    }
    case 'lit-action':
      return CID_V0.test(rawId) || CID_V1_BASE32.test(rawId) ? { id: rawId } : { problem: "must be '*' or an IPFS CID (Qm… or b…)" };
    case 'access-control-condition':
      return ACC_ID.test(rawId) ? { id: rawId.toLowerCase() } : { problem: "must be '*' or a hex access-control resource id (64 to 128 hex digits)" };
    case 'rate-limit-increase':
      return DECIMAL_ID.test(rawId) ? { id: BigInt(rawId).toString(10) } : { problem: "must be '*' or a decimal capacity token id" };
  }
}

// ---------------------------------------------------------------------------------------------
// The body's schema. What needs the whole valid body runs after it, in parseIssueRequest: each
// resource id must name the requested PKP and no entry may repeat another (both on canonical
// ids), and an expiration must lie after the clock's now.

const PKP_KEY = z
  .string({ error: 'must be an uncompressed PKP public key: 0x04 followed by 128 hex digits' })
  .check(
    z.regex(PKP_PUBLIC_KEY, { error: 'must be an uncompressed PKP public key: 0x04 followed by 128 hex digits', abort: true }),
    z.refine(isOnCurve, 'is not a valid public key (not a point of secp256k1)'),
    z.toLowerCase(),
  );

const RESOURCE_ID = "must be a non-empty string ('*' or a resource id)";

const RESOURCE_ABILITY_REQUEST = requestObject({
  resource: requestObject(
    {
      kind: z.enum(RESOURCE_KINDS, { error: `must be one of ${RESOURCE_KINDS.join(', ')}` }),
      id: z.string({ error: RESOURCE_ID }).check(z.minLength(1, RESOURCE_ID), z.maxLength(256, RESOURCE_ID)),
    },
    'must be an object { kind, id }',
  ),
  // Which abilities are valid depends on the kind: checked below, whatever its type.
  ability: z.optional(z.unknown()),
}).check(
  z.superRefine(
    (entry, payload) => {
      const abilities: readonly string[] = ABILITIES_BY_RESOURCE[entry.resource.kind];
      if (typeof entry.ability !== 'string' || !abilities.includes(entry.ability))
        payload.addIssue({ code: 'custom', path: ['ability'], message: `must be one of ${abilities.join(', ')} for resource kind '${entry.resource.kind}'` });
    },
    { when: (payload) => settled(payload, ['resource', 'kind']) },
  ),
);

/** Date.parse rolls impossible calendar dates over (Feb 30 → Mar 2): the written date must exist. */
function isCalendarDate(v: string): boolean {
  const [year, month, day] = v.slice(0, 10).split('-').map(Number);
  const calendar = new Date(Date.UTC(year, month - 1, day));
  return calendar.getUTCFullYear() === year && calendar.getUTCMonth() === month - 1 && calendar.getUTCDate() === day;
}

const EXPIRATION = z.string({ error: 'must be an ISO 8601 date-time with a time zone, e.g. 2026-01-01T00:00:00Z' }).check(
  z.regex(ISO_DATE_TIME, { error: 'must be an ISO 8601 date-time with a time zone, e.g. 2026-01-01T00:00:00Z', abort: true }),
  z.refine((v) => !Number.isNaN(Date.parse(v)) && isCalendarDate(v), 'is not a valid date-time'),
);

const AUTH_METHOD_TYPE = 'must be a whole number (a Lit auth method type)';
const ACCESS_TOKEN = `must be a non-empty string of at most ${MAX_ACCESS_TOKEN_CHARS} characters`;

const AUTH_METHODS = boundedList(
  requestObject({
    authMethodType: z.int({ error: AUTH_METHOD_TYPE }).check(z.gte(0, AUTH_METHOD_TYPE), z.lte(0xffff, AUTH_METHOD_TYPE)),
    accessToken: z.string({ error: ACCESS_TOKEN }).check(z.minLength(1, ACCESS_TOKEN), z.maxLength(MAX_ACCESS_TOKEN_CHARS, ACCESS_TOKEN)),
  }),
  { min: 1, max: MAX_AUTH_METHODS, notAList: 'must be a non-empty list', tooLong: `must have at most ${MAX_AUTH_METHODS} entries` },
);

const CODE_BOUND = `must decode to at most ${MAX_LIT_ACTION_CODE_BYTES} bytes of code`;

/** Inline code: base64 as the node's strict decoder takes it, decoding to UTF-8 text within the bound; to its bytes. */
const LIT_ACTION_CODE = z.pipe(
  z
    .string({ error: 'must be a non-empty string: the action code, base64-encoded' })
    .check(
      z.minLength(1, { error: 'must be a non-empty string: the action code, base64-encoded', abort: true }),
      z.maxLength(MAX_LIT_ACTION_CODE_CHARS, CODE_BOUND),
    ),
  z.transform((codeBase64: string, payload) => {
    const fail = (message: string) => (payload.issues.push({ code: 'custom', message, input: undefined }), z.NEVER);
    // Canonical only (padding, zero trailing bits): the node's strict decoder refuses anything else.
    const code = Buffer.from(codeBase64, 'base64');
    if (!BASE64.test(codeBase64) || code.toString('base64') !== codeBase64) return fail('must be standard base64 with padding (A-Z a-z 0-9 + /, =)');
    if (code.length > MAX_LIT_ACTION_CODE_BYTES) return fail(CODE_BOUND);
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(code);
    } catch {
      return fail('must decode to UTF-8 text (the node runs it as JavaScript source)');
    }
    return { kind: 'inline' as const, codeBase64, code: new Uint8Array(code) };
  }),
);

/** Why a JSON value nests too deep or holds a number JSON.parse made Infinity (1e999), if it does. */
function jsonValueProblem(v: unknown, depth: number): string | undefined {
  if (typeof v === 'number' && !Number.isFinite(v)) return 'must hold finite numbers only';
  if (typeof v !== 'object' || v === null) return undefined;
  if (depth > MAX_JS_PARAMS_DEPTH) return `must nest at most ${MAX_JS_PARAMS_DEPTH} levels deep`;
  for (const child of Object.values(v)) {
    const problem = jsonValueProblem(child, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

const JS_PARAMS = z.custom<JsParams>(isObj, 'must be a JSON object ({} for none)').check((payload) => {
  // Depth first: the walk stops at the limit, where JSON.stringify would recurse as deep as the body nests.
  const problem =
    jsonValueProblem(payload.value, 1) ??
    (Buffer.byteLength(JSON.stringify(payload.value), 'utf8') > MAX_JS_PARAMS_BYTES ? `must serialize to at most ${MAX_JS_PARAMS_BYTES} bytes` : undefined);
  if (problem) payload.issues.push({ code: 'custom', message: problem, input: undefined });
});

const ISSUE_BODY = requestObject(
  {
    pkpPublicKey: PKP_KEY,
    resourceAbilityRequests: boundedList(RESOURCE_ABILITY_REQUEST, {
      min: 1,
      max: MAX_RESOURCES,
      notAList: 'must be a non-empty list',
      tooLong: `must have at most ${MAX_RESOURCES} entries`,
    }),
    expiration: z.optional(EXPIRATION),
    authMethods: z.optional(AUTH_METHODS),
    litActionIpfsId: z.optional(
      z
        .string({ error: 'must be an IPFS CIDv0 (Qm + 44 base58 characters), as Lit nodes name actions' })
        .check(z.refine(isCidV0, 'must be an IPFS CIDv0 (Qm + 44 base58 characters), as Lit nodes name actions')),
    ),
    litActionCode: z.optional(LIT_ACTION_CODE),
    jsParams: z.optional(JS_PARAMS),
  },
  'must be a JSON object',
).check(
  // The Lit Action fields go together, whatever their own values: an action is the whole
  // authentication (the node's PKP check passes when ANY auth method or the action is
  // permitted, so an auth method alongside would get the sigs whatever the action answers).
  z.superRefine(
    (body, payload) => {
      const has = (field: string) => (body as Record<string, unknown>)[field] !== undefined || !settled(payload, [field]);
      const problem = (path: string, message: string) => payload.addIssue({ code: 'custom', path: [path], message });
      if (!has('litActionIpfsId') && !has('litActionCode')) {
        if (has('jsParams')) problem('jsParams', 'is only used with litActionIpfsId or litActionCode');
        return;
      }
      if (has('litActionIpfsId') && has('litActionCode')) problem('litActionCode', 'give either litActionIpfsId or litActionCode, not both');
      if (has('authMethods'))
        problem(
          'authMethods',
          'cannot come with a Lit Action: the action is the authentication, and any permitted auth method would pass the PKP check whatever the action answers',
        );
      if (!has('jsParams')) problem('jsParams', 'is required with a Lit Action ({} for none)');
    },
    { when: (payload) => isObj(payload.value) },
  ),
);

/**
 * Validates `body` (already JSON-parsed) and returns it in canonical form.
 * @param nowMs the instant an expiration must lie after
 */
export function parseIssueRequest(body: unknown, nowMs: number = Date.now()): IssueRequest {
  if (body === undefined) throw invalid('body', 'a JSON object is required');
  const b = parseRequest(ISSUE_BODY, body);

  const seen = new Set<string>();
  const resources = b.resourceAbilityRequests.map((r, i): RequestedResource => {
    const field = `resourceAbilityRequests[${i}]`;
    const canonical = canonicalResourceId(r.resource.kind, r.resource.id, b.pkpPublicKey);
    if ('problem' in canonical) throw invalid(`${field}.resource.id`, canonical.problem);
    const ability = r.ability as Ability;
    const key = `${r.resource.kind}:${canonical.id}/${ability}`;
    if (seen.has(key)) throw invalid(field, 'duplicates an earlier entry');
    seen.add(key);
    return { kind: r.resource.kind, id: canonical.id, ability };
  });

  const request: IssueRequest = { pkpPublicKey: b.pkpPublicKey, pkpTokenIdHex: pkpTokenIdHex(b.pkpPublicKey), resources };
  if (b.expiration !== undefined) {
    const t = Date.parse(b.expiration);
    if (t <= nowMs) throw invalid('expiration', 'is in the past');
    request.expiration = new Date(t);
  }
  const source = b.litActionIpfsId !== undefined ? { kind: 'ipfs' as const, ipfsId: b.litActionIpfsId } : b.litActionCode;
  if (source) request.litAction = { source, jsParams: b.jsParams! };
  if (b.authMethods !== undefined) request.authMethods = b.authMethods;
  return request;
}

/** `kind:id/ability` strings, as audit records name what was asked. */
export function describeResources(resources: readonly RequestedResource[]): string[] {
  return resources.map((r) => `${r.kind}:${r.id}/${r.ability}`);
}
