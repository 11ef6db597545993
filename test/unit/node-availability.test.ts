/**
 * The threshold handshake (adapters/lit/node-availability.ts) on a client double that has the
 * SDK internals it replaces and uses. End to end on the devnet: test/e2e/fault-nodes.test.ts.
 */
import { createPublicKey, verify } from 'node:crypto';
import { nacl } from '@lit-protocol/nacl';
import { NodeAvailability, NoLitNodeAnsweredError, type HandshakingClient } from '../../functions/commons/adapters/lit/node-availability';
import { withSessionSigsForEveryNode } from '../../functions/commons/adapters/lit/session-sigs';

const KEY = 'ab'.repeat(48);
const OTHER_KEY = 'cd'.repeat(48);
const URLS = ['http://n0', 'http://n1', 'http://n2'];

type Keys = { networkPubKey: string; latestBlockhash: string };
type Answer = Keys | 'down' | 'hang';

/** The parts of LitCore the tracker touches; `_connect`'s own steps are replayed by `connect()`. */
class FakeClient implements HandshakingClient {
  config = { bootstrapUrls: [...URLS], minNodeCount: 2, connectTimeout: 200 };
  connectedNodes = new Set<string>();
  serverKeys: Record<string, unknown> = {};
  networkPubKey: unknown = null;
  answers: Record<string, Answer> = {};
  asked: string[] = [];
  async _handshakeAndVerifyNodeAttestation({ url }: { url: string }) {
    this.asked.push(url);
    const a = this.answers[url] ?? 'down';
    if (a === 'down') throw new Error('ECONNREFUSED');
    if (a === 'hang') return new Promise<never>(() => undefined);
    return { ...(a as Keys) };
  }
  _getCoreNodeConfigFromHandshakeResults({ serverKeys }: { serverKeys: Record<string, { networkPubKey?: unknown }> }) {
    // mostCommonString, as the SDK takes it
    const counts = new Map<unknown, number>();
    for (const k of Object.values(serverKeys)) counts.set(k.networkPubKey, (counts.get(k.networkPubKey) ?? 0) + 1);
    const networkPubKey = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
    return { networkPubKey, latestBlockhash: '0xblock' };
  }
  _getNewRequestId() {
    return 'r';
  }
  async _runHandshakeWithBootstrapUrls(): ReturnType<HandshakingClient['_runHandshakeWithBootstrapUrls']> {
    throw new Error('the SDK step: every node or nothing');
  }
  /** What LitCore._connect does with the step's result. */
  async connect() {
    const { connectedNodes, serverKeys, coreNodeConfig } = await this._runHandshakeWithBootstrapUrls();
    Object.assign(this, { ...coreNodeConfig, connectedNodes, serverKeys });
  }
}

const up = (key = KEY): Keys => ({ networkPubKey: key, latestBlockhash: '0xblock' });

function setup(answers: Record<string, Answer>, now = () => 0) {
  const client = new FakeClient();
  client.answers = answers;
  const availability = new NodeAvailability(client, { graceMs: 20, retryMs: 5_000, now });
  return { client, availability };
}

describe('NodeAvailability: connect with the nodes that answer', () => {
  it('one node down: connects with the other two (the threshold); requests go to those only', async () => {
    const { client, availability } = setup({ 'http://n1': up(), 'http://n2': up() });
    await client.connect();
    expect([...client.connectedNodes].sort()).toEqual(['http://n1', 'http://n2']);
    expect(client.networkPubKey).toBe(KEY);
    expect(availability.counts()).toEqual({ nodes: 3, answered: 2, threshold: 2 });
    expect(availability.hasThreshold()).toBe(true);
  });

  it('one node hanging: returns once the threshold has answered and the grace has passed, not at the connect timeout', async () => {
    const { client } = setup({ 'http://n0': 'hang', 'http://n1': up(), 'http://n2': up() });
    client.config.connectTimeout = 60_000;
    const started = Date.now();
    await client.connect();
    expect(Date.now() - started).toBeLessThan(30_000); // far below the 60 s timeout the SDK would wait
    expect(client.connectedNodes.size).toBe(2);
  });

  it('below the threshold: connected for cached scopes (the network key is known), hasThreshold() false', async () => {
    const { client, availability } = setup({ 'http://n0': up() });
    await client.connect();
    expect(client.networkPubKey).toBe(KEY);
    expect(availability.counts()).toEqual({ nodes: 3, answered: 1, threshold: 2 });
    expect(availability.hasThreshold()).toBe(false);
  });

  it('no node answers, or only nodes without a network key yet ("ERR"): connect() fails', async () => {
    await expect(setup({}).client.connect()).rejects.toBeInstanceOf(NoLitNodeAnsweredError);
    const err = { networkPubKey: 'ERR', latestBlockhash: '0xblock' } as Answer;
    await expect(setup({ 'http://n0': err, 'http://n1': err }).client.connect()).rejects.toMatchObject({ code: 'no_node_answered' });
  });

  it('a node reporting another network key is not sent requests', async () => {
    const { client } = setup({ 'http://n0': up(OTHER_KEY), 'http://n1': up(), 'http://n2': up() });
    await client.connect();
    expect([...client.connectedNodes].sort()).toEqual(['http://n1', 'http://n2']);
  });

  it('rejoin(): a node back is handshaken again and joins; rounds are at most every retryMs', async () => {
    let clock = 0;
    const { client, availability } = setup({ 'http://n1': up() }, () => clock);
    await client.connect();
    expect(availability.hasThreshold()).toBe(false);
    client.answers['http://n0'] = up();
    clock = 1_000;
    await availability.rejoin(); // too soon after connect: no round
    expect(client.asked.filter((u) => u === 'http://n0')).toHaveLength(1);
    clock = 6_000;
    await availability.rejoin();
    expect(availability.hasThreshold()).toBe(true);
    expect([...client.connectedNodes].sort()).toEqual(['http://n0', 'http://n1']);
    expect(client.serverKeys['http://n0']).toMatchObject({ networkPubKey: KEY });
    // n2 is still down: the next round asks it alone, and not before retryMs.
    const asked = client.asked.length;
    clock = 7_000;
    await availability.rejoin();
    expect(client.asked.length).toBe(asked);
    clock = 12_000;
    await availability.rejoin();
    expect(client.asked.slice(asked)).toEqual(['http://n2']);
  });

  it('a late answer to the first handshake joins the node without another round', async () => {
    let release!: () => void;
    const client = new FakeClient();
    client.answers = { 'http://n1': up(), 'http://n2': up() };
    const late = new Promise<void>((r) => (release = r));
    const original = client._handshakeAndVerifyNodeAttestation.bind(client);
    client._handshakeAndVerifyNodeAttestation = async (p) => {
      if (p.url !== 'http://n0') return original(p);
      await late;
      return { ...up() } as never;
    };
    new NodeAvailability(client, { graceMs: 10 });
    await client.connect();
    expect(client.connectedNodes.size).toBe(2);
    release();
    await new Promise((r) => setTimeout(r, 20));
    expect(client.connectedNodes.size).toBe(3);
  });
});

describe('session sigs for every node of the network', () => {
  it('signs the missing nodes as the SDK signs the others (same message but nodeAddress, same ed25519 as tweetnacl)', () => {
    const pair = nacl.sign.keyPair();
    const secretKey = Buffer.from(pair.secretKey).toString('hex');
    const publicKey = Buffer.from(pair.publicKey).toString('hex');
    const messageFor = (nodeAddress: string) =>
      JSON.stringify({ sessionKey: publicKey, resourceAbilityRequests: [], capabilities: [], issuedAt: 'i', expiration: 'e', nodeAddress });
    const sdkSig = (nodeAddress: string) => {
      const signedMessage = messageFor(nodeAddress);
      return {
        sig: Buffer.from(nacl.sign.detached(Buffer.from(signedMessage), pair.secretKey)).toString('hex'),
        derivedVia: 'litSessionSignViaNacl',
        signedMessage,
        address: publicKey,
        algo: 'ed25519',
      };
    };
    const fromSdk = { 'http://n1': sdkSig('http://n1'), 'http://n2': sdkSig('http://n2') };
    const all = withSessionSigsForEveryNode(fromSdk, URLS, secretKey);
    expect(Object.keys(all).sort()).toEqual(URLS);
    expect(all['http://n1']).toBe(fromSdk['http://n1']);
    expect(all['http://n0']).toEqual(sdkSig('http://n0')); // byte for byte what the SDK would have made
    // And it verifies under the session public key.
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(pair.publicKey)]);
    expect(
      verify(
        null,
        Buffer.from(all['http://n0'].signedMessage),
        createPublicKey({ key: spki, format: 'der', type: 'spki' }),
        Buffer.from(all['http://n0'].sig, 'hex'),
      ),
    ).toBe(true);
    // Nothing to add: the same object back.
    expect(withSessionSigsForEveryNode(all, URLS, secretKey)).toBe(all);
  });
});
