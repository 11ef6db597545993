/**
 * The PKP key pool refills itself in the background as mints use it up, and every key a mint
 * hands out has its private key in the vault. One chain start, with a small pool.
 */
import { LitContracts } from '@lit-protocol/contracts-sdk';
import { startChain, type DevnetChain } from '../../../devnet/chain';

jest.setTimeout(120_000);

/** Resolve once `check` is true; a bounded wait for background work, not a timing assertion. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 50));
}

describe('devnet key pool with background refill', () => {
  const size = 4;
  const lowWater = 2;
  let chain: DevnetChain;
  let owner: LitContracts;

  beforeAll(async () => {
    chain = await startChain({ blockIntervalMs: 0, keyPoolSize: size, keyPoolLowWater: lowWater });
    owner = new LitContracts({ network: 'custom', rpc: chain.rpcUrl, customContext: chain.contracts as never, privateKey: chain.ownerWallet.privateKey });
    await owner.connect();
  });

  afterAll(async () => {
    await chain?.stop();
  });

  it('starts full', async () => {
    expect(await chain.keyPoolRemaining()).toBe(size);
  });

  it('refills after mints take it below the low-water mark, so minting never runs dry', async () => {
    const publicKeys = new Set<string>();
    for (let i = 0; i < 3 * size; i++) {
      const { pkp } = await owner.pkpNftContractUtils.write.mint();
      publicKeys.add(pkp.publicKey);
      expect(chain.chainView.pkpPrivateKey(`0x${pkp.publicKey}`)).toBeDefined();
      // Give the keeper its turn before the next mint, as a client's think time would.
      await eventually(async () => (await chain.keyPoolRemaining()) >= lowWater);
    }
    expect(publicKeys.size).toBe(3 * size);
    expect(await owner.pkpNftContract.read.totalSupply()).toEqual(expect.objectContaining({ _hex: '0x0c' }));
  });
});
