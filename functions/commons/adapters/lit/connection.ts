/**
 * ONE Lit client per execution environment, connected on demand and kept while it stays ready.
 *
 * Why the care: `connect()` fails when no node answers the handshake or the chain does not answer
 * (node-availability.ts lets it succeed with the nodes that answer), and a connected client can
 * drop later (`ready` turns false after a failed epoch resync). So connecting retries with
 * exponential backoff and full jitter, but only within the request's time budget; and a failed or
 * dropped client is connected again on the next call instead of staying broken for the life of
 * the environment.
 *
 * The client object itself is created once and reused across reconnects: the SDK installs its
 * storage provider as a non-configurable `globalThis.localStorage`, so a second instance with a
 * storage provider cannot be built in the same process.
 */
import { ServiceError } from '../../errors';
import { litFailureDetails } from './errors';

/** What the connection needs of a client (the SDK's LitNodeClient satisfies it). */
export interface ConnectableClient {
  ready: boolean;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

export interface LitConnectionOptions<C extends ConnectableClient> {
  /** Builds the client (lazily imports the SDK). Called again only if it threw. */
  create: () => Promise<C>;
  /** Connection attempts per call. */
  attempts: number;
  /** First backoff ceiling; doubles each attempt. @default 250 */
  baseDelayMs?: number;
  /** @default 4000 */
  maxDelayMs?: number;
  /** An attempt is not started with less than this left before the deadline. @default 1000 */
  minAttemptMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** [0, 1). @default Math.random */
  random?: () => number;
  now?: () => number;
  /** Told about each failed attempt (codes only). */
  onAttemptFailed?: (info: { attempt: number; errorKind?: string; errorCode?: string }) => void;
}

export type ConnectionState = 'not-loaded' | 'connecting' | 'ready' | 'disconnected';

export class LitConnection<C extends ConnectableClient> {
  private client: C | undefined;
  private inFlight: Promise<C> | undefined;
  private readonly opts: Required<Omit<LitConnectionOptions<C>, 'onAttemptFailed'>> & Pick<LitConnectionOptions<C>, 'onAttemptFailed'>;

  constructor(options: LitConnectionOptions<C>) {
    this.opts = {
      baseDelayMs: 250,
      maxDelayMs: 4_000,
      minAttemptMs: 1_000,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      random: Math.random,
      now: Date.now,
      ...options,
    };
  }

  /** Without connecting or loading anything: what state is the client in? */
  state(): ConnectionState {
    if (this.inFlight) return 'connecting';
    if (!this.client) return 'not-loaded';
    return this.client.ready ? 'ready' : 'disconnected';
  }

  /**
   * A ready client. Concurrent callers share one connection attempt. Throws LIT_UNAVAILABLE
   * when every attempt that fits before `deadlineMs` failed.
   */
  async get(deadlineMs: number = this.opts.now() + 30_000): Promise<C> {
    if (this.client?.ready) return this.client;
    if (!this.inFlight) {
      this.inFlight = this.connectWithRetry(deadlineMs).finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  /** Stops the client's chain poller (tests and local tools; Lambda just freezes). */
  async close(): Promise<void> {
    const c = this.client;
    if (c) await c.disconnect().catch(() => undefined);
  }

  /** Backoff before attempt `n` (n ≥ 1): full jitter over min(max, base·2^(n-1)). */
  backoffMs(n: number): number {
    const ceiling = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** (n - 1));
    return Math.floor(this.opts.random() * ceiling);
  }

  private async connectWithRetry(deadlineMs: number): Promise<C> {
    const { attempts, minAttemptMs, now, sleep } = this.opts;
    let last: unknown;
    let made = 0;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) {
        const delay = this.backoffMs(attempt - 1);
        if (now() + delay + minAttemptMs > deadlineMs) break;
        await sleep(delay);
      } else if (now() + minAttemptMs > deadlineMs) {
        break;
      }
      made++;
      try {
        const client = this.client ?? (this.client = await this.opts.create());
        await client.connect();
        if (!client.ready) throw new Error('connect() returned but the client is not ready');
        return client;
      } catch (e) {
        last = e;
        const { errorKind, errorCode } = litFailureDetails(e);
        this.opts.onAttemptFailed?.({ attempt, errorKind, errorCode });
        // A chain read that timed out has used the request's whole wait for a dependency: fail
        // fast with a 503 and let the next request try again, instead of another timeout.
        if (isChainTimeout(e)) {
          throw new ServiceError('CHAIN_UNAVAILABLE', "The Lit network's chain did not answer in time", {
            cause: e,
            details: { attempts: made, retryAfterSeconds: 5 },
          });
        }
      }
    }
    const { errorKind, errorCode } = litFailureDetails(last);
    throw new ServiceError('LIT_UNAVAILABLE', 'Could not connect to the Lit network (no node answered the handshake, or its chain did not answer)', {
      cause: last,
      details: { attempts: made, errorKind, errorCode },
    });
  }
}

/**
 * The chain RPC did not answer: ethers' TIMEOUT (a call past the provider's timeout), or its
 * NETWORK_ERROR `noNetwork` (the provider's first call, eth_chainId, failed or timed out), at any
 * depth of `cause`.
 */
export function isChainTimeout(e: unknown): boolean {
  for (let err = e, depth = 0; typeof err === 'object' && err !== null && depth < 5; err = (err as { cause?: unknown }).cause, depth++) {
    const x = err as { code?: unknown; event?: unknown };
    if (x.code === 'TIMEOUT' || (x.code === 'NETWORK_ERROR' && x.event === 'noNetwork')) return true;
  }
  return false;
}
