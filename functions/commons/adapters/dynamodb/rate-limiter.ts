/**
 * Fixed-window rate limiter: one counter item per caller and UTC minute, incremented with a
 * single conditional UpdateItem (`ADD count :one` only while `count < limit`). DynamoDB applies
 * the condition and the increment atomically, so N + k concurrent requests with limit N are
 * allowed exactly N times: there is no read-then-write race to lose.
 */
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { RateLimitDecision, RateLimiter } from '../../ports';
import { n, readN } from './attributes';
import { epochSeconds, minuteWindow, rateKey, TTL } from './keys';
import { isConditionalCheckFailed, storageUnavailable } from './storage-errors';
import type { StoreDeps } from './session-scope-store';

/** Counters outlive their minute by this much, then DynamoDB deletes them. */
const COUNTER_TTL_AFTER_WINDOW_SECONDS = 5 * 60;

export class DynamoRateLimiter implements RateLimiter {
  constructor(private readonly deps: StoreDeps) {}

  async consume(caller: string, limitPerMinute: number, nowMs: number = this.deps.now()): Promise<RateLimitDecision> {
    const window = minuteWindow(nowMs);
    const windowEndMs = (window + 1) * 60_000;
    const retryAfterSeconds = Math.max(1, Math.ceil((windowEndMs - nowMs) / 1000));
    if (!(limitPerMinute >= 1)) return { allowed: false, remaining: 0, retryAfterSeconds };
    const { client, tableName } = this.deps;
    try {
      const out = await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: rateKey(caller, window),
          UpdateExpression: 'ADD #count :one SET #ttl = if_not_exists(#ttl, :ttl)',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
          ExpressionAttributeNames: { '#count': 'count', '#ttl': TTL },
          ExpressionAttributeValues: { ':one': n(1), ':limit': n(limitPerMinute), ':ttl': n(epochSeconds(windowEndMs) + COUNTER_TTL_AFTER_WINDOW_SECONDS) },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const count = out.Attributes ? readN(out.Attributes, 'count') : 1;
      return { allowed: true, remaining: Math.max(0, limitPerMinute - count), retryAfterSeconds };
    } catch (e) {
      if (isConditionalCheckFailed(e)) return { allowed: false, remaining: 0, retryAfterSeconds };
      throw storageUnavailable('rate-limit.consume', e);
    }
  }
}
