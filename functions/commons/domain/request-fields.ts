/**
 * Shared pieces of request-body validation: the INVALID_REQUEST error naming a field, and the
 * refusal of unknown fields.
 *
 * An error names what was wrong without reflecting what the caller chose to send: field paths
 * are built from the API's own field names and bounded indexes, and an unknown key is echoed only
 * when it is a plain name (at most 64 letters, digits, `_`, `$` or `-`). Any other key (markup,
 * control characters, a 4 KB name) is named by its position among the object's keys, `#N`
 * counting from 1, so an error body stays small and inert whatever the request held.
 */
import { ServiceError } from '../errors';

/** Keys that may appear in an error as they are. */
const PLAIN_KEY = /^[A-Za-z0-9_$-]{1,64}$/;

export function invalid(field: string, message: string): ServiceError {
  return new ServiceError('INVALID_REQUEST', `${field}: ${message}`, { details: { field } });
}

export const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** How an error names key `key`, found at `index` (0-based) of its object's keys. */
export function keyLabel(key: string, index: number): string {
  return PLAIN_KEY.test(key) ? key : `#${index + 1}`;
}

/** Refuses the first key of `o` not in `known`; `path` is the object's own path ('' for the body). */
export function refuseUnknownFields(o: Record<string, unknown>, known: readonly string[], path: string): void {
  Object.keys(o).forEach((k, i) => {
    if (known.includes(k)) return;
    const label = keyLabel(k, i);
    const field = path ? `${path}.${label}` : label;
    const what = label === k ? 'unknown field' : 'unknown field, named by its position (its name is not a plain name of at most 64 letters, digits, _, $ or -)';
    throw invalid(field, `${what} (known: ${known.length > 0 ? known.join(', ') : 'none'})`);
  });
}
