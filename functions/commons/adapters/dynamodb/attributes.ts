/**
 * Hand-written marshalling for the few item shapes this service stores. `@aws-sdk/lib-dynamodb`
 * and `util-dynamodb` are not dependencies: the item shapes are fixed and small, and reading
 * them field by field lets a malformed item fail with a clear message instead of a wrong type.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export type Item = Record<string, AttributeValue>;

export const s = (value: string): AttributeValue => ({ S: value });
export const n = (value: number): AttributeValue => ({ N: String(value) });
export const list = (values: string[]): AttributeValue => ({ L: values.map(s) });
export const stringMap = (entries: Iterable<[string, string]>): AttributeValue => {
  const m: Record<string, AttributeValue> = {};
  for (const [k, v] of entries) m[k] = s(v);
  return { M: m };
};

/** Drops attributes whose value is undefined, so optional fields are simply absent. */
export function compact(fields: Record<string, AttributeValue | undefined>): Item {
  const out: Item = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v;
  return out;
}

/** Thrown when a stored item does not have the shape this code wrote; mapped to STORAGE_UNAVAILABLE. */
export class MalformedItemError extends Error {
  constructor(what: string) {
    super(`Stored item is malformed: ${what}`);
    this.name = 'MalformedItemError';
  }
}

export function readS(item: Item, name: string): string {
  const v = item[name]?.S;
  if (v === undefined) throw new MalformedItemError(`attribute '${name}' is not a string`);
  return v;
}

export function readOptS(item: Item, name: string): string | undefined {
  return item[name] === undefined ? undefined : readS(item, name);
}

export function readN(item: Item, name: string): number {
  const raw = item[name]?.N;
  const v = raw === undefined ? NaN : Number(raw);
  if (!Number.isFinite(v)) throw new MalformedItemError(`attribute '${name}' is not a number`);
  return v;
}

export function readOptN(item: Item, name: string): number | undefined {
  return item[name] === undefined ? undefined : readN(item, name);
}

export function readStringList(item: Item, name: string): string[] {
  const l = item[name]?.L;
  if (l === undefined) throw new MalformedItemError(`attribute '${name}' is not a list`);
  return l.map((v, i) => {
    if (v.S === undefined) throw new MalformedItemError(`attribute '${name}[${i}]' is not a string`);
    return v.S;
  });
}

export function readStringMap(item: Item, name: string): Map<string, string> {
  const m = item[name]?.M;
  if (m === undefined) throw new MalformedItemError(`attribute '${name}' is not a map`);
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(m)) {
    if (v.S === undefined) throw new MalformedItemError(`attribute '${name}.<entry>' is not a string`);
    out.set(k, v.S);
  }
  return out;
}
