/**
 * The deep health check's handshake reading, for the one answer the devnet cannot give: a real
 * node that has no network key yet answers 200 with "ERR" in every key field
 * (LIT-Protocol/Node endpoints/web_client.rs:682-694). The answers a working node gives are tested
 * end to end against the devnet (test/e2e/fault-nodes.test.ts).
 */
import { probeLitNodes } from '../../functions/commons/lit-node-probe';

const KEY = 'ab'.repeat(48);
const reply = (body: unknown, status = 200): Response => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const handshake = (key: string) => ({ serverPublicKey: key === 'ERR' ? 'ERR' : '', subnetPublicKey: key, networkPublicKey: key, networkPublicKeySet: key, latestBlockhash: '0x' });

it('counts a node that answers with the network key, not one still without a key (ERR) or failing', async () => {
  const bodies: Record<string, Response> = {
    'http://a': reply(handshake(KEY)),
    'http://b': reply(handshake('ERR')),
    'http://c': reply({ errorKind: 'Unexpected', status: 500 }, 500),
  };
  const fetchImpl = (async (url: string) => bodies[url.replace('/web/handshake', '')]) as unknown as typeof fetch;
  const result = await probeLitNodes({ urls: Object.keys(bodies), minNodeCount: 2 }, Date.now() + 5_000, fetchImpl);
  expect(result).toEqual({ ok: false, answered: 1, nodes: 3, threshold: 2 });
});
