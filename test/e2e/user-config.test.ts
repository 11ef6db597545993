/**
 * `npm start -- --config file`: the user's own config runs against the devnet as deployed. Their
 * callers and policy decide (a caller only they name is served, the local default caller is not),
 * their limits apply (body size, expiry maxima, clamp or refuse), the owner key is read under
 * their secret name; only the network, the capacity token and the PKPs are the devnet's, each PKP
 * of their policy standing in for one they named.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseServiceConfig, type ServiceConfig } from '../../functions/commons/config';
import { LOCAL_CALLERS, startLocalStack, type LocalStack } from '../../local/stack';
import { expectIssuedFor, expectServiceError, issueBody, request } from './helpers';

jest.setTimeout(300_000);

const ROOT = join(__dirname, '..', '..');
const REPORTING = 'arn:aws:iam::123456789012:user/reporting';
/** Two PKPs as a user's policy names them: keys of another network (the devnet never saw them). */
const THEIR_PKP_1 = '0x04a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const THEIR_PKP_2 = '0x04' + 'b2'.repeat(64);

/** The shipped example, grown the way a user would: one more caller with a PKP of its own, tighter limits. */
function theirConfig(): ServiceConfig {
  const raw = JSON.parse(readFileSync(join(ROOT, 'config', 'service.json'), 'utf8'));
  raw.ownerKeySecret = 'my-team/lit-owner-key';
  raw.delegation.schedule = 'rate(2 hours)';
  raw.api.maxBodyBytes = 2048;
  raw.policy.callers.splice(1, 0, {
    principal: REPORTING,
    pkps: [THEIR_PKP_2],
    abilities: [{ resource: 'pkp', ability: 'pkp-signing' }],
    maxExpirationSeconds: 600,
    allowWildcardResources: true,
  });
  raw.policy.callers[0].allowWildcardResources = true;
  return parseServiceConfig(raw);
}

describe('the local stack running a user config', () => {
  let stack: LocalStack;
  const user = theirConfig();
  const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();

  beforeAll(async () => {
    stack = await startLocalStack({ userConfig: user, refreshEveryMs: 0, devnet: { nodeCount: 3, threshold: 2, blockTimeMs: 1000 } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('replaces only the network, the capacity token and the PKPs; the rest is theirs as written', () => {
    const c = stack.config;
    expect(c.lit.network).toBe('custom');
    expect(c.lit.custom?.rpcUrl).toBe(stack.devnet.contractsContext.rpc);
    expect(c.delegation).toEqual({ ...user.delegation, capacityTokenId: stack.capacityTokenId });
    expect(stack.capacityTokenId).not.toBe(user.delegation.capacityTokenId);
    expect(c.ownerKeySecret).toBe('my-team/lit-owner-key');
    expect(c.api).toEqual(user.api);
    expect(c.session).toEqual(user.session);
    expect(c.observability).toEqual(user.observability);
    // Callers: the same entries in the same order, each PKP replaced by the devnet PKP standing for it.
    expect(stack.pkpMapping?.map((m) => m.configured)).toEqual([THEIR_PKP_1, THEIR_PKP_2]);
    const local = new Map(stack.pkpMapping!.map((m) => [m.configured, m.local.publicKey]));
    expect(new Set(local.values()).size).toBe(2);
    expect(c.policy.callers).toEqual(user.policy.callers.map((e) => ({ ...e, pkps: e.pkps.map((k) => local.get(k) ?? k) })));
  });

  it('the default caller is their first caller (its pattern read with * as local); the local callers are not in their policy', async () => {
    expect(stack.defaultCaller).toBe('arn:aws:sts::123456789012:assumed-role/app-backend-local');
    expect(stack.callers.admin).toBe('arn:aws:sts::123456789012:assumed-role/lit-session-admin/local');
    const mine = stack.pkpMapping![0].local;
    // No caller header: the default caller. Issued with the owner key read under their secret name.
    expectIssuedFor(stack, await request(stack, 'POST', '/session-sigs', { body: issueBody(mine) }), mine);
    expectServiceError(await request(stack, 'POST', '/session-sigs', { caller: LOCAL_CALLERS.app, body: issueBody(mine) }), 403, 'CALLER_NOT_ALLOWED');
    expectServiceError(await request(stack, 'POST', '/delegation/refresh', { caller: LOCAL_CALLERS.admin, body: { force: false } }), 403, 'CALLER_NOT_ALLOWED');
  });

  it('their policy decides: each caller gets its own PKP, their maxima and overMaxExpiration apply', async () => {
    const [first, second] = stack.pkpMapping!.map((m) => m.local);
    expectIssuedFor(stack, await request(stack, 'POST', '/session-sigs', { caller: REPORTING, body: issueBody(second) }), second);
    expectServiceError(await request(stack, 'POST', '/session-sigs', { caller: REPORTING, body: issueBody(first) }), 403, 'PKP_NOT_ALLOWED');
    expectServiceError(
      await request(stack, 'POST', '/session-sigs', { caller: REPORTING, body: { ...issueBody(second), expiration: inSeconds(1200) } }),
      403,
      'EXPIRATION_TOO_LONG',
    );
    // The example's app-backend entry clamps above its 3600 s maximum.
    const clamped = await request(stack, 'POST', '/session-sigs', {
      caller: 'arn:aws:sts::123456789012:assumed-role/app-backend-eu/i-1',
      body: { ...issueBody(first), expiration: inSeconds(7200) },
    });
    expectIssuedFor(stack, clamped, first);
    expect(clamped.body.expirationClamped).toBe(true);
  });

  it('their API limits apply: a body over their maxBodyBytes (2048) is 413', async () => {
    const res = await request(stack, 'POST', '/session-sigs', { body: { ...issueBody(stack.pkpMapping![0].local), pad: 'x'.repeat(3000) } });
    expectServiceError(res, 413, 'BODY_TOO_LARGE');
    expect(res.body.error.details).toEqual({ maxBytes: 2048 });
  });

  it('their admin pattern may use the admin routes; /_local/info shows the PKP mapping', async () => {
    const refreshed = await request(stack, 'POST', '/delegation/refresh', {
      caller: 'arn:aws:sts::123456789012:assumed-role/lit-session-admin/ops',
      body: { force: false },
    });
    expect(refreshed.status).toBe(200);
    const info = await request(stack, 'GET', '/_local/info');
    expect(info.body.pkpMapping.map((m: { configured: string }) => m.configured)).toEqual([THEIR_PKP_1, THEIR_PKP_2]);
    expect(info.body.callers).toEqual(stack.callers);
  });
});
