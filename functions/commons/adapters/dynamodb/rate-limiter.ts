/**
 * Fixed-window rate limiter: per caller and UTC minute, the limit is split over
 * `rateShardCount(limit)` counter items (keys.ts), each counted with a single conditional
 * UpdateItem (`ADD count :taken` only while `count + taken <= its share`). DynamoDB applies the
 * condition and the increment atomically, and the shares add up to exactly the limit, so N + k
 * concurrent requests with limit N are allowed at most N times, from any number of environments:
 * there is no read-then-write race to lose, and no slack above the limit.
 *
 * Leases: on a large share, one write counts several admissions at once (`taken`), and this
 * environment hands out the rest with no write. The lease starts at one and doubles while used,
 * up to 1% of the share (so limits under 200/minute are still counted one write per admission),
 * 64, an eighth of the room the shard had left (leases shrink as it fills, and its last
 * admissions are counted one by one), and what this environment's pace says it will hand out
 * before the minute ends. The price: what an environment leased but did not hand out by then is
 * unused, so a caller whose traffic stops short may be refused a little before its limit (never
 * after it). What it buys: a busy caller costs its table one write per lease instead of one per
 * request (the capacity model: 0.41 rate-limit writes per issuance at 10,000/s, was 1.00).
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
/** The largest lease (admissions counted by one write) an environment takes. */
export const RATE_LEASE_MAX = 64;
/** A lease is at most this fraction (1/n) of its shard's share: shares under 200 are never leased. */
export const RATE_LEASE_SHARE_DIVISOR = 100;
/** A lease is at most this fraction (1/n) of the room its shard had left: leases shrink as it fills. */
export const RATE_LEASE_ROOM_DIVISOR = 8;

/** The largest lease on a shard with this share (1: one write per admission). */
export const rateLeaseMax = (share: number): number => Math.max(1, Math.min(RATE_LEASE_MAX, Math.floor(share / RATE_LEASE_SHARE_DIVISOR)));

/** Admissions this environment has counted but not yet handed out, for one caller and limit. */
interface Lease {
  /** Admissions left, already counted on a shard: handed out with no write. */
  remaining: number;
  /** Size of the next lease (slow start: doubles while used, capped by rateLeaseMax and the room left). */
  next: number;
  /** Room the leased shard had left after the lease was taken (for the `remaining` estimate). */
  roomLeft: number;
  /** Admissions handed out in this window, and since when (ms): this environment's pace. */
  used: number;
  sinceMs: number;
}

/**
 * How many admissions this environment can expect to hand out from now to the window's end, this
 * request included, at its pace so far in the window (over at least a second). A lease never
 * exceeds it: what is leased and not handed out by the end of the minute is lost to every
 * environment, and with hundreds of environments serving one caller that loss would add up.
 */
function expectedUse(lease: Lease, nowMs: number, windowEndMs: number): number {
  const perMs = (lease.used + 1) / Math.max(nowMs - lease.sinceMs, 1_000);
  return 1 + Math.floor(perMs * Math.max(0, windowEndMs - nowMs));
}

export class DynamoRateLimiter implements RateLimiter {
  /** `<caller>|<limit>` → shards this environment saw full in the current window. */
  readonly #full = new Map<string, Set<number>>();
  /** `<caller>|<limit>` → this environment's lease in the current window. */
  readonly #leases = new Map<string, Lease>();
  /** The window the memories above are of. */
  #window = -1;

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
    this.#enterWindow(window);
    const key = `${caller}|${limitPerMinute}`;
    const full = this.#fullShards(key);
    const lease = this.#lease(key, nowMs);
    // Exact with one shard and no lease; otherwise an estimate that assumes the other shards filled alike.
    const admitted = (): RateLimitDecision => {
      lease.used++;
      return { allowed: true, remaining: lease.remaining + lease.roomLeft * shards, retryAfterSeconds };
    };
    if (lease.remaining > 0) {
      // Admitted from the lease: already counted on its shard, so no write.
      lease.remaining--;
      return admitted();
    }
    const open = Array.from({ length: shards }, (_, i) => i).filter((i) => !full.has(i));
    if (open.length === 0) return refused;
    // A random start spreads concurrent requests over the shards; then the next open ones in order.
    const start = (this.deps.randomShard ?? randomInt)(open.length);
    for (let probe = 0; probe < Math.min(RATE_LIMIT_PROBES, open.length); probe++) {
      const shard = open[(start + probe) % open.length];
      const share = rateShardLimit(limitPerMinute, shard, shards);
      let taken = Math.max(1, Math.min(lease.next, rateLeaseMax(share), expectedUse(lease, nowMs, windowEndMs)));
      let count = await this.#increment(caller, window, shard, share, taken, windowEndMs);
      if (count === undefined && taken > 1) {
        // The lease no longer fits: the shard's last admissions are taken one at a time.
        taken = 1;
        count = await this.#increment(caller, window, shard, share, taken, windowEndMs);
      }
      if (count === undefined) {
        full.add(shard);
        continue;
      }
      // `+=`: a concurrent request in this environment may have taken a lease meanwhile; both were counted.
      lease.remaining += taken - 1;
      lease.roomLeft = Math.max(0, share - count);
      lease.next = Math.max(1, Math.min(taken * 2, rateLeaseMax(share), Math.floor(lease.roomLeft / RATE_LEASE_ROOM_DIVISOR)));
      return admitted();
    }
    return refused;
  }

  /** The count after adding `taken`, or undefined when the shard's share has less room than that. */
  async #increment(caller: string, window: number, shard: number, share: number, taken: number, windowEndMs: number): Promise<number | undefined> {
    const { client, tableName } = this.deps;
    try {
      const out = await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: rateKey(caller, window, shard),
          UpdateExpression: 'ADD #count :taken SET #ttl = if_not_exists(#ttl, :ttl)',
          // taken <= share always (rateLeaseMax), so a new counter has room.
          ConditionExpression: 'attribute_not_exists(#count) OR #count <= :most',
          ExpressionAttributeNames: { '#count': 'count', '#ttl': TTL },
          ExpressionAttributeValues: {
            ':taken': n(taken),
            ':most': n(share - taken),
            ':ttl': n(epochSeconds(windowEndMs) + COUNTER_TTL_AFTER_WINDOW_SECONDS),
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return out.Attributes ? readN(out.Attributes, 'count') : taken;
    } catch (e) {
      if (isConditionalCheckFailed(e)) return undefined;
      throw storageUnavailable('rate-limit.consume', e);
    }
  }

  /** This environment's lease for a caller and limit in the current window. */
  #lease(key: string, nowMs: number): Lease {
    let lease = this.#leases.get(key);
    if (!lease) this.#leases.set(key, (lease = { remaining: 0, next: 1, roomLeft: 0, used: 0, sinceMs: nowMs }));
    return lease;
  }

  /** A new window: what this environment knew of the last one (full shards, leases) is void. */
  #enterWindow(window: number): void {
    if (window === this.#window) return;
    this.#full.clear();
    this.#leases.clear();
    this.#window = window;
  }

  /** The full-shard memory of one caller in the current window. */
  #fullShards(key: string): Set<number> {
    let set = this.#full.get(key);
    if (!set) this.#full.set(key, (set = new Set()));
    return set;
  }
}
