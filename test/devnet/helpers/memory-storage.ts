/**
 * A synchronous in-memory DOM `Storage`, for the SDK's `storageProvider.provider` (where it keeps
 * the session key and the wallet sig). The SDK installs the provider as `globalThis.localStorage`
 * once per process (non-configurable), so a test file makes one and clears it between tests.
 */
export class MemoryStorage implements Storage {
  private readonly items = new Map<string, string>();

  get length(): number {
    return this.items.size;
  }

  clear(): void {
    this.items.clear();
  }

  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }

  key(index: number): string | null {
    return [...this.items.keys()][index] ?? null;
  }

  removeItem(key: string): void {
    this.items.delete(key);
  }

  setItem(key: string, value: string): void {
    this.items.set(key, String(value));
  }

  [name: string]: unknown;
}
