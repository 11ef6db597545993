/**
 * The identity of a Lit Action: its CID as a Lit node computes it, the jsParams digest, and the
 * CIDv0 check. The expected CIDs are the real node's own: LIT-Protocol/Node v1.0.18 permits these
 * actions on chain by the CIDs written next to them (rust/lit-node/tests/integration/session_sigs.rs:208,
 * 566; code in rust/lit-node/common/test-common/src/session_sigs.rs:23-30, 68-72).
 */
import { createHash } from 'node:crypto';
import { importer } from 'ipfs-unixfs-importer';
import { isCidV0 } from '../../functions/commons/config';
import { identifyLitAction, jsParamsDigest, litActionAuthIdentity, litActionCid } from '../../functions/commons/domain/lit-action';

/** VALID_SESSION_SIG_LIT_ACTION_CODE, byte for byte (a Rust raw string: it starts with a newline). */
const VALID_SESSION_SIG_CODE = `
    // Works with an AuthSig AuthMethod
    if (Lit.Auth.authMethodContexts.some(e => e.authMethodType === 1)) {
        LitActions.setResponse({response:"true"});
    } else {
        LitActions.setResponse({response:"false"});
    }
`;
/** NO_AUTH_METHOD_SESSION_SIG_LIT_ACTION_CODE. */
const NO_AUTH_METHOD_CODE = `
    if (customAccessToken === 'lit') {
        LitActions.setResponse({response:"true"});
    }
`;
const utf8 = (s: string) => new TextEncoder().encode(s);

/**
 * An independent CIDv0 of a one-chunk file: the dag-pb node `{ Data: UnixFS { Type: File, Data,
 * filesize } }` with no links, sha2-256, base58btc. Hand-encoded protobuf, no IPFS library.
 */
function singleChunkCidV0(bytes: Uint8Array): string {
  const varint = (n: number) => {
    const out: number[] = [];
    for (; n >= 0x80; n >>>= 7) out.push((n & 0x7f) | 0x80);
    out.push(n);
    return out;
  };
  const field = (tag: number, payload: Uint8Array) => [tag, ...varint(payload.length), ...payload];
  const unixfs = Uint8Array.from([0x08, 0x02, ...field(0x12, bytes), 0x18, ...varint(bytes.length)]);
  const node = Uint8Array.from(field(0x0a, unixfs));
  const multihash = Buffer.concat([Buffer.from([0x12, 0x20]), createHash('sha256').update(node).digest()]);
  const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  let n = BigInt('0x' + multihash.toString('hex'));
  let out = '';
  for (; n > 0n; n /= 58n) out = alphabet[Number(n % 58n)] + out;
  return out;
}

async function importerCid(bytes: Uint8Array): Promise<string> {
  const blockstore = {
    put: async () => undefined,
    get: async () => {
      throw new Error('no get');
    },
  };
  let cid = '';
  for await (const entry of importer([{ content: bytes }] as never, blockstore as never, { onlyHash: true, cidVersion: 0, rawLeaves: false }))
    cid = entry.cid.toString();
  return cid;
}

describe('litActionCid', () => {
  it("gives the CIDs the real Lit node's tests permit its actions by", async () => {
    expect(await litActionCid(utf8(VALID_SESSION_SIG_CODE))).toBe('QmNZQXmY2VijUPfNrkC6zWykBnEniDouAeUpFi9r6aaqNz');
    expect(await litActionCid(utf8(NO_AUTH_METHOD_CODE))).toBe('QmWLP9ojXrHJrFHnvMJv12HScFoz7R8kcYAECjtcpaJM2Y');
  });

  it('one byte of difference is another CID (the trailing newline included)', async () => {
    expect(await litActionCid(utf8(NO_AUTH_METHOD_CODE.trimEnd()))).not.toBe('QmWLP9ojXrHJrFHnvMJv12HScFoz7R8kcYAECjtcpaJM2Y');
  });

  it('agrees with a hand-built dag-pb UnixFS leaf and with ipfs-unixfs-importer up to the 64 KiB inline bound', async () => {
    // The hand encoding first proves itself on a CID the node's tests name.
    expect(singleChunkCidV0(utf8(VALID_SESSION_SIG_CODE))).toBe('QmNZQXmY2VijUPfNrkC6zWykBnEniDouAeUpFi9r6aaqNz');
    for (const size of [1, 127, 128, 16_384, 65_536]) {
      const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 31 + size) % 251);
      const cid = await litActionCid(bytes);
      expect(isCidV0(cid)).toBe(true);
      expect(cid).toBe(singleChunkCidV0(bytes));
      expect(cid).toBe(await importerCid(bytes));
    }
  });
});

describe('jsParamsDigest', () => {
  it('is sha256 of the RFC 8785 canonical JSON: key order and escapes do not matter, values do', () => {
    expect(jsParamsDigest({})).toBe(createHash('sha256').update('{}').digest('hex'));
    expect(jsParamsDigest({ b: 1, a: { y: [1, 'x'], x: true } })).toBe(createHash('sha256').update('{"a":{"x":true,"y":[1,"x"]},"b":1}').digest('hex'));
    expect(jsParamsDigest(JSON.parse('{"user":"\\u0061lice","n":1.50}'))).toBe(jsParamsDigest({ n: 1.5, user: 'alice' }));
    expect(jsParamsDigest({ user: 'alice' })).not.toBe(jsParamsDigest({ user: 'bob' }));
    expect(jsParamsDigest({ n: 1 })).not.toBe(jsParamsDigest({ n: '1' }));
  });
});

describe('identifyLitAction', () => {
  it('names inline code by its computed CID and an IPFS action by the CID asked, with the jsParams digest only', async () => {
    const code = utf8(NO_AUTH_METHOD_CODE);
    const inline = await identifyLitAction({
      source: { kind: 'inline', codeBase64: Buffer.from(code).toString('base64'), code },
      jsParams: { customAccessToken: 'lit' },
    });
    expect(inline).toEqual({
      cid: 'QmWLP9ojXrHJrFHnvMJv12HScFoz7R8kcYAECjtcpaJM2Y',
      inline: true,
      jsParamsDigest: jsParamsDigest({ customAccessToken: 'lit' }),
    });
    const byCid = await identifyLitAction({ source: { kind: 'ipfs', ipfsId: inline.cid }, jsParams: { customAccessToken: 'lit' } });
    expect(byCid).toEqual({ ...inline, inline: false });
    // The same action by either route is one scope identity; the jsParams values never appear in it.
    expect(litActionAuthIdentity(byCid)).toBe(litActionAuthIdentity(inline));
    expect(litActionAuthIdentity(inline)).toBe(`action:${inline.cid}:${inline.jsParamsDigest}`);
    expect(litActionAuthIdentity(inline)).toMatch(/^action:Qm[1-9A-HJ-NP-Za-km-z]{44}:[0-9a-f]{64}$/);
  });
});

describe('isCidV0', () => {
  it('takes base58btc sha2-256 multihashes only', () => {
    expect(isCidV0('QmNZQXmY2VijUPfNrkC6zWykBnEniDouAeUpFi9r6aaqNz')).toBe(true);
    for (const bad of [
      'Qm' + '1'.repeat(44), // Qm… shape, but decodes below 0x1220…
      'Qm' + 'z'.repeat(44), // … or above it
      'QmNZQXmY2VijUPfNrkC6zWykBnEniDouAeUpFi9r6aaqN0', // '0' is not base58
      'QmNZQXmY2VijUPfNrkC6zWykBnEniDouAeUpFi9r6aaqN', // 45 characters
      'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi', // CIDv1: Lit nodes name actions by CIDv0
    ])
      expect(isCidV0(bad)).toBe(false);
  });
});
