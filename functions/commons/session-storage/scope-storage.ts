/**
 * A synchronous, in-memory DOM `Storage` for one session scope. The Lit SDK reads and writes
 * `localStorage` synchronously, so the scope is loaded from DynamoDB before the SDK call and
 * written back after it; this class is the in-between, and knows whether anything changed.
 */

export class ScopeStorage implements Storage {
  /** Required by the DOM `Storage` type; named-property access is not supported (the SDK never uses it). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the DOM Storage interface's own index signature, which `implements Storage` must repeat
  [name: string]: any;

  readonly #entries: Map<string, string>;
  /** What was loaded: `changed` compares against it, so writing back an identical value costs no write. */
  readonly #initial: Map<string, string>;
  #sealed = false;
  #lateWrites = 0;

  constructor(initial: Iterable<[string, string]> = []) {
    this.#entries = new Map(initial);
    this.#initial = new Map(this.#entries);
  }

  get length(): number {
    return this.#entries.size;
  }

  key(index: number): string | null {
    const i = Math.trunc(Number(index));
    if (!Number.isFinite(i) || i < 0 || i >= this.#entries.size) return null;
    let n = 0;
    for (const k of this.#entries.keys()) if (n++ === i) return k;
    return null;
  }

  getItem(key: string): string | null {
    return this.#entries.get(String(key)) ?? null;
  }

  setItem(key: string, value: string): void {
    if (this.#refuseLateWrite()) return;
    this.#entries.set(String(key), String(value));
  }

  removeItem(key: string): void {
    if (this.#refuseLateWrite()) return;
    this.#entries.delete(String(key));
  }

  clear(): void {
    if (this.#refuseLateWrite()) return;
    this.#entries.clear();
  }

  /** True when the entries differ from what the storage was created with. */
  get changed(): boolean {
    if (this.#entries.size !== this.#initial.size) return true;
    for (const [k, v] of this.#entries) if (this.#initial.get(k) !== v) return true;
    return false;
  }

  /** A copy of the current entries. */
  snapshot(): Map<string, string> {
    return new Map(this.#entries);
  }

  /**
   * After the write-back the storage is sealed: SDK work still running in the request's async
   * context (timers, late promise callbacks) can read but no longer change it, so what was saved
   * is what the storage holds.
   */
  seal(): void {
    this.#sealed = true;
  }

  get sealed(): boolean {
    return this.#sealed;
  }

  /** Writes refused because they came after `seal()`. */
  get lateWrites(): number {
    return this.#lateWrites;
  }

  #refuseLateWrite(): boolean {
    if (this.#sealed) this.#lateWrites++;
    return this.#sealed;
  }
}
