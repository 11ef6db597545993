/**
 * The environment-lifetime memos (native keys, verified wallet sigs, scopes, PKP addresses) are
 * keyed by what callers send, so each is bounded: a Map keeps insertion order, and the oldest
 * entries go first.
 */

/** Sets `key` as the newest entry of `map`, then drops the oldest entries beyond `max`. */
export function setBounded<K, V>(map: Map<K, V>, max: number, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value as K);
}
