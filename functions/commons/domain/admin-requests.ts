/**
 * The bodies of the admin routes that change things: POST /delegation/refresh and POST /pkps.
 * Refused like any bad body (INVALID_REQUEST naming the field), before anything reaches Lit or
 * the chain.
 */
import { invalid, isObj, refuseUnknownFields } from './request-fields';

/** POST /delegation/refresh: `{ "force": false }` refreshes only inside the margin; absent (or no body) forces. */
export function parseRefreshRequest(body: unknown): { force: boolean } {
  if (body === undefined) return { force: true };
  if (!isObj(body)) throw invalid('body', 'must be a JSON object');
  refuseUnknownFields(body, ['force'], '');
  const force = body.force;
  if (force === undefined) return { force: true };
  if (typeof force !== 'boolean') throw invalid('force', 'must be true or false');
  return { force };
}

/** POST /pkps takes no parameters: no body, or an object with no fields (what many clients send with a POST). */
export function parseMintRequest(body: unknown): Record<string, never> {
  if (body === undefined) return {};
  if (!isObj(body)) throw invalid('body', 'must be absent or an empty JSON object {}: minting takes no parameters');
  refuseUnknownFields(body, [], '');
  return {};
}
