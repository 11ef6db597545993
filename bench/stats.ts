/**
 * Small numeric helpers for the benchmarks. Every loop has a fixed count, so these work on short
 * arrays of wall-clock samples (milliseconds).
 */

/** Wall-clock milliseconds of `fn`, with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const s = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Nearest-rank percentile (p in 0..100): with 20 samples, p95 is the 19th smallest. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const s = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[rank - 1];
}

export function max(samples: readonly number[]): number {
  return samples.length === 0 ? Number.NaN : Math.max(...samples);
}

/** Summary kept in latest.json next to the raw samples. */
export interface Summary {
  n: number;
  median: number;
  p95: number;
  max: number;
  samples: number[];
}

export function summarize(samples: readonly number[]): Summary {
  return { n: samples.length, median: median(samples), p95: percentile(samples, 95), max: max(samples), samples: samples.map(round1) };
}

export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/** "12.3 ms" / "1.23 s" */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (Math.abs(ms) >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (Math.abs(ms) >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}

/** "4.02 MB" / "812 KB" (decimal units, as Lambda's limits are stated). */
export function fmtBytes(bytes: number): string {
  if (bytes >= 1_000_000) return `${(bytes / 1_000_000).toFixed(2)} MB`;
  if (bytes >= 1000) return `${Math.round(bytes / 1000)} KB`;
  return `${bytes} B`;
}

/** "×12.3" */
export function fmtRatio(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  return `×${x >= 10 ? x.toFixed(0) : x.toFixed(2)}`;
}
