/**
 * How long one call to a dependency (DynamoDB, Secrets Manager) may wait, so that a stalled
 * dependency costs a request a coded 503 within about 3 s instead of a hang until API Gateway's
 * uncoded 503 at 29 s.
 *
 * - One call, retries included, gets at most DEPENDENCY_CALL_BUDGET_MS, and never more than the
 *   request has left (`withDependencyBudget` binds the request's deadline to its async context).
 * - Once a call of a request has timed out, the dependency is evidently stalled: the request's
 *   later calls (the failure's audit record, a write-back) get STALLED_CALL_BUDGET_MS only, so a
 *   failing request answers within one budget plus that, not one budget per call.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** One dependency call, all of its attempts included. */
export const DEPENDENCY_CALL_BUDGET_MS = 2_000;
/** A call after another call of the same request timed out. */
export const STALLED_CALL_BUDGET_MS = 400;
/** Per attempt: TCP connect, and socket idle time before the SDK retries (within the call's budget). */
export const DEPENDENCY_CONNECT_TIMEOUT_MS = 500;
export const DEPENDENCY_ATTEMPT_TIMEOUT_MS = 800;

interface Budget {
  deadlineMs: number;
  stalled: boolean;
}

const current = new AsyncLocalStorage<Budget>();

/** Runs `fn` with the request's deadline (unix ms) bounding every dependency call it makes. */
export function withDependencyBudget<T>(deadlineMs: number, fn: () => Promise<T>): Promise<T> {
  return current.run({ deadlineMs, stalled: false }, fn);
}

/** The time the next dependency call may take (ms, at least 1). */
export function callBudgetMs(nowMs: number = Date.now()): number {
  const b = current.getStore();
  const cap = b?.stalled ? STALLED_CALL_BUDGET_MS : DEPENDENCY_CALL_BUDGET_MS;
  return Math.max(1, Math.min(cap, b ? b.deadlineMs - nowMs : cap));
}

/** Thrown when a call ran out of its budget; the adapters map it to their 503 code. */
export class DependencyTimeoutError extends Error {
  override readonly name = 'DependencyTimeoutError';
  constructor(
    readonly dependency: string,
    readonly budgetMs: number,
  ) {
    super(`${dependency} did not answer within ${budgetMs} ms`);
  }
}

/** How often a waiting call's budget is charged; a tick charges at most twice this. */
const TICK_MS = 100;

/**
 * `call()` if it settles within the budget, else DependencyTimeoutError (and the request is marked
 * stalled). The call itself is not cancelled: the clients' own attempt timeouts end it soon after.
 *
 * The budget is charged in ticks of the event loop, each at most 2 × TICK_MS: time this process
 * spent unable to run (a CPU-bound neighbour on the event loop, as when the devnet's nodes run in
 * the same process in tests) is not the dependency's, and must not turn an answered call into a
 * timeout. An idle loop (a real stall) charges the budget in real time, and the request's own
 * deadline is never passed.
 */
export async function withinBudget<T>(dependency: string, call: () => Promise<T>): Promise<T> {
  const budgetMs = callBudgetMs();
  const hardDeadlineMs = current.getStore()?.deadlineMs ?? Number.POSITIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    let spent = 0;
    let last = performance.now();
    const tick = () => {
      const now = performance.now();
      spent += Math.min(now - last, 2 * TICK_MS);
      last = now;
      if (spent < budgetMs && Date.now() < hardDeadlineMs) {
        timer = setTimeout(tick, Math.min(TICK_MS, budgetMs - spent));
        return;
      }
      const b = current.getStore();
      if (b) b.stalled = true;
      reject(new DependencyTimeoutError(dependency, budgetMs));
    };
    timer = setTimeout(tick, Math.min(TICK_MS, budgetMs));
  });
  try {
    return await Promise.race([call(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
