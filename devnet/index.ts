/**
 * The devnet: a local Lit network that the real, unmodified Lit JS SDK v7 uses offline. A real EVM
 * (Foundry's anvil, a child process) with Lit's contracts, N Lit nodes on 127.0.0.1 holding shares of a threshold BLS key
 * and signing PKP requests with real ECDSA, registered as validators in Staking.
 *
 *   const devnet = await startDevnet();
 *   const client = createLitNodeClient(devnet);   // sets client._blockHashUrl too
 *   await client.connect();
 *   ...
 *   await disconnectLitNodeClient(client);
 *   await devnet.stop();
 *
 * `startDevnet({ stateDir })` keeps the devnet on disk and restores it on the next start (same
 * chain, owner wallet, contracts, network key and PKPs; see `StartDevnetOptions.stateDir`).
 *
 * A client built by hand must set `client._blockHashUrl = devnet.blockhashUrl` after construction:
 * the SDK otherwise refreshes its block hash, after 30 s, from a hard-coded public URL.
 */
import { LitNodeClient } from '@lit-protocol/lit-node-client';
import { ethers } from 'ethers';
import { startChain, LIT_CONTRACT_NAMES, type ContractRef, type DevnetChain, type LitContractName, type StartChainOptions } from './chain';
import type { EpochInfo } from './chain';
import { startLitNodes, type DevnetNodeInfo, type LitActionLimits, type LitNetwork, type NodeControls, type NodeFaults } from './nodes';
import { DevnetStateDir } from './state/state-dir';

export type { NodeFaults, NodeControls, DevnetNodeInfo, LitActionLimits } from './nodes';
export { litActionCid, REAL_NODE_ACTION_LIMITS } from './nodes';
export type { EndpointCounts, NodeErrorCode, LitNodeErrorBody } from './nodes';
export { DevnetStateError, type DevnetStateErrorCode } from './state/errors';

export interface StartDevnetOptions {
  /** Default 3 (with a stateDir that holds a devnet: its nodeCount; another value is refused). */
  nodeCount?: number;
  /** minNodeCount in Staking, and the BLS threshold. Default 2 (or nodeCount when smaller); with a stateDir, as for nodeCount. */
  threshold?: number;
  /**
   * Keep the devnet here and come back to it: the first start creates the state, later starts
   * restore it (same chain with every block, contract address, balance and token; same owner
   * wallet; same node addresses, BLS network key and PKP keys; capacity delegation uses).
   * Node ports may differ between runs unless `ports` is given. Refused, with a DevnetStateError
   * naming the file (codes in devnet/state/errors.ts), when the directory is in use, partial,
   * corrupt, of another format version, or of another nodeCount/threshold/chainId: never silently
   * replaced by a fresh devnet. Files are 0600 in a 0700 directory (they hold private keys).
   * Absent: a fresh devnet in memory, gone at stop. Deploy-time `chain` options (costs, epoch
   * length, owner funding) only apply to the first start.
   */
  stateDir?: string;
  /**
   * The nodes' `enable_rate_limiting`: pkpSign needs a capacity credits NFT, owned or delegated,
   * like Lit's paid networks. Default true; false is like datil-dev.
   */
  requirePayment?: boolean;
  /**
   * The nodes' `enable_rate_limiting_allocation`: count pkpSign requests against the NFTs'
   * requests per kilosecond and the delegations' `uses`. Default false, as on the real node.
   */
  rateLimitAllocation?: boolean;
  /** Fixed node ports; default ephemeral. */
  ports?: number[];
  /** Mine a block this often (block hashes are the SIWE nonces). Default 2000 ms. */
  blockTimeMs?: number;
  /** Node faults at start, by node index. */
  faults?: Partial<NodeFaults>[];
  /** Anything else for the chain. */
  chain?: Omit<StartChainOptions, 'blockIntervalMs'>;
  /** Lit Action code the nodes serve by CID from the start (the devnet has no IPFS); more with `controls.registerLitAction`. */
  litActions?: string[];
  /** Lit Action time and memory limits. Default: the real node's (30 000 ms, 256 MB). */
  litActionLimits?: Partial<LitActionLimits>;
}

/** What `new LitNodeClient(...)` takes for this devnet. */
export interface DevnetLitNodeClientConfig {
  litNetwork: 'custom';
  rpcUrl: string;
  contractContext: { Staking: ContractRef };
  checkNodeAttestation: false;
  debug: false;
  connectTimeout: number;
}

export interface DevnetControls extends NodeControls {
  /** Next epoch on chain (emits StateChanged; connected SDKs re-handshake within ~4 s). Returns its number. */
  advanceEpoch(): Promise<number>;
  /** The epoch the nodes accept (and the one before). */
  currentEpoch(): number;
}

export interface Devnet {
  /** `new LitNodeClient(devnet.litNodeClientConfig)`, then set `_blockHashUrl`: or use `createLitNodeClient`. */
  litNodeClientConfig: DevnetLitNodeClientConfig;
  /** Set `client._blockHashUrl = blockhashUrl` after constructing a LitNodeClient. */
  blockhashUrl: string;
  /** For `new LitContracts({ network: 'custom', customContext, rpc, privateKey | signer })`. */
  contractsContext: { network: 'custom'; rpc: string; customContext: Record<LitContractName, ContractRef> };
  /** The funded wallet that owns things on this devnet. A devnet key: secret all the same, never log it. */
  ownerWallet: { address: string; privateKey: string };
  /** The BLS network public key (48-byte compressed G1, hex). */
  networkPublicKey: string;
  /** The state directory (absolute), when started with one. */
  stateDir?: string;
  /** True when this start restored an existing state directory; false for a fresh devnet. */
  restored: boolean;
  nodes: DevnetNodeInfo[];
  threshold: number;
  requirePayment: boolean;
  chain: DevnetChain;
  controls: DevnetControls;
  /** Stop nodes, indexer and chain. Idempotent. Disconnect your LitNodeClients first. */
  stop(): Promise<void>;
}

export async function startDevnet(options: StartDevnetOptions = {}): Promise<Devnet> {
  {
    const n = options.nodeCount ?? 3;
    if (!Number.isInteger(n) || n < 1) throw new RangeError('nodeCount must be a positive integer');
    const t = options.threshold ?? Math.min(2, n);
    if (!Number.isInteger(t) || t < 1 || t > n) throw new RangeError('threshold must be 1..nodeCount');
  }
  const requirePayment = options.requirePayment ?? true;
  const state = options.stateDir
    ? DevnetStateDir.open(options.stateDir, { nodeCount: options.nodeCount, threshold: options.threshold, chainId: options.chain?.chainId })
    : undefined;
  const nodeCount = state?.nodeCount ?? options.nodeCount ?? 3;
  const threshold = state?.threshold ?? options.threshold ?? Math.min(2, nodeCount);

  let chain: DevnetChain;
  try {
    chain = await startChain({
      ...options.chain,
      ...(state ? { chainId: state.chainId } : {}),
      blockIntervalMs: options.blockTimeMs ?? 2000,
      persistence: state && {
        dbPath: state.chainDbPath,
        adminPrivateKey: state.adminPrivateKey,
        ownerPrivateKey: state.ownerPrivateKey,
        deployed: state.manifest?.contracts,
        vault: state.vault,
      },
    });
  } catch (error) {
    if (state) {
      state.discardFirstStart();
      state.close();
    }
    throw error; // a chain state that cannot be loaded is a DevnetStateError naming its file
  }
  let network: LitNetwork | undefined;
  let stopped = false;
  const stop = async (discardFirstStart = false): Promise<void> => {
    if (stopped) return;
    stopped = true;
    try {
      await network?.stop();
      await chain.stop();
    } finally {
      // The chain's database is closed: only now may a failed first start's files go, and the lock.
      if (discardFirstStart) state?.discardFirstStart();
      state?.close();
    }
  };
  try {
    let epoch: EpochInfo = await chain.getEpoch();
    network = await startLitNodes({
      chainView: chain.chainView,
      nodeCount,
      threshold,
      requirePayment,
      rateLimitAllocation: options.rateLimitAllocation,
      ports: options.ports,
      faults: options.faults,
      currentEpoch: () => epoch.number,
      identity: state?.identity,
      usage: state?.usage,
      litActions: options.litActions,
      litActionLimits: options.litActionLimits,
    });
    // Every start: node ports may have changed, and a restored chain still lists the old ones.
    await chain.setValidators(
      network.nodes.map((n) => ({ ip: '127.0.0.1', port: n.port, nodeAddress: n.nodeAddress })),
      threshold,
    );
    epoch = await chain.getEpoch();
    if (state && !state.restored) {
      state.commit({
        nodeCount,
        threshold,
        chainId: chain.chainId,
        contracts: Object.fromEntries(LIT_CONTRACT_NAMES.map((name) => [name, chain.contracts[name].address])) as Record<LitContractName, string>,
        adminAddress: new ethers.Wallet(state.adminPrivateKey).address,
        ownerAddress: chain.ownerWallet.address,
        networkPublicKey: network.networkPublicKey,
        nodeAddresses: network.nodes.map((n) => n.nodeAddress),
      });
    }
    const controls: DevnetControls = {
      ...network.controls,
      async advanceEpoch() {
        await chain.advanceEpoch();
        epoch = await chain.getEpoch();
        return epoch.number;
      },
      currentEpoch: () => epoch.number,
    };
    return {
      litNodeClientConfig: {
        litNetwork: 'custom',
        rpcUrl: chain.rpcUrl,
        contractContext: { Staking: chain.contracts.Staking },
        checkNodeAttestation: false,
        debug: false,
        connectTimeout: 10_000,
      },
      blockhashUrl: network.blockhashUrl,
      contractsContext: { network: 'custom', rpc: chain.rpcUrl, customContext: chain.contracts },
      ownerWallet: chain.ownerWallet,
      networkPublicKey: network.networkPublicKey,
      stateDir: state?.dir,
      restored: state?.restored ?? false,
      nodes: network.nodes,
      threshold,
      requirePayment,
      // The nodes' epoch follows an epoch changed through `devnet.chain` as well as through the controls.
      chain: {
        ...chain,
        advanceEpoch: controls.advanceEpoch,
        async setEpoch(next) {
          await chain.setEpoch(next);
          epoch = await chain.getEpoch();
        },
      },
      controls,
      stop: () => stop(),
    };
  } catch (error) {
    await stop(true).catch(() => undefined);
    throw error;
  }
}

/** The SDK internals the two helpers below work around; see `disconnectLitNodeClient`. */
interface LitClientInternals {
  _connectingPromise: Promise<unknown> | null;
  _stakingContract?: { off(event: string, listener: unknown): unknown };
  _stakingContractListener?: unknown;
  _listenForNewEpoch(): void;
  connect(): Promise<void>;
  /** Set by createLitNodeClient: the Staking contract instance the StateChanged listener was put on. */
  __devnetListenedOn?: { off(event: string, listener: unknown): unknown };
}

/**
 * A LitNodeClient for the devnet (not yet connected), with the SDK's block-hash indexer URL
 * pointed at the devnet. `overrides` go into the constructor (e.g. `storageProvider`).
 * Disconnect it with `disconnectLitNodeClient`.
 */
export function createLitNodeClient(
  devnet: Pick<Devnet, 'litNodeClientConfig' | 'blockhashUrl'>,
  overrides: Partial<ConstructorParameters<typeof LitNodeClient>[0]> = {},
): LitNodeClient {
  const client = new LitNodeClient({ ...devnet.litNodeClientConfig, ...overrides } as ConstructorParameters<typeof LitNodeClient>[0]);
  (client as unknown as { _blockHashUrl: string })._blockHashUrl = devnet.blockhashUrl;
  const internals = client as unknown as LitClientInternals;
  const listen = internals._listenForNewEpoch.bind(client);
  internals._listenForNewEpoch = () => {
    const alreadyListening = Boolean(internals._stakingContractListener);
    listen();
    if (!alreadyListening && internals._stakingContractListener) internals.__devnetListenedOn = internals._stakingContract;
  };
  return client;
}

/**
 * Disconnect a LitNodeClient for good, so that the process can exit. SDK 7.4.0's `disconnect()`
 * is not enough once an epoch has changed while connected:
 * - every re-connect makes a new Staking contract instance, and `disconnect()` removes the
 *   StateChanged listener from the newest one, not from the one it was put on, whose provider
 *   then polls the chain forever (createLitNodeClient records that instance; this removes it);
 * - a StateChanged handler already running calls `connect()` after `disconnect()`, which
 *   subscribes again (this waits for a connect in flight and turns `connect` into a no-op).
 * Do not reuse the client afterwards.
 */
export async function disconnectLitNodeClient(client: LitNodeClient): Promise<void> {
  const internals = client as unknown as LitClientInternals;
  for (let p = internals._connectingPromise; p; p = internals._connectingPromise) await p.catch(() => undefined);
  internals.connect = async () => undefined;
  const listener = internals._stakingContractListener;
  await client.disconnect();
  if (listener && internals.__devnetListenedOn) internals.__devnetListenedOn.off('StateChanged', listener);
}
