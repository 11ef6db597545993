/**
 * The devnet chain: a real EVM (Foundry's anvil, a child process on 127.0.0.1) with Lit's contracts
 * as the SDK v7 calls them, a key vault of real PKP keys, and the `ChainView` the devnet's nodes read.
 *
 *   const chain = await startChain();
 *   new LitContracts({ network: 'custom', rpc: chain.rpcUrl, customContext: chain.contracts, privateKey: chain.ownerWallet.privateKey });
 *   new LitNodeClient({ litNetwork: 'custom', rpcUrl: chain.rpcUrl, contractContext: { Staking: chain.contracts.Staking } });
 *   await chain.stop();
 */
import { ethers } from 'ethers';
import { loadArtifacts, LIT_CONTRACT_NAMES, type LitContractName } from '../contracts/compile';
import { startAnvil, AnvilStartError } from './anvil';
import { BlockTracker } from './block-tracker';
import type { ChainView } from './chain-view';
import { DevnetChainView } from './devnet-chain-view';
import { KeyVault } from './key-vault';
import { KeyPoolKeeper } from './key-pool';
import { TxSender, type BuildTx } from './tx-sender';
import { DevnetSigner } from './signer';
import { chainStateFile, chainStateRefused, checkChainStateFile, saveChainState } from './chain-state';
import { DevnetStateError } from '../state/errors';

export type { ChainView, CapacityTokenInfo } from './chain-view';
export { pkpTokenIdFromPublicKey } from './devnet-chain-view';
export { LIT_CONTRACT_NAMES, type LitContractName } from '../contracts/compile';
export { TxSender, waitForReceipt, type BuildTx } from './tx-sender';
export { DevnetSigner, addressOfPrivateKey } from './signer';
export { CHAIN_STATE_FILE, chainStateFile } from './chain-state';

export interface StartChainOptions {
  /** eth_chainId. Default 31337. */
  chainId?: number;
  /**
   * Mine an empty block this often so block hashes move like a real chain (anvil interval mining;
   * transactions are still mined the moment they arrive). Default 2000; 0 = only blocks with
   * transactions, and `mineBlock()`.
   */
  blockIntervalMs?: number;
  /** How many recent block hashes the chain's BlockTracker keeps (`BlockTracker.isRecent`). Default 64. */
  recentBlockhashWindow?: number;
  /** PKP mint cost in wei (native token). Default 0.001 ether. */
  pkpMintCostWei?: bigint;
  /** Capacity credits price, in wei, of 1 request per kilosecond for one day. Default 1 gwei. */
  capacityCostPerRequestPerKilosecondPerDayWei?: bigint;
  /** Longest capacity credits expiry accepted by `mint`, in seconds. Default 366 days. */
  capacityMaxExpirationSeconds?: number;
  /** Native tokens given to the fresh owner wallet, in wei. Default 1000 ether. */
  ownerFundingWei?: bigint;
  /** Epoch length in seconds (the Staking contract's epoch). Default 3600. */
  epochLengthSeconds?: number;
  /** PKP key pool: filled to `keyPoolSize` at start, refilled when fewer than `keyPoolLowWater` are left. Defaults 16 / 8. */
  keyPoolSize?: number;
  keyPoolLowWater?: number;
  /** Refill the pool in the background as mints use it. Default true; false leaves refills to `refillKeyPool()`. */
  keyPoolAutoRefill?: boolean;
  /** Called with errors from background work (block mining, key pool refills). Default: console.warn of the message. */
  onBackgroundError?: (error: Error) => void;
  /** Keep the chain on disk and come back to it (see `ChainPersistence`). Default: in memory, gone at stop. */
  persistence?: ChainPersistence;
}

/**
 * What a chain kept on disk needs to be the same chain on the next run. The devnet's state
 * directory (`devnet/state`) supplies it; the deploy-time options (costs, epoch length, key pool
 * size) only apply to the first run, when the contracts are deployed.
 */
export interface ChainPersistence {
  /**
   * The directory the chain is kept in (made by the caller): `state.json` there is anvil's whole
   * state (`CHAIN_STATE_FILE`), written on the first run once the contracts are deployed, again
   * within `saveIntervalMs` of every block with transactions, and at stop; each time replaced
   * atomically. A restart loads it (anvil `--load-state`).
   */
  dbPath: string;
  /** How often the state is written when blocks with transactions were mined. Default 1000 ms. */
  saveIntervalMs?: number;
  /** The admin (deployer) account: it administers the contracts, so it must be the same account on every run. */
  adminPrivateKey: string;
  /** The owner wallet; funded on the first run only. */
  ownerPrivateKey: string;
  /** Contract addresses from the first run. Absent on the first run: deploy them. */
  deployed?: Record<LitContractName, string>;
  /** The PKP key vault, holding the saved keys and saving new ones (`KeyVault` `onGenerated`). */
  vault: KeyVault;
}

export interface ValidatorEndpoint {
  /** IPv4 dotted quad, e.g. '127.0.0.1'. */
  ip: string;
  port: number;
  /** The node's address (also used as its staker address). */
  nodeAddress: string;
}

export interface EpochInfo {
  epochLength: number;
  number: number;
  endTime: number;
  retries: number;
  timeout: number;
}

export interface ContractRef {
  address: string;
  abi: ethers.ContractInterface;
}

export interface DevnetChain {
  /** `http://127.0.0.1:<ephemeral port>` (anvil's JSON-RPC; the same port speaks WebSocket). */
  rpcUrl: string;
  /** The anvil process (a child of this one, killed with it). */
  pid: number;
  chainId: number;
  /** All 11 contracts, shaped as LitContracts' `customContext` (and `{ Staking }` for LitNodeClient's `contractContext`). */
  contracts: Record<LitContractName, ContractRef>;
  /** A fresh funded wallet: the user's "dApp owner". Secret: never log `privateKey`. */
  ownerWallet: { address: string; privateKey: string };
  chainView: ChainView;
  /** JSON-RPC provider on `rpcUrl`, for reads in tests and tools. */
  provider: ethers.providers.JsonRpcProvider;
  /** Replace the validator set and threshold; emits StateChanged(Active), so connected SDKs re-handshake. */
  setValidators(validators: ValidatorEndpoint[], threshold: number): Promise<void>;
  /** Next epoch now (number + 1, endTime = now + epochLength); emits StateChanged(Active). Returns the new number. */
  advanceEpoch(): Promise<number>;
  /** Set the epoch outright; emits StateChanged(Active). */
  setEpoch(epoch: { number: number; epochLength?: number; endTime?: number }): Promise<void>;
  getEpoch(): Promise<EpochInfo>;
  latestBlockhash(): string;
  /** Mine one empty block now; returns its hash (also recorded as the latest). */
  mineBlock(): Promise<string>;
  /** Unminted keys left in the PKPNFT pool. */
  keyPoolRemaining(): Promise<number>;
  /** Top the pool up to its size now (the keeper also does it in the background). */
  refillKeyPool(): Promise<void>;
  /** Devnet-only: mint capacity credits with any rpk and expiry (past expiries too) to `to`. Returns the token id. */
  mintCapacityTokenAsAdmin(args: { to: string; requestsPerKilosecond: number | bigint; expiresAt: number }): Promise<string>;
  /** Send native tokens from the devnet's admin account. */
  fund(address: string, wei: bigint): Promise<void>;
  /**
   * Stop timers and the subscription, write the state (with `persistence`), stop anvil (SIGTERM,
   * then SIGKILL; bounded, never hangs) and wipe the key vault. Idempotent.
   */
  stop(): Promise<void>;
}

const ETHER = 10n ** 18n;
/** What the admin (deployer) account is given on a new chain. */
const ADMIN_FUNDING_WEI = 1_000_000n * ETHER;
/** keccak256(rlp([])): the transactions root of a block without transactions. */
const EMPTY_TRIE_ROOT = '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421';
/** stop() waits this long for admin transactions in flight before stopping anvil under them. */
const STOP_DRAIN_MS = 10_000;
/** stop() waits this long for the last write of the chain state (anvil_dumpState + file). */
const STOP_SAVE_MS = 30_000;

interface NewHead {
  number: string;
  hash: string;
  transactionsRoot?: string;
}

/** Start anvil on 127.0.0.1, deploy the Lit contracts, fund an owner wallet, fill the key pool. */
export async function startChain(options: StartChainOptions = {}): Promise<DevnetChain> {
  const chainId = options.chainId ?? 31337;
  const blockIntervalMs = options.blockIntervalMs ?? 2000;
  const autoRefill = options.keyPoolAutoRefill ?? true;
  const onBackgroundError = options.onBackgroundError ?? ((e: Error) => console.warn(`[devnet chain] ${e.message}`));
  const artifacts = loadArtifacts();

  const persistence = options.persistence;
  const stateFile = persistence && chainStateFile(persistence.dbPath);
  const restoring = Boolean(persistence?.deployed);
  // Refused here, naming the file, rather than by anvil with its own words.
  if (restoring) checkChainStateFile(stateFile!);

  let stopped = false;
  const anvil = await startAnvil({
    chainId,
    blockIntervalMs,
    loadStatePath: restoring ? stateFile : undefined,
    onUnexpectedExit: (e) => {
      if (!stopped) onBackgroundError(e);
    },
  }).catch((e: unknown) => {
    throw restoring && e instanceof AnvilStartError ? chainStateRefused(stateFile!, e.message, e) : e;
  });
  const rpcUrl = anvil.rpcUrl;
  const network = { chainId, name: 'lit-devnet' };
  const provider = new ethers.providers.StaticJsonRpcProvider(rpcUrl, network);
  // New heads are pushed over a WebSocket (the same anvil port), so that the latest block hash is
  // known synchronously (`ChainView.latestBlockhash()`) as soon as a block is mined, by anyone.
  const { provider: heads, intervals: headsIntervals } = openWebSocketProvider(anvil.wsUrl, network);
  (heads.websocket as unknown as { on?(event: 'error', listener: (e: Error) => void): void }).on?.('error', (e) => {
    if (!stopped) onBackgroundError(new Error(`new-heads subscription: ${e.message}`));
  });
  void heads.detectNetwork().catch(() => undefined);

  const recentWindow = options.recentBlockhashWindow ?? 64;
  const blocks = new BlockTracker(recentWindow);
  /** The number of the latest block recorded; heads are recorded in order, older ones skipped. */
  let latestNumber = -1;
  const recordBlock = (number: number, hash: string): void => {
    if (number <= latestNumber) return;
    latestNumber = number;
    blocks.record(hash);
  };
  const vault = persistence?.vault ?? new KeyVault();
  let keeper: KeyPoolKeeper | undefined;
  let started = false;
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    void work.catch(() => undefined).finally(() => inFlight.delete(work));
    return work;
  };

  const saver = stateFile ? new ChainStateSaver(provider, stateFile) : undefined;

  /** Heads that arrived before the recent window was read back, replayed after it. */
  let buffered: NewHead[] | undefined = [];
  const onHead = (head: NewHead): void => {
    if (buffered) {
      buffered.push(head);
      return;
    }
    recordBlock(Number(head.number), head.hash);
    if (saver && head.transactionsRoot && head.transactionsRoot !== EMPTY_TRIE_ROOT) saver.dirty = true;
    if (autoRefill && !stopped) keeper?.onNewBlock();
  };

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    saver?.stopTimer();
    // The keeper's refill and admin transactions in flight finish first (bounded: anvil mines in
    // milliseconds, but a stop must not hang on an anvil that stopped answering).
    await withTimeout(Promise.allSettled([keeper?.stop(), ...inFlight]), STOP_DRAIN_MS, 'in-flight transactions did not finish').catch(() => undefined);
    let saveError: unknown;
    try {
      await closeWebSocketProvider(heads, headsIntervals);
      // The last write has every block up to now. A start that failed writes nothing: a refused
      // state is left as it was.
      if (saver && started && !anvil.exited()) {
        await withTimeout(saver.finalSave(), STOP_SAVE_MS, `the last write of ${stateFile} did not finish`).catch((e: unknown) => {
          saveError = e;
        });
      }
    } finally {
      await anvil.stop();
      vault.wipe();
    }
    if (saveError) throw saveError;
  };

  try {
    await withTimeout(
      heads._subscribe('newHeads', ['newHeads'], (head: NewHead) => onHead(head)),
      10_000,
      `anvil's WebSocket (${anvil.wsUrl}) did not answer eth_subscribe`,
    );
    // The last window of hashes (the latest is the SIWE nonce the nodes hand out; a restored chain
    // goes on from its last block), then the heads that came meanwhile.
    const tip = await provider.getBlockNumber();
    const window = await Promise.all(
      Array.from({ length: Math.min(tip + 1, recentWindow) }, (_, i) => provider.getBlock(tip - Math.min(tip + 1, recentWindow) + 1 + i)),
    );
    for (const block of window) recordBlock(block.number, block.hash);
    const meanwhile = buffered;
    buffered = undefined;
    for (const head of meanwhile) onHead(head);

    const admin = persistence ? new DevnetSigner(persistence.adminPrivateKey, provider) : DevnetSigner.createRandom(provider);
    const adminSender = new TxSender(admin);
    /**
     * Every admin transaction goes through one TxSender: nonces in call order, sends pipelined
     * (the key pool keeper sends in the background while callers send too), and a failed send
     * resyncs the nonce from the chain, so one failure never wedges the next.
     */
    const send = (build: BuildTx): Promise<ethers.providers.TransactionReceipt> => track(adminSender.send(build));

    if (!restoring) await provider.send('anvil_setBalance', [admin.address, ethers.utils.hexValue(ADMIN_FUNDING_WEI)]);
    const deployed = restoring
      ? await attachLitContracts(provider, admin, artifacts, persistence!.deployed!, stateFile!)
      : await deployLitContracts(admin, artifacts, send, options);
    const pkpNft = deployed.PKPNFT;
    const contracts = Object.fromEntries(
      LIT_CONTRACT_NAMES.map((name) => [name, { address: deployed[name].address, abi: artifacts.contracts[name].abi as ethers.ContractInterface }]),
    ) as Record<LitContractName, ContractRef>;

    const owner = persistence ? new DevnetSigner(persistence.ownerPrivateKey) : DevnetSigner.createRandom();
    if (!restoring) await send((o) => admin.sendTransaction({ ...o, to: owner.address, value: options.ownerFundingWei ?? 1000n * ETHER }));

    const poolKeeper = (keeper = new KeyPoolKeeper(pkpNft, vault, (publicKeys) => send((o) => pkpNft.addKeysToPool(publicKeys, o)), {
      size: options.keyPoolSize ?? 16,
      lowWater: options.keyPoolLowWater ?? 8,
      onError: onBackgroundError,
    }));
    await poolKeeper.refill();

    if (saver) {
      // A first run is on disk before anyone uses it (the manifest that names its contracts comes next).
      if (!restoring) await saver.save();
      saver.startTimer(
        persistence!.saveIntervalMs ?? 1000,
        () => !stopped && !anvil.exited(),
        (e) => !stopped && onBackgroundError(e),
      );
    }

    started = true;
    return chainApi({
      rpcUrl,
      pid: anvil.pid,
      chainId,
      contracts,
      owner,
      blocks,
      vault,
      deployed,
      provider,
      send,
      track,
      recordBlock,
      keeper: poolKeeper,
      admin,
      stop,
    });
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/**
 * The chain on disk: written when blocks with transactions were mined (empty blocks alone wait
 * for the next write, or stop), single-flight.
 */
class ChainStateSaver {
  dirty = false;
  private saving: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly provider: ethers.providers.JsonRpcProvider,
    private readonly stateFile: string,
  ) {}

  save(): Promise<void> {
    this.saving ??= (async () => {
      this.dirty = false;
      try {
        await saveChainState(this.provider, this.stateFile);
      } catch (e) {
        this.dirty = true;
        throw new Error(`could not write the chain state ${this.stateFile}: ${(e as Error).message}`, { cause: e });
      }
    })().finally(() => {
      this.saving = undefined;
    });
    return this.saving;
  }

  /** The last write, after any in flight: it has every block up to now. */
  async finalSave(): Promise<void> {
    await this.saving?.catch(() => undefined);
    await this.save();
  }

  startTimer(everyMs: number, live: () => boolean, onError: (e: Error) => void): void {
    this.timer = setInterval(() => {
      if (this.dirty && live()) this.save().catch(onError);
    }, everyMs);
    this.timer.unref();
  }

  stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

type LitContracts = Record<LitContractName, ethers.Contract>;

/** A restored chain: the contracts of the first run, checked to be there. */
async function attachLitContracts(
  provider: ethers.providers.Provider,
  admin: ethers.Signer,
  artifacts: ReturnType<typeof loadArtifacts>,
  addresses: Record<LitContractName, string>,
  stateFile: string,
): Promise<LitContracts> {
  const attached = {} as LitContracts;
  for (const name of LIT_CONTRACT_NAMES) {
    const code = await provider.getCode(addresses[name]);
    if (code === '0x') {
      throw new DevnetStateError(
        'DEVNET_STATE_CORRUPT',
        stateFile,
        `the chain state ${stateFile} has no ${name} contract at ${addresses[name]}: it is not the chain this state was made with (replaced, emptied or damaged). Restore it, or start with an empty directory.`,
      );
    }
    attached[name] = new ethers.Contract(addresses[name], artifacts.contracts[name].abi as ethers.ContractInterface, admin);
  }
  return attached;
}

/** A fresh chain: Lit's contracts deployed and wired, one after the other so addresses come in a stable order. */
async function deployLitContracts(
  admin: ethers.Signer,
  artifacts: ReturnType<typeof loadArtifacts>,
  send: (build: BuildTx) => Promise<ethers.providers.TransactionReceipt>,
  options: StartChainOptions,
): Promise<LitContracts> {
  const deploy = async (name: LitContractName, ...args: unknown[]): Promise<ethers.Contract> => {
    const { abi, bytecode } = artifacts.contracts[name];
    const factory = new ethers.ContractFactory(abi as ethers.ContractInterface, bytecode, admin);
    let contract: ethers.Contract | undefined;
    await send(async (overrides) => {
      contract = await factory.deploy(...args, overrides);
      return contract.deployTransaction;
    });
    return contract as ethers.Contract;
  };
  const staking = await deploy('Staking', options.epochLengthSeconds ?? 3600);
  const router = await deploy('PubkeyRouter');
  const pkpNft = await deploy('PKPNFT', router.address, staking.address, options.pkpMintCostWei ?? ETHER / 1000n);
  await send((o) => router.setPkpNftAddress(pkpNft.address, o));
  const pkpPermissions = await deploy('PKPPermissions', pkpNft.address, router.address);
  const pkpNftMetadata = await deploy('PKPNFTMetadata');
  await send((o) => pkpNft.setDevnetAddresses(pkpPermissions.address, pkpNftMetadata.address, o));
  const pkpHelper = await deploy('PKPHelper', pkpNft.address, pkpPermissions.address);
  const rateLimitNft = await deploy(
    'RateLimitNFT',
    options.capacityCostPerRequestPerKilosecondPerDayWei ?? 10n ** 9n,
    options.capacityMaxExpirationSeconds ?? 366 * 86400,
  );
  const allowlist = await deploy('Allowlist');
  const litToken = await deploy('LITToken');
  const multisender = await deploy('Multisender');
  const stakingBalances = await deploy('StakingBalances');
  return {
    Allowlist: allowlist,
    LITToken: litToken,
    Multisender: multisender,
    PKPHelper: pkpHelper,
    PKPNFT: pkpNft,
    PKPNFTMetadata: pkpNftMetadata,
    PKPPermissions: pkpPermissions,
    PubkeyRouter: router,
    RateLimitNFT: rateLimitNft,
    Staking: staking,
    StakingBalances: stakingBalances,
  };
}

/** The started chain as its users see it: the contracts and the admin operations the devnet needs. */
function chainApi(c: {
  rpcUrl: string;
  pid: DevnetChain['pid'];
  chainId: number;
  contracts: Record<LitContractName, ContractRef>;
  owner: DevnetSigner;
  blocks: BlockTracker;
  vault: KeyVault;
  deployed: LitContracts;
  provider: ethers.providers.JsonRpcProvider;
  send: (build: BuildTx) => Promise<ethers.providers.TransactionReceipt>;
  track: <T>(work: Promise<T>) => Promise<T>;
  recordBlock: (number: number, hash: string) => void;
  keeper: KeyPoolKeeper;
  admin: DevnetSigner;
  stop: () => Promise<void>;
}): DevnetChain {
  const { provider, send, blocks } = c;
  const { Staking: staking, PKPNFT: pkpNft, RateLimitNFT: rateLimitNft } = c.deployed;
  const getEpoch = async (): Promise<EpochInfo> => {
    const e = (await staking.epoch()) as Record<keyof EpochInfo, ethers.BigNumber>;
    return {
      epochLength: e.epochLength.toNumber(),
      number: e.number.toNumber(),
      endTime: e.endTime.toNumber(),
      retries: e.retries.toNumber(),
      timeout: e.timeout.toNumber(),
    };
  };
  return {
    rpcUrl: c.rpcUrl,
    pid: c.pid,
    chainId: c.chainId,
    contracts: c.contracts,
    ownerWallet: { address: c.owner.address, privateKey: c.owner.privateKey },
    chainView: new DevnetChainView(blocks, c.vault, c.deployed.PKPPermissions, rateLimitNft),
    provider,
    async setValidators(validators, threshold) {
      const structs = validators.map((v) => ({
        ip: ipv4ToUint32(v.ip),
        ipv6: 0,
        port: v.port,
        nodeAddress: ethers.utils.getAddress(v.nodeAddress),
        reward: 0,
        senderPubKey: 0,
        receiverPubKey: 0,
      }));
      await send((o) => staking.setValidators(structs, threshold, o));
    },
    async advanceEpoch() {
      await send((o) => staking.advanceEpoch(o));
      return (await getEpoch()).number;
    },
    async setEpoch(epoch) {
      const current = await getEpoch();
      const epochLength = epoch.epochLength ?? current.epochLength;
      const endTime = epoch.endTime ?? Math.floor(Date.now() / 1000) + epochLength;
      await send((o) => staking.setEpoch(epoch.number, epochLength, endTime, o));
    },
    getEpoch,
    latestBlockhash: () => blocks.latest(),
    mineBlock: () =>
      c.track(
        (async () => {
          await provider.send('evm_mine', []);
          const block = await provider.getBlock('latest');
          c.recordBlock(block.number, block.hash);
          return block.hash;
        })(),
      ),
    keyPoolRemaining: async () => ((await pkpNft.keyPoolRemaining()) as ethers.BigNumber).toNumber(),
    refillKeyPool: () => c.keeper.refill(),
    async mintCapacityTokenAsAdmin({ to, requestsPerKilosecond, expiresAt }) {
      const receipt = await send((o) => rateLimitNft.mintAsAdmin(to, requestsPerKilosecond, expiresAt, o));
      return ethers.BigNumber.from(receipt.logs[0].topics[3]).toString();
    },
    async fund(address, wei) {
      await send((o) => c.admin.sendTransaction({ ...o, to: address, value: wei }));
    },
    stop: c.stop,
  };
}

/**
 * ethers' WebSocketProvider starts a 1 s interval in its constructor (its 'fauxPoll') that
 * destroy() never clears, so every chain would leave one behind: capture it for stop() to clear.
 * The constructor is synchronous, so nothing else runs while setInterval is wrapped.
 */
function openWebSocketProvider(url: string, network: ethers.providers.Network): { provider: ethers.providers.WebSocketProvider; intervals: NodeJS.Timeout[] } {
  const intervals: NodeJS.Timeout[] = [];
  const original = globalThis.setInterval;
  globalThis.setInterval = ((...args: Parameters<typeof setInterval>) => {
    const interval = original(...args);
    intervals.push(interval);
    return interval;
  }) as typeof setInterval;
  try {
    return { provider: new ethers.providers.WebSocketProvider(url, network), intervals };
  } finally {
    globalThis.setInterval = original;
  }
}

/** Close the WebSocket at once (ws's terminate: no closing handshake, whose 30 s timer would outlive stop) and clear the provider's interval. */
async function closeWebSocketProvider(provider: ethers.providers.WebSocketProvider, intervals: NodeJS.Timeout[]): Promise<void> {
  for (const interval of intervals) clearInterval(interval);
  const socket = provider.websocket as unknown as { readyState: number; terminate?(): void; once?(event: 'close', listener: () => void): void };
  if (socket.readyState === 3 /* CLOSED */) return;
  const closed = new Promise<void>((resolve) => socket.once?.('close', resolve));
  if (socket.terminate) socket.terminate();
  else await provider.destroy();
  await withTimeout(closed, 2000, 'the new-heads WebSocket did not close').catch(() => undefined);
}

/** `promise`, or a rejection with `message` after `ms`. */
async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** '127.0.0.1' -> 0x7f000001, the form Lit's Staking stores (the SDK's intToIP reverses it). */
export function ipv4ToUint32(ip: string): number {
  const parts = ip.split('.').map((p) => Number(p));
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new RangeError(`not an IPv4 address: ${ip}`);
  }
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}
