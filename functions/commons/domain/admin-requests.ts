/**
 * The bodies of the admin routes that change things: POST /delegation/refresh and POST /pkps.
 * Refused like any bad body (INVALID_REQUEST naming the field), before anything reaches Lit or
 * the chain.
 */
import * as z from 'zod/mini';
import { parseRequest, requestObject } from './request-fields';

const REFRESH_BODY = requestObject({ force: z.optional(z.boolean({ error: 'must be true or false' })) }, 'must be a JSON object');

/** POST /delegation/refresh: `{ "force": false }` refreshes only inside the margin; absent (or no body) forces. */
export function parseRefreshRequest(body: unknown): { force: boolean } {
  if (body === undefined) return { force: true };
  return { force: parseRequest(REFRESH_BODY, body).force ?? true };
}

const MINT_BODY = requestObject({}, 'must be absent or an empty JSON object {}: minting takes no parameters');

/** POST /pkps takes no parameters: no body, or an object with no fields (what many clients send with a POST). */
export function parseMintRequest(body: unknown): Record<string, never> {
  if (body !== undefined) parseRequest(MINT_BODY, body);
  return {};
}
