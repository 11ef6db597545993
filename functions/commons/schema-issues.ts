/**
 * What the config and the request parsers share about zod's issues: how a path is written, which
 * issue of several is the one to report, and whether a part of a value came through clean (so a
 * rule across fields only judges fields that are themselves valid).
 *
 * Every schema of the service sets its own messages (`error` on each schema and check), so no
 * zod default text, which can name the input's type or the schema's internals, reaches a user.
 */
import type * as z from 'zod/mini';

export type IssuePath = readonly PropertyKey[];

/** `lit.custom.contracts.Staking`, `policy.callers[0].pkps[1]`: keys joined by dots, indexes in brackets. */
export function pathText(path: IssuePath): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), '');
}

const startsWith = (path: IssuePath, prefix: IssuePath): boolean => prefix.length <= path.length && prefix.every((k, i) => path[i] === k);

/**
 * The issue a fail-fast reader would have met first. zod reports issues in the order it reads the
 * schema (fields in declaration order, list entries by index) but an object's unknown keys after
 * its fields; a request's unknown fields are refused before its fields are read, so an
 * `unrecognized_keys` issue on an object outranks every issue inside that object.
 */
export function firstIssue<T extends { code: string; path: IssuePath }>(issues: readonly T[]): T {
  let first = issues[0];
  for (const issue of issues) {
    if (
      issue.code === 'unrecognized_keys' &&
      startsWith(first.path, issue.path) &&
      (first.code !== 'unrecognized_keys' || issue.path.length < first.path.length)
    )
      first = issue;
  }
  return first;
}

/**
 * Whether each of `paths` (relative to the payload's value) came through valid as far as its own
 * schema goes: no issue inside it, and none on an object around it (an unknown key beside it
 * does not count: it leaves the field's value as it is).
 */
export function settled(payload: z.core.ParsePayload, ...paths: IssuePath[]): boolean {
  return payload.issues.every((issue) => {
    const at = issue.path ?? [];
    return paths.every((p) => !startsWith(at, p) && (issue.code === 'unrecognized_keys' || !startsWith(p, at)));
  });
}
