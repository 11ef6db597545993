/** Faults a devnet node can be told to show, at start or while running. */
export interface NodeFaults {
  /** Added before every answer, in ms. */
  latencyMs: number;
  /** Probability 0..1 that a request is answered with an injected 500 instead. */
  errorRate: number;
}

export const NO_FAULTS: NodeFaults = Object.freeze({ latencyMs: 0, errorRate: 0 });

export function validateFaults(faults: Partial<NodeFaults>): void {
  if (faults.latencyMs !== undefined && !(Number.isFinite(faults.latencyMs) && faults.latencyMs >= 0)) {
    throw new RangeError('latencyMs must be a finite number >= 0');
  }
  if (faults.errorRate !== undefined && !(faults.errorRate >= 0 && faults.errorRate <= 1)) {
    throw new RangeError('errorRate must be between 0 and 1');
  }
}
