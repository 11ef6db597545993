/**
 * A devnet Lit network: N nodes on 127.0.0.1 sharing one threshold BLS key, one capacity-use
 * ledger and one view of the chain, plus a blockhash indexer (the SDK's `_blockHashUrl`) that
 * stays up whatever faults the nodes are told to show.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ethers } from 'ethers';
import type { ChainView } from '../chain/chain-view';
import { createBlsNetworkKey, type BlsNetworkKey } from './bls-network-key';
import type { NodeFaults } from './faults';
import { REAL_NODE_ACTION_LIMITS, LitActionStore, type LitActionLimits } from './lit-action/runtime';
import { blockhashReply, LitNode, type EndpointCounts } from './lit-node';
import type { NodeContext } from './node-context';
import { UsageLedger } from './usage-ledger';

export interface StartLitNodesOptions {
  chainView: ChainView;
  /** Default 3. */
  nodeCount?: number;
  /** Signatures any `threshold` nodes make combine. Default 2 (or nodeCount when smaller). */
  threshold?: number;
  /**
   * The nodes' `enable_rate_limiting`: pkpSign needs a capacity credits NFT, owned or delegated.
   * Default true (datil, datil-test; the real node's default too); false is like datil-dev.
   */
  requirePayment?: boolean;
  /**
   * The nodes' `enable_rate_limiting_allocation`: count pkpSign requests against the NFTs'
   * requests per kilosecond and the delegations' `uses`. Default false, as on the real node.
   */
  rateLimitAllocation?: boolean;
  /** The rate limit window, seconds. Default 86 400 (Lit's RateLimitNFT default). */
  rateLimitWindowSeconds?: number;
  /** Fixed ports, one per node; default ephemeral. */
  ports?: number[];
  /** Faults per node index, at start. */
  faults?: Partial<NodeFaults>[];
  /** The current epoch number (the Staking contract's), read on every request. Default: always 1. */
  currentEpoch?: () => number;
  /** Random source for injected errors. */
  random?: () => number;
  now?: () => number;
  /** Who the nodes are: their BLS key shares, staking addresses, HD root keys. Default: fresh ones. A persistent devnet passes its saved identity. */
  identity?: NetworkIdentity;
  /** The capacity-use ledger. Default: a fresh, in-memory one. A persistent devnet passes one it saves. */
  usage?: UsageLedger;
  /** Lit Action code to serve by CID from the start (the devnet has no IPFS); more with `controls.registerLitAction`. */
  litActions?: string[];
  /** Time and memory limits of a Lit Action run. Default: the real node's (30 s, 256 MB). */
  litActionLimits?: Partial<LitActionLimits>;
}

/** What makes a devnet network the same network across restarts (all of it secret but the addresses and HD keys). */
export interface NetworkIdentity {
  /** The threshold BLS network key: `shares.length` must be nodeCount. */
  blsKey: BlsNetworkKey;
  /** Each node's address as registered in Staking, by node index. */
  nodeAddresses: string[];
  /** The handshake's HD root public keys. */
  hdRootPubkeys: string[];
}

/** A fresh identity for `nodeCount` nodes, any `threshold` of which sign. */
export function createNetworkIdentity(nodeCount: number, threshold: number): NetworkIdentity {
  return {
    blsKey: createBlsNetworkKey(nodeCount, threshold),
    nodeAddresses: Array.from({ length: nodeCount }, () => ethers.Wallet.createRandom().address),
    hdRootPubkeys: randomHdRootPubkeys(10),
  };
}

export interface DevnetNodeInfo {
  index: number;
  url: string;
  port: number;
  /** The address registered for the node in Staking. */
  nodeAddress: string;
}

export interface LitNetwork {
  nodes: DevnetNodeInfo[];
  /** 48-byte compressed G1 network public key, hex without 0x. */
  networkPublicKey: string;
  threshold: number;
  /** `http://127.0.0.1:<port>/get_most_recent_valid_block` */
  blockhashUrl: string;
  controls: NodeControls;
  stop(): Promise<void>;
}

export interface NodeControls {
  setFaults(index: number | 'all', faults: Partial<NodeFaults>): void;
  getFaults(index: number): NodeFaults;
  /** Stop a node answering (connection refused) or bring it back on the same port. */
  setNodeDown(index: number, down: boolean): Promise<void>;
  isNodeUp(index: number): boolean;
  /** Requests received per endpoint, per node (a down node receives none). */
  counts(index: number): EndpointCounts;
  /** Summed over all nodes. */
  totalCounts(): EndpointCounts;
  /** Non-2xx answers per endpoint, per node. */
  refusals(index: number): EndpointCounts;
  /** Reset counters and refusals (not capacity uses). */
  resetCounts(): void;
  /** Uses of a capacity delegation as the network counts them. */
  capacityUses(delegationSig: { sig: string; address: string }): number;
  /** Forget all capacity delegation uses. */
  resetCapacityUses(): void;
  /** Move the nodes' clock by this much (ms; 0 = the real clock): to test time windows without waiting. */
  setClockOffsetMs(ms: number): void;
  /**
   * Serve this Lit Action code by its IPFS CID (computed as the real node computes it), as if it
   * were pinned on IPFS; resolves with the CID. Permitting it for a PKP is a chain transaction
   * (PKPPermissions.addPermittedAction), not this.
   */
  registerLitAction(code: string): Promise<string>;
  /** Change the Lit Action time and memory limits (the real node's are 30 000 ms and 256 MB). */
  setLitActionLimits(limits: Partial<LitActionLimits>): void;
  getLitActionLimits(): LitActionLimits;
}

function checkedActionLimits(current: LitActionLimits, change: Partial<LitActionLimits>): LitActionLimits {
  const next = { ...current, ...change };
  if (!Number.isInteger(next.timeoutMs) || next.timeoutMs < 10 || next.timeoutMs > 300_000)
    throw new RangeError('timeoutMs must be a whole number from 10 to 300000');
  if (!Number.isInteger(next.memoryLimitMb) || next.memoryLimitMb < 4 || next.memoryLimitMb > 1024)
    throw new RangeError('memoryLimitMb must be a whole number from 4 to 1024');
  return next;
}

/** Random compressed secp256k1 points: the handshake's HD root keys (only their form is checked by the SDK). */
function randomHdRootPubkeys(count: number): string[] {
  return Array.from({ length: count }, () => ethers.utils.computePublicKey(ethers.utils.randomBytes(32), true).slice(2));
}

export async function startLitNodes(options: StartLitNodesOptions): Promise<LitNetwork> {
  const nodeCount = options.nodeCount ?? 3;
  const threshold = options.threshold ?? Math.min(2, nodeCount);
  if (options.ports && options.ports.length !== nodeCount) throw new RangeError('ports must name one port per node');
  const identity = options.identity ?? createNetworkIdentity(nodeCount, threshold);
  if (identity.blsKey.shares.length !== nodeCount || identity.nodeAddresses.length !== nodeCount) {
    throw new RangeError('identity must hold one BLS share and one node address per node');
  }
  const key = identity.blsKey;
  const usage = options.usage ?? new UsageLedger();
  const blsVerified = new Set<string>();
  const knownBlocks = new Map<string, { hash: string; timestamp: number }>();
  const hdRootPubkeys = identity.hdRootPubkeys;
  const clock = options.now ?? Date.now;
  let clockOffsetMs = 0;
  const now = (): number => clock() + clockOffsetMs;
  const currentEpoch = options.currentEpoch ?? (() => 1);
  const actionStore = new LitActionStore();
  for (const code of options.litActions ?? []) await actionStore.register(code);
  let actionLimits = checkedActionLimits(
    { timeoutMs: REAL_NODE_ACTION_LIMITS.timeoutMs, memoryLimitMb: REAL_NODE_ACTION_LIMITS.memoryLimitMb },
    options.litActionLimits ?? {},
  );
  const litActions = { store: actionStore, limits: () => actionLimits };
  const nodes: LitNode[] = [];
  const infos: DevnetNodeInfo[] = [];
  let indexer: http.Server | undefined;

  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.stop()));
    if (indexer?.listening) {
      const closed = new Promise<void>((resolve) => indexer!.close(() => resolve()));
      indexer.closeAllConnections();
      await closed;
    }
    for (const share of key.shares) share.secret = 0n;
  };

  try {
    for (let index = 0; index < nodeCount; index++) {
      const ctx: NodeContext = {
        index,
        url: '', // set once the port is known, before any request can arrive
        hostPort: '',
        blsShare: key.shares[index],
        networkPublicKeyHex: key.publicKeyHex,
        chainView: options.chainView,
        rateLimiting: options.requirePayment ?? true,
        rateLimitAllocation: options.rateLimitAllocation ?? false,
        rateLimitWindowSeconds: options.rateLimitWindowSeconds ?? 86_400,
        threshold,
        upNodeIndices: () => nodes.flatMap((n, i) => (n.isUp ? [i] : [])),
        currentEpoch,
        usage,
        blsVerified,
        knownBlocks,
        now,
        litActions,
      };
      const node = new LitNode(ctx, { faults: options.faults?.[index], random: options.random, hdRootPubkeys });
      nodes.push(node);
      const port = await node.listen(options.ports?.[index] ?? 0);
      ctx.url = `http://127.0.0.1:${port}`;
      ctx.hostPort = `127.0.0.1:${port}`;
      infos.push({ index, url: ctx.url, port, nodeAddress: identity.nodeAddresses[index] });
    }

    indexer = http.createServer((req, res) => {
      const body = JSON.stringify(blockhashReply({ chainView: options.chainView, now }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
    await new Promise<void>((resolve) => indexer!.listen(0, '127.0.0.1', () => resolve()));
    const indexerPort = (indexer.address() as AddressInfo).port;

    const nodeAt = (index: number): LitNode => {
      const node = nodes[index];
      if (!node) throw new RangeError(`no node ${index}`);
      return node;
    };
    const sum = (pick: (n: LitNode) => EndpointCounts): EndpointCounts => {
      const total = { ...pick(nodes[0]) };
      for (const n of nodes.slice(1)) for (const [k, v] of Object.entries(pick(n))) total[k as keyof EndpointCounts] += v;
      return total;
    };
    const controls: NodeControls = {
      setFaults(index, faults) {
        for (const n of index === 'all' ? nodes : [nodeAt(index)]) n.setFaults(faults);
      },
      getFaults: (index) => nodeAt(index).getFaults(),
      setNodeDown: (index, down) => (down ? nodeAt(index).down() : nodeAt(index).up()),
      isNodeUp: (index) => nodeAt(index).isUp,
      counts: (index) => ({ ...nodeAt(index).counts }),
      totalCounts: () => sum((n) => n.counts),
      refusals: (index) => ({ ...nodeAt(index).refusals }),
      resetCounts() {
        for (const n of nodes) {
          for (const k of Object.keys(n.counts) as (keyof EndpointCounts)[]) {
            n.counts[k] = 0;
            n.refusals[k] = 0;
          }
        }
      },
      capacityUses: (delegationSig) => usage.usedBy(delegationSig.sig),
      resetCapacityUses: () => usage.clear(),
      setClockOffsetMs(ms) {
        if (!Number.isFinite(ms)) throw new RangeError('clock offset must be a finite number of ms');
        clockOffsetMs = ms;
      },
      registerLitAction: (code) => {
        if (typeof code !== 'string') throw new TypeError('Lit Action code must be a string');
        return actionStore.register(code);
      },
      setLitActionLimits(limits) {
        actionLimits = checkedActionLimits(actionLimits, limits);
      },
      getLitActionLimits: () => ({ ...actionLimits }),
    };

    return {
      nodes: infos,
      networkPublicKey: key.publicKeyHex,
      threshold,
      blockhashUrl: `http://127.0.0.1:${indexerPort}/get_most_recent_valid_block`,
      controls,
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
