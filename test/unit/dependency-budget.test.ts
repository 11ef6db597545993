/**
 * The dependency call budget (dependency-budget.ts): a call that never answers fails with a
 * timeout and marks the request stalled; a call answered while the process itself was busy is not
 * a timeout; the request's deadline bounds every call.
 */
import net from 'node:net';
import {
  callBudgetMs,
  DEPENDENCY_CALL_BUDGET_MS,
  DependencyTimeoutError,
  STALLED_CALL_BUDGET_MS,
  withDependencyBudget,
  withinBudget,
} from '../../functions/commons/dependency-budget';

const never = () => new Promise<never>(() => undefined);

describe('dependency call budget', () => {
  it('outside a request: the full call budget; inside: never past the request deadline', async () => {
    expect(callBudgetMs()).toBe(DEPENDENCY_CALL_BUDGET_MS);
    await withDependencyBudget(Date.now() + 300, async () => {
      expect(callBudgetMs()).toBeLessThanOrEqual(300);
      await expect(withinBudget('Thing', never)).rejects.toBeInstanceOf(DependencyTimeoutError);
    });
  });

  it('after one call of a request timed out, its later calls get the stalled budget; another request does not', async () => {
    await withDependencyBudget(Date.now() + 250, async () => {
      await expect(withinBudget('DynamoDB', never)).rejects.toMatchObject({ name: 'DependencyTimeoutError', dependency: 'DynamoDB' });
      expect(callBudgetMs()).toBeLessThanOrEqual(STALLED_CALL_BUDGET_MS);
    });
    await withDependencyBudget(Date.now() + 60_000, async () => expect(callBudgetMs()).toBe(DEPENDENCY_CALL_BUDGET_MS));
  });

  it('an answer that arrived while the event loop was blocked longer than the budget is not a timeout', async () => {
    // A real socket answer (I/O is handled after the loop's timers): a plain timeout of the
    // budget would fire first and turn the answered call into a timeout.
    const server = net.createServer((socket) => socket.on('data', (d) => socket.end(d)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    try {
      const answered = new Promise<string>((resolve) => socket.once('data', (d) => resolve(d.toString())));
      const result = withinBudget('DynamoDB', () => answered);
      socket.write('answer');
      const until = Date.now() + DEPENDENCY_CALL_BUDGET_MS + 300;
      while (Date.now() < until); // the process busy (CPU), not the dependency
      await expect(result).resolves.toBe('answer');
    } finally {
      socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
