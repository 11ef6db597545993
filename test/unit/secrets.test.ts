import { ethers } from 'ethers';
import { createOwnerKeySource, parseOwnerKeySecret } from '../../functions/commons/adapters/secrets';

const KEY = '0x' + '4c'.repeat(32);

describe('owner key secret', () => {
  it('accepts a raw key (with or without 0x) or {"privateKey"}', () => {
    expect(parseOwnerKeySecret(KEY)).toBe(KEY);
    expect(parseOwnerKeySecret(` ${KEY.slice(2)}\n`)).toBe(KEY);
    expect(parseOwnerKeySecret(JSON.stringify({ privateKey: KEY }))).toBe(KEY);
    expect(parseOwnerKeySecret(new TextEncoder().encode(KEY))).toBe(KEY);
    expect(parseOwnerKeySecret('{"key":"' + KEY + '"}')).toBeUndefined();
    expect(parseOwnerKeySecret('0x1234')).toBeUndefined();
    expect(parseOwnerKeySecret(undefined)).toBeUndefined();
  });

  it('gives an ethers Wallet for the key, rebuilt only when the value changes; its JSON has no key', async () => {
    let value = KEY;
    const fetch = jest.fn(async () => value);
    const source = createOwnerKeySource({ secretName: 'owner', fetch });
    const w1 = await source();
    expect(w1.address).toBe(new ethers.Wallet(KEY).address);
    expect(await source()).toBe(w1);
    expect(fetch).toHaveBeenCalledWith('owner', { maxAge: 300 });
    expect(JSON.stringify(w1)).not.toContain(KEY.slice(2));
    value = '0x' + '5d'.repeat(32);
    expect((await source()).address).not.toBe(w1.address);
  });

  it.each([
    [
      'unreadable secret',
      async () => {
        throw new Error(`AccessDenied for ${KEY}`);
      },
    ],
    ['malformed value', async () => `not-a-key-${KEY.slice(0, 20)}`],
    ['zero key', async () => '0x' + '00'.repeat(32)],
    ['missing value', async () => undefined],
  ])('%s → OWNER_KEY_UNAVAILABLE without echoing the value', async (_name, fetch) => {
    const source = createOwnerKeySource({ secretName: 'owner', fetch });
    const err = await source().catch((e) => e);
    expect(err).toMatchObject({ code: 'OWNER_KEY_UNAVAILABLE', status: 503 });
    expect(err.message).not.toContain(KEY.slice(2, 22));
    expect(JSON.stringify(err.details ?? {})).not.toContain(KEY.slice(2, 22));
  });

  it('no secret name configured → OWNER_KEY_UNAVAILABLE', async () => {
    const prev = process.env.OWNER_KEY_SECRET;
    delete process.env.OWNER_KEY_SECRET;
    try {
      await expect(createOwnerKeySource({ fetch: async () => KEY })()).rejects.toMatchObject({ code: 'OWNER_KEY_UNAVAILABLE' });
    } finally {
      if (prev !== undefined) process.env.OWNER_KEY_SECRET = prev;
    }
  });
});
