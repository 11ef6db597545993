/**
 * One place that turns DynamoDB failures into the service's typed errors. Conditional-check
 * failures are an expected outcome (a lost race), never an error: callers test for them with
 * `isConditionalCheckFailed` before calling `storageUnavailable`.
 */
import { ServiceError } from '../../errors';

/** True for a failed ConditionExpression on a single-item write. */
export function isConditionalCheckFailed(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'ConditionalCheckFailedException';
}

/**
 * STORAGE_UNAVAILABLE with the operation's name and the DynamoDB error's name only: item
 * contents (session keys, auth sigs) never reach the message. The original error is kept as
 * `cause` for the logs of whoever catches it.
 */
export function storageUnavailable(operation: string, e: unknown): ServiceError {
  if (e instanceof ServiceError) return e;
  const kind = typeof e === 'object' && e !== null && typeof (e as { name?: unknown }).name === 'string' ? (e as { name: string }).name : 'Error';
  return new ServiceError('STORAGE_UNAVAILABLE', `Storage is unavailable (${operation}: ${kind})`, {
    cause: e,
    details: { operation, kind },
  });
}
