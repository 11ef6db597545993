/**
 * Connects with the Lit nodes that answer, instead of waiting for every node.
 *
 * Why: SDK 7.4.0's `connect()` handshakes with every node of the Staking list under one
 * `Promise.all` and a timeout (`_runHandshakeWithBootstrapUrls`), so one node down at cold start
 * leaves a new client unusable, even for a scope whose wallet sig is cached. A Lit network works
 * with a threshold of its nodes: the Staking contract's `minNodeCount`
 * (`currentValidatorCountForConsensus`, 2/3 of the validators, 1 of 2) uses the same formula as the
 * nodes' own BLS threshold (LIT-Protocol/Node `utils/consensus.rs` `get_threshold_count`), and the
 * SDK's `signSessionKey` already waits for exactly `minNodeCount` signature shares.
 *
 * What this does, without changing any SDK file: it replaces that one step of `connect()` on the
 * client instance.
 * - Every node of the Staking list is handshaken in parallel (the SDK's own per-node handshake,
 *   with its attestation check where the network requires one). The step returns when every node
 *   has settled, or `graceMs` after the threshold has answered, or at the connect timeout.
 * - One answering node is enough to connect: its handshake gives the network key against which
 *   the SDK checks a cached wallet sig, so cached scopes are served. A request that needs a
 *   `sign_session_key` round needs the threshold (`hasThreshold()`; the issuer refuses with 503
 *   below it, without asking the nodes).
 * - Requests only ever go to nodes that answered a handshake (`connectedNodes`). The others are
 *   handshaken again by `rejoin()` (at most every `retryMs`); a late answer to the first handshake
 *   counts too. The network keys the client uses are re-taken, as the SDK takes them, from the
 *   most common answer over every node that answered, and only nodes that gave that key are used.
 */
import { isNetworkPublicKey } from '../../lit-node-probe';

/** A node's handshake, as the SDK reads it. */
interface HandshakeKeys {
  networkPubKey?: unknown;
  latestBlockhash?: unknown;
  [k: string]: unknown;
}

type CoreNodeConfig = { networkPubKey?: unknown } & Record<string, unknown>;

/** The SDK internals this relies on (lit-core 7.4.0, `LitCore`): typed here, as they are private there. */
export interface HandshakingClient {
  config: { bootstrapUrls: string[]; minNodeCount: number; connectTimeout: number };
  connectedNodes: Set<string>;
  serverKeys: Record<string, unknown>;
  networkPubKey?: unknown;
  _handshakeAndVerifyNodeAttestation(p: { url: string; requestId: string }): Promise<HandshakeKeys>;
  _getCoreNodeConfigFromHandshakeResults(p: { serverKeys: Record<string, HandshakeKeys>; requestId: string }): CoreNodeConfig;
  _getNewRequestId(): string;
  _runHandshakeWithBootstrapUrls(): Promise<{ connectedNodes: Set<string>; serverKeys: Record<string, HandshakeKeys>; coreNodeConfig: CoreNodeConfig }>;
}

/** No Lit node answered a handshake: nothing can be served (mapped to 503 LIT_UNAVAILABLE). */
export class NoLitNodeAnsweredError extends Error {
  readonly kind = 'Unavailable';
  readonly code = 'no_node_answered';
  constructor(nodes: number) {
    super(`No Lit node answered the handshake (0 of ${nodes})`);
    this.name = 'NoLitNodeAnsweredError';
  }
}

export interface NodeAvailabilityOptions {
  /** After the threshold has answered, how long to wait for the other nodes. @default 1000 */
  graceMs?: number;
  /** Least time between two rounds of handshakes with the nodes that did not answer. @default 5000 */
  retryMs?: number;
  now?: () => number;
}

export interface NodeCounts {
  /** Nodes of the Staking list. */
  nodes: number;
  /** Nodes requests go to: they answered a handshake with the network key. */
  answered: number;
  /** The network's minNodeCount: signature shares a sign_session_key round needs. */
  threshold: number;
}

export class NodeAvailability {
  /** Answers of the current connection (a new connect() starts a new generation). */
  private keys: Record<string, HandshakeKeys> = {};
  private pending = new Set<string>();
  private generation = 0;
  private lastRoundMs = Number.NEGATIVE_INFINITY;
  private round: Promise<void> | undefined;
  private readonly graceMs: number;
  private readonly retryMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: HandshakingClient,
    options: NodeAvailabilityOptions = {},
  ) {
    this.graceMs = options.graceMs ?? 1_000;
    this.retryMs = options.retryMs ?? 5_000;
    this.now = options.now ?? Date.now;
    // An own property shadows the prototype method `_connect()` calls.
    client._runHandshakeWithBootstrapUrls = () => this.handshakeAll();
  }

  counts(): NodeCounts {
    return { nodes: this.client.config.bootstrapUrls.length, answered: this.client.connectedNodes.size, threshold: this.client.config.minNodeCount };
  }

  hasThreshold(): boolean {
    const c = this.counts();
    return c.answered >= c.threshold;
  }

  /**
   * Handshakes again with the nodes of the Staking list that have not answered, unless a round
   * ran less than `retryMs` ago. Resolves when this round (or the one under way) has settled;
   * never rejects.
   */
  rejoin(): Promise<void> {
    if (this.round) return this.round;
    const missing = this.client.config.bootstrapUrls.filter((u) => !this.client.connectedNodes.has(u) && !this.pending.has(u));
    if (missing.length === 0 || this.now() - this.lastRoundMs < this.retryMs) return Promise.resolve();
    this.lastRoundMs = this.now();
    const requestId = this.client._getNewRequestId();
    const generation = this.generation;
    this.round = Promise.all(missing.map((url) => this.handshake(url, requestId, generation))).then(() => {
      this.round = undefined;
    });
    return this.round;
  }

  /** The replacement of the SDK's `_runHandshakeWithBootstrapUrls`. */
  private async handshakeAll(): Promise<{ connectedNodes: Set<string>; serverKeys: Record<string, HandshakeKeys>; coreNodeConfig: CoreNodeConfig }> {
    const { bootstrapUrls, minNodeCount, connectTimeout } = this.client.config;
    const requestId = this.client._getNewRequestId();
    const generation = ++this.generation;
    this.keys = {};
    this.pending.clear();
    this.lastRoundMs = this.now();
    let answered = 0;
    let settled = 0;
    let collecting = true;
    await new Promise<void>((resolve) => {
      let grace: ReturnType<typeof setTimeout> | undefined;
      const finish = () => {
        collecting = false;
        clearTimeout(timeout);
        if (grace) clearTimeout(grace);
        resolve();
      };
      const timeout = setTimeout(finish, connectTimeout);
      for (const url of bootstrapUrls) {
        void this.handshake(url, requestId, generation, (keys) => {
          // After finish(), an answer is a late one: handshake() joins the node itself.
          if (!collecting) return false;
          if (keys) answered++;
          settled++;
          if (settled === bootstrapUrls.length) finish();
          else if (answered >= minNodeCount && !grace) grace = setTimeout(finish, this.graceMs);
          return true;
        });
      }
    });
    if (answered === 0) throw new NoLitNodeAnsweredError(bootstrapUrls.length);
    const serverKeys = { ...this.keys };
    const coreNodeConfig = this.client._getCoreNodeConfigFromHandshakeResults({ serverKeys, requestId });
    const connectedNodes = new Set(Object.keys(serverKeys).filter((u) => serverKeys[u].networkPubKey === coreNodeConfig.networkPubKey));
    return { connectedNodes, serverKeys, coreNodeConfig };
  }

  /**
   * One node's handshake, bounded by the connect timeout (the SDK's request has none). Its answer
   * is recorded for this generation; unless `collect` takes it (the first round, still waiting),
   * an answer joins the node at once.
   */
  private async handshake(url: string, requestId: string, generation: number, collect?: (keys: HandshakeKeys | undefined) => boolean): Promise<void> {
    this.pending.add(url);
    let keys: HandshakeKeys | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const answer = await Promise.race([
        this.client._handshakeAndVerifyNodeAttestation({ url, requestId }),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('handshake timed out')), this.client.config.connectTimeout))),
      ]);
      // A node with no network key yet answers "ERR" in its key fields (Node endpoints/web_client.rs).
      if (isNetworkPublicKey(answer.networkPubKey) && answer.latestBlockhash) keys = answer;
    } catch {
      // Down, refusing, too slow or failing attestation: not a node to send requests to.
    } finally {
      clearTimeout(timer);
    }
    if (generation !== this.generation) return;
    this.pending.delete(url);
    if (keys) this.keys[url] = keys;
    if (collect?.(keys)) return;
    if (keys) this.join(requestId);
  }

  /** A node answered after connect(): re-takes the network keys over every answer, and the nodes that agree. */
  private join(requestId: string): void {
    const core = this.client._getCoreNodeConfigFromHandshakeResults({ serverKeys: this.keys, requestId });
    Object.assign(this.client, core);
    for (const [url, keys] of Object.entries(this.keys)) {
      this.client.serverKeys[url] = keys;
      if (keys.networkPubKey === core.networkPubKey) this.client.connectedNodes.add(url);
      else this.client.connectedNodes.delete(url);
    }
  }
}

const registry = new WeakMap<object, NodeAvailability>();

/** Installs the threshold handshake on a freshly built SDK client (before its first connect()). */
export function installNodeAvailability(client: object, options?: NodeAvailabilityOptions): NodeAvailability {
  const availability = new NodeAvailability(client as HandshakingClient, options);
  registry.set(client, availability);
  return availability;
}

/** The availability tracker of a client built by createLitNodeClient (undefined for any other). */
export function nodeAvailabilityOf(client: object): NodeAvailability | undefined {
  return registry.get(client);
}
