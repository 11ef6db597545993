/** Pure parts of the devnet chain: no chain started. */
import { BlockTracker } from '../../../devnet/chain/block-tracker';
import { KeyVault } from '../../../devnet/chain/key-vault';
import { ipv4ToUint32, pkpTokenIdFromPublicKey } from '../../../devnet/chain';
import { ethers } from 'ethers';

const hash = (i: number): string => ethers.utils.hexZeroPad(ethers.utils.hexlify(i + 1), 32);

describe('BlockTracker', () => {
  it('accepts the last N hashes, case-insensitively, and forgets older ones', () => {
    const tracker = new BlockTracker(3);
    for (let i = 0; i < 5; i++) tracker.record(hash(i));
    expect(tracker.latest()).toBe(hash(4));
    expect([0, 1, 2, 3, 4].map((i) => tracker.isRecent(hash(i)))).toEqual([false, false, true, true, true]);
    expect(tracker.isRecent(hash(3).toUpperCase().replace('0X', '0x'))).toBe(true);
  });

  it('ignores a repeated hash and refuses an empty window', () => {
    const tracker = new BlockTracker(2);
    tracker.record(hash(0));
    tracker.record(hash(1));
    tracker.record(hash(1));
    expect(tracker.isRecent(hash(0))).toBe(true);
    expect(() => new BlockTracker(0)).toThrow(RangeError);
    expect(() => new BlockTracker(1).latest()).toThrow();
  });
});

describe('KeyVault', () => {
  it('returns copies of private keys, by public key in any case, and forgets them on wipe', () => {
    const vault = new KeyVault();
    const [publicKey] = vault.generate(1);
    expect(publicKey).toMatch(/^0x04[0-9a-f]{128}$/);
    const key = vault.privateKeyFor(publicKey.toUpperCase().replace('0X', '0x'))!;
    expect(ethers.utils.computePublicKey(key)).toBe(publicKey);
    key.fill(0);
    expect(vault.privateKeyFor(publicKey)!.some((b) => b !== 0)).toBe(true);
    expect(vault.privateKeyFor(publicKey.slice(2))).toBeDefined();
    vault.wipe();
    expect(vault.privateKeyFor(publicKey)).toBeUndefined();
    expect(vault.size).toBe(0);
  });
});

describe('ipv4ToUint32 and pkpTokenIdFromPublicKey', () => {
  it('encodes IPv4 as Lit Staking stores it', () => {
    expect(ipv4ToUint32('127.0.0.1')).toBe(0x7f000001);
    expect(ipv4ToUint32('255.255.255.255')).toBe(0xffffffff);
    expect(() => ipv4ToUint32('::1')).toThrow(RangeError);
    expect(() => ipv4ToUint32('1.2.3.256')).toThrow(RangeError);
  });

  it('derives token id = keccak256(pubkey) and rejects anything but 0x04 + 64 bytes', () => {
    const [publicKey] = new KeyVault().generate(1);
    expect(pkpTokenIdFromPublicKey(publicKey)).toBe(ethers.BigNumber.from(ethers.utils.keccak256(publicKey)).toString());
    expect(pkpTokenIdFromPublicKey(publicKey.slice(2))).toBe(pkpTokenIdFromPublicKey(publicKey));
    expect(pkpTokenIdFromPublicKey(`0x02${publicKey.slice(4, 68)}`)).toBeUndefined();
    expect(pkpTokenIdFromPublicKey('0x')).toBeUndefined();
  });
});
