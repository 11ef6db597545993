/**
 * The functions' DynamoDB client: the AWS SDK's defaults would wait on a stalled table for
 * minutes (no socket timeout), so each attempt has a connect and an idle timeout, and each call,
 * its retries included, the budget of dependency-budget.ts: a stalled table costs a request
 * STORAGE_UNAVAILABLE within that budget, not a hang.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DEPENDENCY_ATTEMPT_TIMEOUT_MS, DEPENDENCY_CONNECT_TIMEOUT_MS, withinBudget } from '../../dependency-budget';

export function createServiceDynamoClient(config: DynamoDBClientConfig = {}): DynamoDBClient {
  const client = new DynamoDBClient({
    // Three attempts fit in the call budget when the table answers slowly rather than not at all.
    maxAttempts: 3,
    requestHandler: { connectionTimeout: DEPENDENCY_CONNECT_TIMEOUT_MS, requestTimeout: DEPENDENCY_ATTEMPT_TIMEOUT_MS },
    ...config,
  });
  // Around the whole call (the retry middleware runs inside it), in the caller's async context.
  client.middlewareStack.add((next) => (args) => withinBudget('DynamoDB', () => next(args)), {
    step: 'initialize',
    name: 'dependencyBudget',
    priority: 'high',
  });
  return client;
}
