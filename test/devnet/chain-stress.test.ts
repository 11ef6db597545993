/**
 * The devnet chain under concurrent load, the failure seen with ganache: of 45 concurrent
 * transactions from three wallets a few never mined, the wallet then failed every later
 * transaction, and a lost key-pool refill broke minting for good.
 *
 * Here, on one chain: 8 funded wallets send 25 transactions each, all at once (200: PKP mints that
 * pop the devnet's key pool, capacity-credit mints, Multisender calls, transfers), each wallet
 * through its own TxSender, plus one send per wallet that reverts at estimation in the middle of
 * its batch. Meanwhile the devnet's own admin paths run too (funding, admin capacity mints,
 * mined blocks, key-pool refills in the background), and the SDK (LitContracts) mints PKPs.
 * Every one of the 200 is mined with status 1, every wallet's nonce ends exactly at 25, a
 * follow-up PKP mint from every wallet mines (no wedged nonce, the pool still serves keys whose
 * private keys the vault holds), the pool refills, and stop() leaves no anvil process and no
 * open port. Bounded: fixed counts, one chain on 127.0.0.1, a timeout on every wait.
 */
import { ethers } from 'ethers';
import { secp256k1 } from '@noble/curves/secp256k1';
import { LitContracts } from '@lit-protocol/contracts-sdk';
import { DevnetSigner, TxSender, startChain, type DevnetChain } from '../../devnet/chain';

jest.setTimeout(240_000);

const WALLETS = 8;
const PER_WALLET = 25;
const PKP_MINTS = 4;
const CAPACITY_MINTS = 2;
const MULTISENDS = 4;
const TRANSFERS = PER_WALLET - PKP_MINTS - CAPACITY_MINTS - MULTISENDS;
const SDK_MINTS = 2;
const POOL_SIZE = 48;
const POOL_LOW_WATER = 24;

/** Resolve once `check` is true, or fail after `ms`. */
async function eventually(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Not ethers.Wallet.createRandom(): it derives an HD key with elliptic, seconds under jest. */
const randomAddress = (): string => ethers.utils.getAddress(ethers.utils.hexlify(ethers.utils.randomBytes(20)));

/** Next UTC midnight at least two days ahead: a valid capacity-credits expiry. */
const expiry = (): number => (Math.floor(Date.now() / 86_400_000) + 2) * 86_400;

describe('devnet chain under concurrent load', () => {
  let chain: DevnetChain;
  let provider: ethers.providers.StaticJsonRpcProvider;
  let wallets: DevnetSigner[];
  let senders: TxSender[];
  let pkpNft: ethers.Contract;
  let rateLimitNft: ethers.Contract;
  let multisender: ethers.Contract;
  const backgroundErrors: Error[] = [];

  beforeAll(async () => {
    chain = await startChain({
      blockIntervalMs: 250,
      keyPoolSize: POOL_SIZE,
      keyPoolLowWater: POOL_LOW_WATER,
      onBackgroundError: (e) => backgroundErrors.push(e),
    });
    provider = new ethers.providers.StaticJsonRpcProvider(chain.rpcUrl, { chainId: chain.chainId, name: 'lit-devnet' });
    const contract = (name: 'PKPNFT' | 'RateLimitNFT' | 'Multisender'): ethers.Contract =>
      new ethers.Contract(chain.contracts[name].address, chain.contracts[name].abi, provider);
    pkpNft = contract('PKPNFT');
    rateLimitNft = contract('RateLimitNFT');
    multisender = contract('Multisender');
    wallets = Array.from({ length: WALLETS }, () => DevnetSigner.createRandom(provider));
    // Funding is itself concurrent: eight admin transactions at once, through the devnet's own path.
    await Promise.all(wallets.map((w) => chain.fund(w.address, 10n ** 19n)));
    senders = wallets.map((w) => new TxSender(w));
  });

  afterAll(async () => {
    await chain?.stop();
  });

  it('mines every one of 200 concurrent transactions from 8 wallets, with admin and SDK traffic alongside', async () => {
    const mintCost = (await pkpNft.mintCost()) as ethers.BigNumber;
    const expiresAt = expiry();
    const capacityCost = (await rateLimitNft.calculateCost(10, expiresAt)) as ethers.BigNumber;
    const started = Date.now();

    const sends: Promise<ethers.providers.TransactionReceipt>[] = [];
    const reverts: Promise<unknown>[] = [];
    senders.forEach((sender, w) => {
      const signer = wallets[w];
      const jobs: ((o: { nonce: number }) => Promise<ethers.providers.TransactionResponse>)[] = [
        ...Array.from({ length: PKP_MINTS }, () => (o: { nonce: number }) => pkpNft.connect(signer).mintNext(2, { ...o, value: mintCost })),
        ...Array.from({ length: CAPACITY_MINTS }, () => (o: { nonce: number }) => rateLimitNft.connect(signer).mint(expiresAt, { ...o, value: capacityCost })),
        ...Array.from(
          { length: MULTISENDS },
          () => (o: { nonce: number }) => multisender.connect(signer).sendEth([randomAddress(), wallets[(w + 1) % WALLETS].address], { ...o, value: 2 }),
        ),
        ...Array.from(
          { length: TRANSFERS },
          (_, i) => (o: { nonce: number }) => signer.sendTransaction({ ...o, to: wallets[(w + i + 1) % WALLETS].address, value: 1 + i }),
        ),
      ];
      jobs.forEach((job, i) => {
        sends.push(sender.send(job));
        // Half way through the batch, a send that reverts at estimation: it must give its nonce back.
        if (i === Math.floor(PER_WALLET / 2)) reverts.push(sender.send((o) => pkpNft.connect(signer).mintNext(2, { ...o, value: 1 })));
      });
    });
    expect(sends).toHaveLength(200);

    // The devnet's own paths at the same time: admin transactions, mined blocks, and the SDK.
    const admin = Promise.all([
      ...Array.from({ length: 8 }, () => chain.fund(randomAddress(), 1n)),
      ...Array.from({ length: 4 }, () => chain.mintCapacityTokenAsAdmin({ to: chain.ownerWallet.address, requestsPerKilosecond: 5, expiresAt })),
      chain.mineBlock(),
      chain.mineBlock(),
    ]);
    const sdk = (async () => {
      const contracts = new LitContracts({
        network: 'custom',
        rpc: chain.rpcUrl,
        customContext: chain.contracts as never,
        privateKey: chain.ownerWallet.privateKey,
        debug: false,
      });
      await contracts.connect();
      const keys: string[] = [];
      for (let i = 0; i < SDK_MINTS; i++) keys.push(`0x${(await contracts.pkpNftContractUtils.write.mint()).pkp.publicKey}`);
      return keys;
    })();

    const settled = await Promise.allSettled(sends);
    for (const r of settled)
      if (r.status === 'rejected') {
        const rc = (r.reason as { receipt?: ethers.providers.TransactionReceipt }).receipt;
        const tx = rc && (await provider.getTransaction(rc.transactionHash));
        console.log(
          'FAILED',
          String(r.reason).slice(0, 120),
          rc && {
            to: rc.to,
            gasUsed: rc.gasUsed.toString(),
            gasLimit: tx?.gasLimit.toString(),
            names: { pkp: pkpNft.address, rl: rateLimitNft.address, ms: multisender.address },
          },
        );
      }
    const receipts = await Promise.all(sends);
    const revertResults = await Promise.allSettled(reverts);
    await admin;
    const sdkKeys = await sdk;
    console.log(`200 concurrent transactions from ${WALLETS} wallets mined in ${Date.now() - started} ms`);

    expect(receipts.every((r) => r.status === 1)).toBe(true);
    expect(new Set(receipts.map((r) => r.transactionHash)).size).toBe(200);
    expect(revertResults.map((r) => r.status)).toEqual(Array(WALLETS).fill('rejected'));
    expect(String((revertResults[0] as PromiseRejectedResult).reason)).toMatch(/exactly mint cost/);
    // Every wallet's nonce is exactly its mined transactions: nothing skipped, nothing stuck.
    for (const wallet of wallets) expect(await provider.getTransactionCount(wallet.address, 'pending')).toBe(PER_WALLET);

    // Every PKP minted under load has its private key in the vault (the keeper put keys in the vault before the pool).
    const minted = receipts
      .flatMap((r) => r.logs.filter((l) => l.address === pkpNft.address).map((l) => pkpNft.interface.parseLog(l)))
      .filter((e) => e.name === 'PKPMinted');
    expect(minted).toHaveLength(WALLETS * PKP_MINTS);
    for (const key of [...minted.map((e) => e.args.pubkey as string), ...sdkKeys]) {
      const privateKey = chain.chainView.pkpPrivateKey(key);
      expect(privateKey).toBeDefined();
      expect(`0x${Buffer.from(secp256k1.getPublicKey(privateKey!, false)).toString('hex')}`).toBe(key.toLowerCase());
    }
  });

  it('keeps every wallet usable afterwards: a follow-up PKP mint from each one mines, from a refilled pool', async () => {
    await eventually('the key pool to be refilled', async () => (await chain.keyPoolRemaining()) >= POOL_LOW_WATER);
    const mintCost = (await pkpNft.mintCost()) as ethers.BigNumber;
    const receipts = await Promise.all(senders.map((s, w) => s.send((o) => pkpNft.connect(wallets[w]).mintNext(2, { ...o, value: mintCost }))));
    expect(receipts.map((r) => r.status)).toEqual(Array(WALLETS).fill(1));
    for (const wallet of wallets) expect(await provider.getTransactionCount(wallet.address, 'latest')).toBe(PER_WALLET + 1);
    await eventually('the key pool to be refilled again', async () => (await chain.keyPoolRemaining()) >= POOL_LOW_WATER);
    expect(backgroundErrors).toEqual([]);
  });

  it('stops cleanly: the anvil process is gone and its port refuses connections', async () => {
    const pid = chain.pid;
    expect(isAlive(pid)).toBe(true);
    const started = Date.now();
    await chain.stop();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(isAlive(pid)).toBe(false);
    await expect(fetch(chain.rpcUrl, { method: 'POST', body: '{}' })).rejects.toThrow();
  });
});
