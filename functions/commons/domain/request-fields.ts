/**
 * Shared pieces of request-body validation: the INVALID_REQUEST error naming a field, the object
 * schema that refuses unknown fields, and the parse that turns a schema's first issue into that
 * error.
 *
 * An error names what was wrong without reflecting what the caller chose to send: field paths
 * are built from the API's own field names and bounded indexes, messages are the schemas' own
 * (never zod's defaults, and never the value), and an unknown key is echoed only when it is a
 * plain name (at most 64 letters, digits, `_`, `$` or `-`). Any other key (markup, control
 * characters, a 4 KB name) is named by its position among the object's keys, `#N` counting from
 * 1, so an error body stays small and inert whatever the request held.
 */
import * as z from 'zod/mini';
import { ServiceError } from '../errors';
import { firstIssue, pathText } from '../schema-issues';

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

/**
 * A JSON object of the request with exactly these fields. An unknown field's issue carries the
 * known names as its message; `parseRequest` words it, once it knows how to name the key.
 */
export function requestObject<S extends z.core.$ZodLooseShape>(shape: S, notAnObject = 'must be an object') {
  const known = Object.keys(shape).join(', ') || 'none';
  return z.strictObject(shape, { error: (issue) => (issue.code === 'unrecognized_keys' ? known : notAnObject) });
}

/** A list checked for its length before its entries: a too-long list is refused as such, without reading each entry. */
export function boundedList<T extends z.core.$ZodType>(entry: T, bounds: { min: number; max: number; notAList: string; tooLong: string }) {
  return z.pipe(
    z.array(z.unknown(), { error: bounds.notAList }).check(z.minLength(bounds.min, bounds.notAList), z.maxLength(bounds.max, bounds.tooLong)),
    z.array(entry),
  );
}

/** The value at `path` in `root` (the body as sent), to find an unknown key's position. */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k], root);
}

/** Validates `body` with `schema`; the first problem (unknown fields first) is thrown as INVALID_REQUEST naming its field (`body` for the body itself). */
export function parseRequest<T extends z.core.$ZodType>(schema: T, body: unknown): z.output<T> {
  const result = z.safeParse(schema, body);
  if (result.success) return result.data;
  const issue = firstIssue(result.error.issues);
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    const label = keyLabel(key, Object.keys(valueAt(body, issue.path) as object).indexOf(key));
    const what =
      label === key ? 'unknown field' : 'unknown field, named by its position (its name is not a plain name of at most 64 letters, digits, _, $ or -)';
    throw invalid(pathText([...issue.path, label]), `${what} (known: ${issue.message})`);
  }
  throw invalid(issue.path.length > 0 ? pathText(issue.path) : 'body', issue.message);
}
