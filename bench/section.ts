/**
 * What every benchmark section returns: tables for people, raw numbers for latest.json. A
 * section whose parts are missing returns `skipped` with the reason instead of failing the run.
 */

export interface Table {
  title?: string;
  columns: string[];
  rows: string[][];
}

export interface SectionResult {
  id: string;
  title: string;
  /** Set when the section did not run: why (missing module, missing tool...). */
  skipped?: string;
  /** Set when the section started but failed: a code or a redacted message. */
  failed?: string;
  tables: Table[];
  /** One-line observations printed under the tables (ratios, caveats). */
  notes: string[];
  /** Raw measurements for latest.json. */
  data: Record<string, unknown>;
}

export interface Section {
  id: string;
  title: string;
  run(): Promise<SectionResult>;
}

/**
 * An error as one safe line: its code if it has one, else its name and message, with long hex
 * runs (keys, signatures) cut out, so nothing secret can reach the console or the JSON file.
 */
export function describeError(e: unknown): string {
  const err = e as { code?: unknown; name?: unknown; message?: unknown };
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const text = `${typeof err?.name === 'string' ? err.name : 'Error'}: ${typeof err?.message === 'string' ? err.message : String(e)}`;
  const safe = text
    .replace(/(0x)?[0-9a-fA-F]{40,}/g, '<hex>')
    .replace(/\{.*\}/gs, '{…}')
    .slice(0, 300);
  return code ? `${code} (${safe})` : safe;
}

/** A result for a section that could not start because something it needs is missing. */
export function skipped(id: string, title: string, reason: string): SectionResult {
  return { id, title, skipped: reason, tables: [], notes: [], data: {} };
}
