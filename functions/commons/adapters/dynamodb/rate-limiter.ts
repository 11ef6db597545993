/**
 * Fixed-window rate limiter: per caller and UTC minute, the limit is split over
 * `rateShardCount(limit)` counter items (keys.ts), each incremented with a single conditional
 * UpdateItem (`ADD count :one` only while `count < its share`). DynamoDB applies the condition
 * and the increment atomically, and the shares add up to exactly the limit, so N + k concurrent
 * requests with limit N are allowed at most N times, from any number of environments: there is
 * no read-then-write race to lose, and no slack above the limit.
 *
 * What sharding gives up: a request probes at most PROBES shards, so it can be refused while a
 * shard it did not probe still has room (its environment then remembers the full shards and
 * probes the others next time, so one environment alone always reaches the whole limit). And a
 * shard seen full is not written again until the window ends: a caller far over its limit costs
 * no writes, and its refusals cost none either. A limit lowered within a window takes effect in
 * the next one when it lowers the shard count.
 */
import { randomInt } from 'node:crypto';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { RateLimitDecision, RateLimiter } from '../../ports';
import { n, readN } from './attributes';
import { epochSeconds, minuteWindow, rateKey, rateShardCount, rateShardLimit, TTL } from './keys';
import { isConditionalCheckFailed, storageUnavailable } from './storage-errors';
import type { StoreDeps } from './session-scope-store';

/** Counters outlive their minute by this much, then DynamoDB deletes them. */
const COUNTER_TTL_AFTER_WINDOW_SECONDS = 5 * 60;
/** Shards one request tries at most: bounds its writes and latency when shards fill up. */
export const RATE_LIMIT_PROBES = 2;

export class DynamoRateLimiter implements RateLimiter {
  /** `<caller>|<window>|<limit>` → shards this environment saw full in that window. */
  readonly #full = new Map<string, Set<number>>();
  #fullWindow = -1;

  constructor(
    private readonly deps: StoreDeps & {
      /** [0, n): which open shard to try first. @default crypto.randomInt */
      randomShard?: (n: number) => number;
      /** Shards for a limit (tests exercise many shards with small limits). @default rateShardCount */
      shardCount?: (limitPerMinute: number) => number;
    },
  ) {}

  async consume(caller: string, limitPerMinute: number, nowMs: number = this.deps.now()): Promise<RateLimitDecision> {
    const window = minuteWindow(nowMs);
    const windowEndMs = (window + 1) * 60_000;
    const retryAfterSeconds = Math.max(1, Math.ceil((windowEndMs - nowMs) / 1000));
    const refused: RateLimitDecision = { allowed: false, remaining: 0, retryAfterSeconds };
    if (!(limitPerMinute >= 1)) return refused;
    const shards = Math.min(Math.floor(limitPerMinute), (this.deps.shardCount ?? rateShardCount)(limitPerMinute));
    const full = this.#fullShards(`${caller}|${window}|${limitPerMinute}`, window);
    const open = Array.from({ length: shards }, (_, i) => i).filter((i) => !full.has(i));
    if (open.length === 0) return refused;
    // A random start spreads concurrent requests over the shards; then the next open ones in order.
    const start = (this.deps.randomShard ?? randomInt)(open.length);
    for (let probe = 0; probe < Math.min(RATE_LIMIT_PROBES, open.length); probe++) {
      const shard = open[(start + probe) % open.length];
      const share = rateShardLimit(limitPerMinute, shard, shards);
      const count = await this.#increment(caller, window, shard, share, windowEndMs);
      if (count === undefined) {
        full.add(shard);
        continue;
      }
      // Exact with one shard; with several, an estimate that assumes the others filled alike.
      return { allowed: true, remaining: Math.max(0, (share - count) * shards), retryAfterSeconds };
    }
    return refused;
  }

  /** The count after the increment, or undefined when the shard's share is used up. */
  async #increment(caller: string, window: number, shard: number, share: number, windowEndMs: number): Promise<number | undefined> {
    const { client, tableName } = this.deps;
    try {
      const out = await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: rateKey(caller, window, shard),
          UpdateExpression: 'ADD #count :one SET #ttl = if_not_exists(#ttl, :ttl)',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
          ExpressionAttributeNames: { '#count': 'count', '#ttl': TTL },
          ExpressionAttributeValues: { ':one': n(1), ':limit': n(share), ':ttl': n(epochSeconds(windowEndMs) + COUNTER_TTL_AFTER_WINDOW_SECONDS) },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return out.Attributes ? readN(out.Attributes, 'count') : 1;
    } catch (e) {
      if (isConditionalCheckFailed(e)) return undefined;
      throw storageUnavailable('rate-limit.consume', e);
    }
  }

  /** The full-shard memory of one caller's window; memories of past windows are dropped. */
  #fullShards(key: string, window: number): Set<number> {
    if (window !== this.#fullWindow) {
      this.#full.clear();
      this.#fullWindow = window;
    }
    let set = this.#full.get(key);
    if (!set) this.#full.set(key, (set = new Set()));
    return set;
  }
}
