/**
 * The deep health check's handshake reading, for the one answer the devnet cannot give: a real
 * node that has no network key yet answers 200 with "ERR" in every key field
 * (LIT-Protocol/Node endpoints/web_client.rs:682-694). The answers a working node gives are tested
 * end to end against the devnet (test/e2e/fault-nodes.test.ts).
 */
import { createLitCheck, litIssuance, probeLitNodes } from '../../functions/commons/lit-node-probe';

const KEY = 'ab'.repeat(48);
const reply = (body: unknown, status = 200): Response => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const handshake = (key: string) => ({
  serverPublicKey: key === 'ERR' ? 'ERR' : '',
  subnetPublicKey: key,
  networkPublicKey: key,
  networkPublicKeySet: key,
  latestBlockhash: '0x',
});

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

describe('the /health Lit check (createLitCheck)', () => {
  const set = { urls: ['http://a', 'http://b', 'http://c'], minNodeCount: 2 };
  const harness = () => {
    let clock = 1_000_000;
    let answered = 3;
    const probes: number[] = [];
    const check = createLitCheck({
      maxAgeMs: 10_000,
      now: () => clock,
      probe: async (s) => {
        probes.push(clock);
        return { ok: answered >= s.minNodeCount, answered, nodes: s.urls.length, threshold: s.minNodeCount };
      },
    });
    return { check, probes, tick: (ms: number) => (clock += ms), setAnswered: (n: number) => (answered = n) };
  };

  it('plain: reuses an answer younger than the age limit, asks again after it; deep (fresh) always asks', async () => {
    const h = harness();
    expect(await h.check(set, 0, false)).toMatchObject({ ok: true, issues: 'any-scope', checkedAt: new Date(1_000_000).toISOString() });
    h.setAnswered(1);
    h.tick(9_999);
    expect(await h.check(set, 0, false)).toMatchObject({ ok: true }); // still the recent answer
    expect(h.probes).toHaveLength(1);
    h.tick(1);
    expect(await h.check(set, 0, false)).toMatchObject({ ok: false, answered: 1, issues: 'cached-scopes-only' });
    h.setAnswered(3);
    expect(await h.check(set, 0, true)).toMatchObject({ ok: true });
    expect(await h.check(set, 0, false)).toMatchObject({ ok: true }); // the deep answer is the plain check's too
    expect(h.probes).toHaveLength(3);
  });

  it('concurrent checks share one probe; another node list is never answered from the old one', async () => {
    const h = harness();
    const [a, b] = await Promise.all([h.check(set, 0, false), h.check(set, 0, false)]);
    expect(a).toBe(b);
    expect(h.probes).toHaveLength(1);
    await h.check({ ...set, urls: ['http://d'] }, 0, false);
    expect(h.probes).toHaveLength(2);
  });

  it('what issuing can do: any scope at the threshold, cached scopes only below it, nothing with no node', () => {
    expect([litIssuance({ answered: 2, threshold: 2 }), litIssuance({ answered: 1, threshold: 2 }), litIssuance({ answered: 0, threshold: 2 })]).toEqual([
      'any-scope',
      'cached-scopes-only',
      'none',
    ]);
  });
});
