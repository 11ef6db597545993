/**
 * ReCap (`urn:recap:` SIWE resources) as the real node reads, merges and writes them: the
 * siwe-recap crate at the revision the node pins (spruceid/siwe-recap src/capability.rs:196-319)
 * over ucan-capabilities-object. Decoded here independently of the SDK's encoder, so a devnet test
 * checks the SDK rather than agreeing with it by construction.
 */
import canonicalize from 'canonicalize';
import { isUri } from './siwe';

export const RECAP_PREFIX = 'urn:recap:';
const STATEMENT_HEAD = 'I further authorize the stated URI to perform the following actions on my behalf:';
const ABILITY = /^[A-Za-z0-9\-_.+*]+\/[A-Za-z0-9\-_.+*]+$/;

/** resource URI -> `namespace/name` -> nota-bene list (one object per grant). */
export type Attenuations = Record<string, Record<string, Record<string, unknown>[]>>;

export interface Capability {
  att: Attenuations;
  prf: string[];
}

/** A capability that does not decode (siwe-recap DecodingError), or a statement that does not end with it (VerificationError). */
export class RecapError extends Error {
  constructor(text: string) {
    super(text);
    this.name = 'RecapError';
  }
}

const byBytes = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Decode one `urn:recap:` resource. Throws RecapError. */
export function decodeRecap(resource: string): Capability {
  if (!resource.startsWith(RECAP_PREFIX)) throw new RecapError('Invalid resource prefix');
  const encoded = resource.slice(RECAP_PREFIX.length);
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(encoded)) throw new RecapError('Failed to decode base64: Invalid byte');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch (e) {
    throw new RecapError(`Failed to decode JSON: ${(e as Error).message.slice(0, 80)}`);
  }
  const c = json as { att?: unknown; prf?: unknown } | null;
  if (!c || typeof c !== 'object' || Array.isArray(c)) throw new RecapError('Failed to decode JSON: invalid type, expected struct Capability');
  if (c.att === undefined) throw new RecapError('Failed to decode JSON: missing field `att`');
  if (c.prf === undefined) throw new RecapError('Failed to decode JSON: missing field `prf`');
  if (!Array.isArray(c.prf) || !c.prf.every((p) => typeof p === 'string' && p.startsWith('z')))
    throw new RecapError('Failed to decode JSON: invalid proof CID');
  if (typeof c.att !== 'object' || c.att === null || Array.isArray(c.att)) throw new RecapError('Failed to decode JSON: invalid type, expected a map');
  const att: Attenuations = {};
  for (const [uri, abilities] of Object.entries(c.att as Record<string, unknown>)) {
    if (!isUri(uri)) throw new RecapError('Failed to decode JSON: invalid resource URI');
    if (typeof abilities !== 'object' || abilities === null || Array.isArray(abilities))
      throw new RecapError('Failed to decode JSON: invalid type, expected a map');
    att[uri] = {};
    for (const [ability, nb] of Object.entries(abilities as Record<string, unknown>)) {
      if (!ABILITY.test(ability)) throw new RecapError('Failed to decode JSON: invalid ability');
      if (!Array.isArray(nb) || nb.length === 0) throw new RecapError('Failed to decode JSON: nota bene list must not be empty');
      if (!nb.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x))) throw new RecapError('Failed to decode JSON: invalid nota bene');
      att[uri][ability] = nb as Record<string, unknown>[];
    }
  }
  return { att, prf: c.prf as string[] };
}

/** siwe-recap `to_statement`: resources in byte order, abilities grouped by namespace (byte order), names in ability order. */
export function recapStatement(cap: Capability): string {
  let n = 0;
  let text = STATEMENT_HEAD;
  for (const resource of Object.keys(cap.att).sort(byBytes)) {
    const groups = new Map<string, string[]>();
    for (const ability of Object.keys(cap.att[resource]).sort(byBytes)) {
      const [namespace, name] = ability.split('/');
      groups.set(namespace, [...(groups.get(namespace) ?? []), name]);
    }
    for (const namespace of [...groups.keys()].sort(byBytes)) {
      text += ` (${++n}) '${namespace}': ${groups
        .get(namespace)!
        .map((a) => `'${a}'`)
        .join(', ')} for '${resource}'.`;
    }
  }
  return text;
}

/**
 * siwe-recap `extract_and_verify`: the LAST resource, if it is a ReCap, decoded, and the statement
 * must end with its statement. Undefined when the last resource is not a ReCap (or there is none).
 */
export function extractAndVerify(m: { statement?: string; resources: string[] }): Capability | undefined {
  const last = m.resources.at(-1);
  if (last === undefined || !last.startsWith(RECAP_PREFIX)) return undefined;
  const cap = decodeRecap(last);
  const expected = recapStatement(cap);
  if (!(m.statement ?? '').endsWith(expected) || m.statement === undefined) {
    throw new RecapError(`incorrect statement in siwe message, expected to end with: ${expected}`);
  }
  return cap;
}

/** siwe-recap `merge` (ucan Capabilities::merge): nota-bene lists appended per resource and ability, proofs de-duplicated in order. */
export function mergeRecaps(first: Capability, second: Capability): Capability {
  const att: Attenuations = structuredClone(first.att);
  for (const [uri, abilities] of Object.entries(second.att)) {
    att[uri] ??= {};
    for (const [ability, nb] of Object.entries(abilities)) att[uri][ability] = [...(att[uri][ability] ?? []), ...nb];
  }
  return { att, prf: [...new Set([...first.prf, ...second.prf])] };
}

/** `urn:recap:` + base64url (no padding) of the JCS (RFC 8785) form, as siwe-recap `encode`. */
export function encodeRecap(cap: Capability): string {
  return RECAP_PREFIX + Buffer.from(canonicalize(cap) as string, 'utf8').toString('base64url');
}

/** Does `cap` grant `ability` (or `*\/*`) on `resource`? (ucan `can_do` with the wildcard ability.) */
export function grantsAbility(cap: Capability, resource: string, ability: string): boolean {
  const abilities = cap.att[resource];
  return abilities !== undefined && (abilities[ability] !== undefined || abilities['*/*'] !== undefined);
}
