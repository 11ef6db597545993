/**
 * What the domain emits, without Powertools types: the handlers pass the Powertools-backed sink
 * (`commons/powertools.ts`), tests pass a recorder. Names come from `commons/metric-names.ts`.
 */
export interface MetricsSink {
  count(name: string, value?: number): void;
  seconds(name: string, value: number): void;
}

/** A sink that drops everything (for code paths that have no metrics to report). */
export const NO_METRICS: MetricsSink = { count: () => undefined, seconds: () => undefined };
