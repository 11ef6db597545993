/**
 * Reading SIWE (EIP-4361) messages and their ReCap resources the way a Lit node does. Parsed
 * with the `siwe` package (the SDK's own parser); ReCaps (`urn:recap:` + base64url JSON
 * `{ att, prf }`) decoded here, independently of the SDK's encoder, so that a devnet test checks
 * the SDK rather than agreeing with it by construction.
 */
import { SiweMessage } from 'siwe';
import { NodeRefusal } from './node-error';

/** resource key (e.g. `lit-pkp://*`) -> `namespace/ability` (e.g. `Threshold/Signing`) -> restriction list. */
export type Attenuations = Record<string, Record<string, Record<string, unknown>[]>>;

/** Parse a SIWE message or refuse with NodeInvalidSiwe. `what` names it in the message. */
export function parseSiwe(text: unknown, what: string): SiweMessage {
  if (typeof text !== 'string' || text.length === 0) throw new NodeRefusal('NodeInvalidSiwe', `${what} is missing`);
  try {
    return new SiweMessage(text);
  } catch {
    throw new NodeRefusal('NodeInvalidSiwe', `${what} is not a well-formed SIWE message`);
  }
}

/** Milliseconds since epoch of an ISO time, or NaN. */
export function timeOf(iso: string | undefined): number {
  return iso ? Date.parse(iso) : Number.NaN;
}

/** The union of the attenuations of every `urn:recap:` resource in the message. */
export function recapAttenuations(siwe: SiweMessage): Attenuations {
  const merged: Attenuations = {};
  for (const resource of siwe.resources ?? []) {
    if (!resource.startsWith('urn:recap:')) continue;
    let decoded: { att?: Attenuations };
    try {
      decoded = JSON.parse(Buffer.from(resource.slice('urn:recap:'.length), 'base64url').toString('utf8')) as { att?: Attenuations };
    } catch {
      throw new NodeRefusal('NodeInvalidSiwe', 'a ReCap resource is not valid base64url JSON');
    }
    for (const [key, abilities] of Object.entries(decoded.att ?? {})) {
      merged[key] = { ...(merged[key] ?? {}), ...abilities };
    }
  }
  return merged;
}

/**
 * True when the attenuations grant `namespaceAbility` (or `*` / `*` + `/` + `*`) on one of `resourceKeys`.
 * Lit grants by exact key or by the prefix's wildcard (`lit-pkp://*`).
 */
export function grants(att: Attenuations, resourceKeys: string[], namespaceAbility: string): boolean {
  return resourceKeys.some((key) => {
    const abilities = att[key];
    return abilities !== undefined && (abilities[namespaceAbility] !== undefined || abilities['*/*'] !== undefined);
  });
}

/** The ReCap resource keys that cover a PKP: its token id as 64 hex chars, or the wildcard. */
export function pkpResourceKeys(tokenIdHex64: string): string[] {
  return ['lit-pkp://*', `lit-pkp://${tokenIdHex64}`];
}
