/**
 * Start and stop: an empty key pool fails a mint with a clear reason, a manual refill fixes it,
 * and stop() leaves no anvil process, no open port, no timer and no keys behind.
 */
import { ethers } from 'ethers';
import { startChain, type DevnetChain } from '../../../devnet/chain';

jest.setTimeout(120_000);

describe('devnet chain lifecycle', () => {
  let chain: DevnetChain;
  let pkpNft: ethers.Contract;
  let mintCost: ethers.BigNumber;
  let rpc: ethers.providers.StaticJsonRpcProvider;

  beforeAll(async () => {
    chain = await startChain({ blockIntervalMs: 100, keyPoolSize: 2, keyPoolLowWater: 1, keyPoolAutoRefill: false });
    rpc = new ethers.providers.StaticJsonRpcProvider(chain.rpcUrl);
    const wallet = new ethers.Wallet(chain.ownerWallet.privateKey, rpc);
    pkpNft = new ethers.Contract(chain.contracts.PKPNFT.address, chain.contracts.PKPNFT.abi, wallet);
    mintCost = await pkpNft.mintCost();
  });

  afterAll(async () => {
    await chain?.stop();
  });

  const mint = async (): Promise<string> => {
    const receipt = await (await pkpNft.mintNext(2, { value: mintCost })).wait();
    const event = receipt.events.find((e: ethers.Event) => e.event === 'PKPMinted');
    return event.args.pubkey as string;
  };

  it('fails a mint with a clear reason when the pool is empty, and mints again after a refill', async () => {
    await mint();
    await mint();
    expect(await chain.keyPoolRemaining()).toBe(0);
    await expect(mint()).rejects.toThrow(/key pool is empty/);
    await chain.refillKeyPool();
    expect(await chain.keyPoolRemaining()).toBe(2);
    expect(chain.chainView.pkpPrivateKey(await mint())).toBeDefined();
  });

  it('rejects admin-only calls from anyone else', async () => {
    await expect(pkpNft.addKeysToPool([`0x04${'11'.repeat(64)}`])).rejects.toThrow(/not the admin/);
    await expect(pkpNft.setMintCost(0)).rejects.toThrow(/not the admin/);
  });

  it('stops cleanly: anvil gone, port closed, keys wiped, stop is idempotent', async () => {
    const publicKey = await mint();
    expect(chain.chainView.pkpPrivateKey(publicKey)).toBeDefined();
    expect(() => process.kill(chain.pid, 0)).not.toThrow();
    await chain.stop();
    await chain.stop();
    expect(() => process.kill(chain.pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(chain.chainView.pkpPrivateKey(publicKey)).toBeUndefined();
    await expect(fetch(chain.rpcUrl, { method: 'POST', body: '{}' })).rejects.toThrow();
  });
});
