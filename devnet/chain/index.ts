/**
 * The devnet chain: a real EVM (ganache, in process, on 127.0.0.1) with Lit's contracts as the
 * SDK v7 calls them, a key vault of real PKP keys, and the `ChainView` the devnet's nodes read.
 *
 *   const chain = await startChain();
 *   new LitContracts({ network: 'custom', rpc: chain.rpcUrl, customContext: chain.contracts, privateKey: chain.ownerWallet.privateKey });
 *   new LitNodeClient({ litNetwork: 'custom', rpcUrl: chain.rpcUrl, contractContext: { Staking: chain.contracts.Staking } });
 *   await chain.stop();
 */
import ganache from 'ganache';
import { ethers } from 'ethers';
import { loadArtifacts, LIT_CONTRACT_NAMES, type LitContractName } from '../contracts/compile';
import { BlockTracker } from './block-tracker';
import type { ChainView } from './chain-view';
import { DevnetChainView } from './devnet-chain-view';
import { KeyVault } from './key-vault';
import { KeyPoolKeeper } from './key-pool';
import { DevnetStateError } from '../state/errors';

/** Enough for advanceEpoch/setEpoch with every storage slot written fresh. */
const EPOCH_TX_GAS_LIMIT = 200_000;

export type { ChainView, CapacityTokenInfo } from './chain-view';
export { pkpTokenIdFromPublicKey } from './devnet-chain-view';
export { LIT_CONTRACT_NAMES, type LitContractName } from '../contracts/compile';

export interface StartChainOptions {
  /** eth_chainId. Default 31337. */
  chainId?: number;
  /** Mine an empty block this often so block hashes move like a real chain. Default 2000; 0 = never. */
  blockIntervalMs?: number;
  /** How many recent block hashes `isRecentBlockhash` accepts. Default 64. */
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
  /** ganache's database directory (created on the first run). */
  dbPath: string;
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
  /** `http://127.0.0.1:<ephemeral port>` */
  rpcUrl: string;
  chainId: number;
  /** All 11 contracts, shaped as LitContracts' `customContext` (and `{ Staking }` for LitNodeClient's `contractContext`). */
  contracts: Record<LitContractName, ContractRef>;
  /** A fresh funded wallet: the user's "dApp owner". Secret: never log `privateKey`. */
  ownerWallet: { address: string; privateKey: string };
  chainView: ChainView;
  /** In-process JSON-RPC provider (no HTTP), for reads and admin writes in tests and tools. */
  provider: ethers.providers.Web3Provider;
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
  /** Stop timers and subscriptions, close the server, wipe the key vault. Idempotent. */
  stop(): Promise<void>;
}

interface Eip1193 {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
  on(event: 'message', listener: (message: { type: string; data: { subscription: string; result: { hash?: string } } }) => void): unknown;
  removeListener?(event: 'message', listener: (...args: never[]) => void): unknown;
  off?(event: 'message', listener: (...args: never[]) => void): unknown;
}

const ETHER = 10n ** 18n;

/** Start ganache on 127.0.0.1:0, deploy the Lit contracts, fund an owner wallet, fill the key pool. */
export async function startChain(options: StartChainOptions = {}): Promise<DevnetChain> {
  const chainId = options.chainId ?? 31337;
  const blockIntervalMs = options.blockIntervalMs ?? 2000;
  const autoRefill = options.keyPoolAutoRefill ?? true;
  const onBackgroundError = options.onBackgroundError ?? ((e: Error) => console.warn(`[devnet chain] ${e.message}`));
  const artifacts = loadArtifacts();

  const persistence = options.persistence;
  const server = ganache.server({
    chain: { chainId },
    logging: { quiet: true },
    miner: { instamine: 'eager' },
    wallet: persistence
      ? { accounts: [{ secretKey: persistence.adminPrivateKey, balance: `0x${(1_000_000n * ETHER).toString(16)}` }] }
      : { totalAccounts: 1, defaultBalance: 1_000_000 },
    ...(persistence ? { database: { dbPath: persistence.dbPath } } : {}),
  });
  await server.listen(0, '127.0.0.1');
  const rpcUrl = `http://127.0.0.1:${server.address().port}`;
  const eip1193 = server.provider as unknown as Eip1193;
  const provider = new ethers.providers.Web3Provider(eip1193 as unknown as ethers.providers.ExternalProvider, { chainId, name: 'lit-devnet' });

  const recentWindow = options.recentBlockhashWindow ?? 64;
  const blocks = new BlockTracker(recentWindow);
  const vault = persistence?.vault ?? new KeyVault();
  let stopped = false;
  let mineTimer: NodeJS.Timeout | undefined;
  let keeper: KeyPoolKeeper | undefined;
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    void work.catch(() => undefined).finally(() => inFlight.delete(work));
    return work;
  };
  const onMessage = (message: { type: string; data: { result: { hash?: string } } }): void => {
    if (message.type !== 'eth_subscription' || !message.data.result.hash) return;
    blocks.record(message.data.result.hash);
    if (autoRefill) keeper?.onNewBlock();
  };

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (mineTimer) clearInterval(mineTimer);
    (eip1193.off ?? eip1193.removeListener)?.call(eip1193, 'message', onMessage as never);
    await keeper?.stop();
    // Closing ganache under a running request makes it throw "Database is not open" from inside
    // its own promise chain, which kills the process: let everything in flight finish first.
    await Promise.allSettled([...inFlight]);
    await server.close();
    vault.wipe();
  };

  try {
    // A restored chain: the recent hashes are still valid SIWE nonces (a cached wallet sig made
    // just before a restart carries one), so put the last window of them back.
    const latestNumber = await provider.getBlockNumber();
    for (let n = Math.max(0, latestNumber - recentWindow + 1); n <= latestNumber; n++) blocks.record((await provider.getBlock(n)).hash);
    await eip1193.request({ method: 'eth_subscribe', params: ['newHeads'] });
    eip1193.on('message', onMessage);

    const [deployerAddress] = await provider.listAccounts();
    const admin = provider.getSigner(deployerAddress);
    /** A restored chain: the contracts of the first run, checked to be there. */
    const attachAll = async (addresses: Record<LitContractName, string>): Promise<Record<LitContractName, ethers.Contract>> => {
      const attached = {} as Record<LitContractName, ethers.Contract>;
      for (const name of LIT_CONTRACT_NAMES) {
        const code = await provider.getCode(addresses[name]);
        if (code === '0x') {
          throw new DevnetStateError(
            'DEVNET_STATE_CORRUPT',
            persistence!.dbPath,
            `the chain database ${persistence!.dbPath} has no ${name} contract at ${addresses[name]}: it is not the chain this state was made with (replaced, emptied or damaged). Restore it, or start with an empty directory.`,
          );
        }
        attached[name] = new ethers.Contract(addresses[name], artifacts.contracts[name].abi as ethers.ContractInterface, admin);
      }
      return attached;
    };
    const deploy = async (name: LitContractName, ...args: unknown[]): Promise<ethers.Contract> => {
      const { abi, bytecode } = artifacts.contracts[name];
      const factory = new ethers.ContractFactory(abi as ethers.ContractInterface, bytecode, admin);
      let contract: ethers.Contract | undefined;
      await send(async () => {
        contract = await factory.deploy(...args);
        return contract.deployTransaction as ethers.ContractTransaction;
      });
      return contract as ethers.Contract;
    };
    // Every admin transaction goes through one queue: ganache's eager instamine mis-orders the
    // nonces of concurrent transactions from one sender (seen as "tx doesn't have the correct
    // nonce"), and the key pool keeper sends in the background while callers send too.
    let adminQueue: Promise<unknown> = Promise.resolve();
    const send = (makeTx: () => Promise<ethers.ContractTransaction>): Promise<ethers.ContractReceipt> => {
      const result = track(adminQueue.then(async () => (await makeTx()).wait()));
      adminQueue = result.catch(() => undefined);
      return result;
    };

    // One transaction at a time: ganache's eager instamine mis-orders concurrent nonces of one
    // sender. Sequential deploys also keep contract addresses in a stable order.
    const deployAll = async (): Promise<Record<LitContractName, ethers.Contract>> => {
      const staking = await deploy('Staking', options.epochLengthSeconds ?? 3600);
      const router = await deploy('PubkeyRouter');
      const pkpNft = await deploy('PKPNFT', router.address, staking.address, options.pkpMintCostWei ?? ETHER / 1000n);
      await send(() => router.setPkpNftAddress(pkpNft.address));
      const pkpPermissions = await deploy('PKPPermissions', pkpNft.address, router.address);
      const pkpNftMetadata = await deploy('PKPNFTMetadata');
      await send(() => pkpNft.setDevnetAddresses(pkpPermissions.address, pkpNftMetadata.address));
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
    };
    const deployed = persistence?.deployed ? await attachAll(persistence.deployed) : await deployAll();
    const staking = deployed.Staking;
    const pkpNft = deployed.PKPNFT;
    const pkpPermissions = deployed.PKPPermissions;
    const rateLimitNft = deployed.RateLimitNFT;
    const contracts = Object.fromEntries(
      LIT_CONTRACT_NAMES.map((name) => [name, { address: deployed[name].address, abi: artifacts.contracts[name].abi as ethers.ContractInterface }]),
    ) as Record<LitContractName, ContractRef>;

    const owner = persistence ? new ethers.Wallet(persistence.ownerPrivateKey) : ethers.Wallet.createRandom();
    if (!persistence?.deployed) {
      await send(() => admin.sendTransaction({ to: owner.address, value: options.ownerFundingWei ?? 1000n * ETHER }) as Promise<ethers.ContractTransaction>);
    }

    keeper = new KeyPoolKeeper(pkpNft, vault, (publicKeys) => send(() => pkpNft.addKeysToPool(publicKeys)), {
      size: options.keyPoolSize ?? 16,
      lowWater: options.keyPoolLowWater ?? 8,
      onError: onBackgroundError,
    });
    await keeper.refill();

    const mineBlock = (): Promise<string> =>
      track(
        (async () => {
          await eip1193.request({ method: 'evm_mine', params: [] });
          const block = await provider.getBlock('latest');
          blocks.record(block.hash);
          return block.hash;
        })(),
      );
    if (blockIntervalMs > 0) {
      mineTimer = setInterval(() => {
        if (!stopped) mineBlock().catch((e: Error) => !stopped && onBackgroundError(e));
      }, blockIntervalMs);
      mineTimer.unref();
    }

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
      rpcUrl,
      chainId,
      contracts,
      ownerWallet: { address: owner.address, privateKey: owner.privateKey },
      chainView: new DevnetChainView(blocks, vault, pkpPermissions, rateLimitNft),
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
        await send(() => staking.setValidators(structs, threshold));
      },
      async advanceEpoch() {
        // An explicit gas limit: ganache estimates against the previous block's timestamp, and two
        // advances in one block second then under-estimate the endTime store and revert.
        await send(() => staking.advanceEpoch({ gasLimit: EPOCH_TX_GAS_LIMIT }));
        return (await getEpoch()).number;
      },
      async setEpoch(epoch) {
        const current = await getEpoch();
        const epochLength = epoch.epochLength ?? current.epochLength;
        const endTime = epoch.endTime ?? Math.floor(Date.now() / 1000) + epochLength;
        await send(() => staking.setEpoch(epoch.number, epochLength, endTime, { gasLimit: EPOCH_TX_GAS_LIMIT }));
      },
      getEpoch,
      latestBlockhash: () => blocks.latest(),
      mineBlock,
      keyPoolRemaining: async () => ((await pkpNft.keyPoolRemaining()) as ethers.BigNumber).toNumber(),
      refillKeyPool: () => keeper!.refill(),
      async mintCapacityTokenAsAdmin({ to, requestsPerKilosecond, expiresAt }) {
        const receipt = await send(() => rateLimitNft.mintAsAdmin(to, requestsPerKilosecond, expiresAt));
        return ethers.BigNumber.from(receipt.logs[0].topics[3]).toString();
      },
      async fund(address, wei) {
        await send(() => admin.sendTransaction({ to: address, value: wei }) as Promise<ethers.ContractTransaction>);
      },
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
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
