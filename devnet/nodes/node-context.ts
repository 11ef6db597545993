import type { ChainView } from '../chain/chain-view';
import type { BlsKeyShare } from './bls-network-key';
import type { LitActionLimits, LitActionStore } from './lit-action/runtime';
import type { UsageLedger } from './usage-ledger';

/** What one node's request handlers need: its identity, its key share, and the network it is in. */
export interface NodeContext {
  /** 0-based position in the network; also the ECDSA share index. */
  index: number;
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** `127.0.0.1:<port>`: the node's `domain:port` (config `[node] domain` + external port), what a session sig's `nodeAddress` must name. */
  hostPort: string;
  blsShare: BlsKeyShare;
  networkPublicKeyHex: string;
  chainView: ChainView;
  /**
   * The node config `enable_rate_limiting` (rust/lit-node/src/config/mod.rs:34): pkpSign needs a
   * capacity credits NFT, owned or delegated. Lit's paid networks; false is like datil-dev.
   */
  rateLimiting: boolean;
  /**
   * The node config `enable_rate_limiting_allocation` (default false on the real node): count
   * requests against the NFTs' requests per kilosecond and delegations' `uses`.
   */
  rateLimitAllocation: boolean;
  /** The rate limit window in seconds (RateLimitNFT.defaultRateLimitWindowSeconds; Lit's contract sets 86 400). */
  rateLimitWindowSeconds: number;
  /** The network's signing threshold (Staking minNodeCount). */
  threshold: number;
  /** Indices of the nodes that are up now: the devnet picks a pkpSign signing subset among them. */
  upNodeIndices(): number[];
  /** The current epoch (the Staking contract's). The real node never refuses a request for its epoch. */
  currentEpoch(): number;
  usage: UsageLedger;
  /** Verified BLS signatures, shared by the nodes so that each pairing check runs once. */
  blsVerified: Set<string>;
  /** Blocks the nodes have looked a SIWE nonce up in, by lower-case hash (the node's siwe_db, shared here). */
  knownBlocks: Map<string, { hash: string; timestamp: number }>;
  /** Clock, in ms; a test can move it. */
  now(): number;
  /** Lit Actions: the code the devnet's IPFS serves by CID, and the sandbox's time and memory limits. */
  litActions: { store: LitActionStore; limits(): LitActionLimits };
}

/** What a handler knows of the HTTP request besides its body. */
export interface NodeRequest {
  /** X-Correlation-Id, else X-Request-Id (lit-api-core context/mod.rs:167-180). */
  correlationId: string | undefined;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
}
