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
import { ABILITIES_BY_RESOURCE, PKP_PUBLIC_KEY, RESOURCE_KINDS, isCidV0, type Ability, type ResourceKind } from '../config';
import type { JsParams, LitActionRequest } from './lit-action';
import { invalid, isObj, refuseUnknownFields } from './request-fields';

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
const TOP_LEVEL_FIELDS = ['pkpPublicKey', 'resourceAbilityRequests', 'expiration', 'authMethods', 'litActionIpfsId', 'litActionCode', 'jsParams'];
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

function canonicalResourceId(kind: ResourceKind, rawId: string, pkpPublicKey: string, field: string): string {
  if (rawId === '*') return '*';
  switch (kind) {
    case 'pkp': {
      const own = pkpTokenIdHex(pkpPublicKey);
      if (PKP_PUBLIC_KEY.test(rawId) && !isOnCurve(rawId)) throw invalid(field, 'is not a valid public key (not a point of secp256k1)');
      const asHex = PKP_PUBLIC_KEY.test(rawId) ? pkpTokenIdHex(rawId.toLowerCase()) : tokenIdToHex64(rawId);
      if (asHex === undefined) throw invalid(field, "must be '*', a PKP token id (decimal or 0x hex) or a PKP public key");
      if (asHex !== own) throw invalid(field, 'must name the requested PKP (session sigs for one PKP cannot grant another)');
      return own;
    }
    case 'lit-action':
      if (!CID_V0.test(rawId) && !CID_V1_BASE32.test(rawId)) throw invalid(field, "must be '*' or an IPFS CID (Qm… or b…)");
      return rawId;
    case 'access-control-condition':
      if (!ACC_ID.test(rawId)) throw invalid(field, "must be '*' or a hex access-control resource id (64 to 128 hex digits)");
      return rawId.toLowerCase();
    case 'rate-limit-increase':
      if (!DECIMAL_ID.test(rawId)) throw invalid(field, "must be '*' or a decimal capacity token id");
      return BigInt(rawId).toString(10);
  }
}

function parseExpiration(v: unknown, nowMs: number): Date {
  if (typeof v !== 'string' || !ISO_DATE_TIME.test(v)) throw invalid('expiration', 'must be an ISO 8601 date-time with a time zone, e.g. 2026-01-01T00:00:00Z');
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalid('expiration', 'is not a valid date-time');
  // Date.parse rolls impossible calendar dates over (Feb 30 → Mar 2): the written date must exist.
  const [year, month, day] = v.slice(0, 10).split('-').map(Number);
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCFullYear() !== year || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) {
    throw invalid('expiration', 'is not a valid date-time');
  }
  if (t <= nowMs) throw invalid('expiration', 'is in the past');
  return new Date(t);
}

function parseAuthMethods(v: unknown): CallerAuthMethod[] {
  if (!Array.isArray(v) || v.length === 0) throw invalid('authMethods', 'must be a non-empty list');
  if (v.length > MAX_AUTH_METHODS) throw invalid('authMethods', `must have at most ${MAX_AUTH_METHODS} entries`);
  return v.map((m, i) => {
    const field = `authMethods[${i}]`;
    if (!isObj(m)) throw invalid(field, 'must be an object');
    refuseUnknownFields(m, ['authMethodType', 'accessToken'], field);
    if (typeof m.authMethodType !== 'number' || !Number.isInteger(m.authMethodType) || m.authMethodType < 0 || m.authMethodType > 0xffff)
      throw invalid(`${field}.authMethodType`, 'must be a whole number (a Lit auth method type)');
    if (typeof m.accessToken !== 'string' || m.accessToken.length === 0 || m.accessToken.length > MAX_ACCESS_TOKEN_CHARS)
      throw invalid(`${field}.accessToken`, `must be a non-empty string of at most ${MAX_ACCESS_TOKEN_CHARS} characters`);
    return { authMethodType: m.authMethodType, accessToken: m.accessToken };
  });
}

function parseLitActionCode(v: unknown): LitActionRequest['source'] {
  const field = 'litActionCode';
  if (typeof v !== 'string' || v.length === 0) throw invalid(field, 'must be a non-empty string: the action code, base64-encoded');
  if (v.length > MAX_LIT_ACTION_CODE_CHARS) throw invalid(field, `must decode to at most ${MAX_LIT_ACTION_CODE_BYTES} bytes of code`);
  // Canonical only (padding, zero trailing bits): the node's strict decoder refuses anything else.
  const code = Buffer.from(v, 'base64');
  if (!BASE64.test(v) || code.toString('base64') !== v) throw invalid(field, 'must be standard base64 with padding (A-Z a-z 0-9 + /, =)');
  if (code.length > MAX_LIT_ACTION_CODE_BYTES) throw invalid(field, `must decode to at most ${MAX_LIT_ACTION_CODE_BYTES} bytes of code`);
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(code);
  } catch {
    throw invalid(field, 'must decode to UTF-8 text (the node runs it as JavaScript source)');
  }
  return { kind: 'inline', codeBase64: v, code: new Uint8Array(code) };
}

/** Depth of nesting of a JSON value, and whether every number in it is finite (JSON.parse turns 1e999 into Infinity). */
function checkJsonValue(v: unknown, depth: number): void {
  if (typeof v === 'number' && !Number.isFinite(v)) throw invalid('jsParams', 'must hold finite numbers only');
  if (typeof v !== 'object' || v === null) return;
  if (depth > MAX_JS_PARAMS_DEPTH) throw invalid('jsParams', `must nest at most ${MAX_JS_PARAMS_DEPTH} levels deep`);
  for (const child of Object.values(v)) checkJsonValue(child, depth + 1);
}

function parseJsParams(v: unknown): JsParams {
  if (!isObj(v)) throw invalid('jsParams', 'must be a JSON object ({} for none)');
  // Depth first: the walk stops at the limit, where JSON.stringify would recurse as deep as the body nests.
  checkJsonValue(v, 1);
  if (Buffer.byteLength(JSON.stringify(v), 'utf8') > MAX_JS_PARAMS_BYTES) throw invalid('jsParams', `must serialize to at most ${MAX_JS_PARAMS_BYTES} bytes`);
  return v;
}

function parseLitAction(body: Record<string, unknown>): LitActionRequest | undefined {
  const { litActionIpfsId: ipfsId, litActionCode: code, jsParams } = body;
  if (ipfsId === undefined && code === undefined) {
    if (jsParams !== undefined) throw invalid('jsParams', 'is only used with litActionIpfsId or litActionCode');
    return undefined;
  }
  if (ipfsId !== undefined && code !== undefined) throw invalid('litActionCode', 'give either litActionIpfsId or litActionCode, not both');
  if (body.authMethods !== undefined)
    throw invalid('authMethods', 'cannot come with a Lit Action: the action is the authentication, and any permitted auth method would pass the PKP check whatever the action answers');
  let source: LitActionRequest['source'];
  if (ipfsId !== undefined) {
    if (typeof ipfsId !== 'string' || !isCidV0(ipfsId)) throw invalid('litActionIpfsId', 'must be an IPFS CIDv0 (Qm + 44 base58 characters), as Lit nodes name actions');
    source = { kind: 'ipfs', ipfsId };
  } else {
    source = parseLitActionCode(code);
  }
  if (jsParams === undefined) throw invalid('jsParams', 'is required with a Lit Action ({} for none)');
  return { source, jsParams: parseJsParams(jsParams) };
}

/**
 * Validates `body` (already JSON-parsed) and returns it in canonical form.
 * @param nowMs the instant an expiration must lie after
 */
export function parseIssueRequest(body: unknown, nowMs: number = Date.now()): IssueRequest {
  if (body === undefined) throw invalid('body', 'a JSON object is required');
  if (!isObj(body)) throw invalid('body', 'must be a JSON object');
  refuseUnknownFields(body, TOP_LEVEL_FIELDS, '');

  const pkp = body.pkpPublicKey;
  if (typeof pkp !== 'string' || !PKP_PUBLIC_KEY.test(pkp)) throw invalid('pkpPublicKey', 'must be an uncompressed PKP public key: 0x04 followed by 128 hex digits');
  if (!isOnCurve(pkp)) throw invalid('pkpPublicKey', 'is not a valid public key (not a point of secp256k1)');
  const pkpPublicKey = pkp.toLowerCase();

  const rar = body.resourceAbilityRequests;
  if (!Array.isArray(rar) || rar.length === 0) throw invalid('resourceAbilityRequests', 'must be a non-empty list');
  if (rar.length > MAX_RESOURCES) throw invalid('resourceAbilityRequests', `must have at most ${MAX_RESOURCES} entries`);
  const seen = new Set<string>();
  const resources = rar.map((r, i): RequestedResource => {
    const field = `resourceAbilityRequests[${i}]`;
    if (!isObj(r)) throw invalid(field, 'must be an object');
    refuseUnknownFields(r, ['resource', 'ability'], field);
    if (!isObj(r.resource)) throw invalid(`${field}.resource`, 'must be an object { kind, id }');
    refuseUnknownFields(r.resource, ['kind', 'id'], `${field}.resource`);
    const kind = r.resource.kind;
    if (typeof kind !== 'string' || !(RESOURCE_KINDS as readonly string[]).includes(kind))
      throw invalid(`${field}.resource.kind`, `must be one of ${RESOURCE_KINDS.join(', ')}`);
    const k = kind as ResourceKind;
    const ability = r.ability;
    if (typeof ability !== 'string' || !(ABILITIES_BY_RESOURCE[k] as readonly string[]).includes(ability))
      throw invalid(`${field}.ability`, `must be one of ${ABILITIES_BY_RESOURCE[k].join(', ')} for resource kind '${k}'`);
    const id = r.resource.id;
    if (typeof id !== 'string' || id.length === 0 || id.length > 256) throw invalid(`${field}.resource.id`, "must be a non-empty string ('*' or a resource id)");
    const canonical = canonicalResourceId(k, id, pkpPublicKey, `${field}.resource.id`);
    const key = `${k}:${canonical}/${ability}`;
    if (seen.has(key)) throw invalid(field, 'duplicates an earlier entry');
    seen.add(key);
    return { kind: k, id: canonical, ability: ability as Ability };
  });

  const request: IssueRequest = { pkpPublicKey, pkpTokenIdHex: pkpTokenIdHex(pkpPublicKey), resources };
  if (body.expiration !== undefined) request.expiration = parseExpiration(body.expiration, nowMs);
  const litAction = parseLitAction(body);
  if (litAction) request.litAction = litAction;
  if (body.authMethods !== undefined) request.authMethods = parseAuthMethods(body.authMethods);
  return request;
}

/** `kind:id/ability` strings, as audit records name what was asked. */
export function describeResources(resources: readonly RequestedResource[]): string[] {
  return resources.map((r) => `${r.kind}:${r.id}/${r.ability}`);
}
