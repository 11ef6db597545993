/**
 * Dependency faults, end to end over HTTP: Secrets Manager unavailable, the capacity delegation
 * expired, DynamoDB Local stopped and restarted. Real parts: the Secrets Manager stand-in (its own
 * fault switch), DynamoDB Local (a real stop of the Java process), the scheduled refresher
 * function. One stack for the file; each test restores what it broke.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS, DELEGATION_PARTITION } from '../../functions/commons/table';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { expectNoSecrets, expectServiceError, freshCaller, issue, storedSecrets, withFaultCallers, type HttpResult } from './fault-helpers';

jest.setTimeout(300_000);

const delegationKey = { [TABLE_KEYS.partitionKey]: { S: DELEGATION_PARTITION }, [TABLE_KEYS.sortKey]: { S: 'CURRENT' } };

describe('dependency faults over HTTP', () => {
  let stack: LocalStack;
  const dataDir = mkdtempSync(join(tmpdir(), 'lss-faults-'));
  /** A caller whose scope holds a cached wallet sig. */
  let warmCaller: string;

  const expectIssued = (r: HttpResult, source: 'cache' | 'nodes') => {
    if (r.status !== 200) throw new Error(`expected 200, got ${r.status} ${r.text.slice(0, 300)}`);
    expect({ nodes: Object.keys(r.body.sessionSigs).length, source: r.body.walletSigSource }).toEqual({ nodes: stack.devnet.nodes.length, source });
  };
  const currentDelegation = async () =>
    (await stack.dynamodb.client.send(new GetItemCommand({ TableName: stack.dynamodb.tableName, Key: delegationKey, ConsistentRead: true }))).Item;

  beforeAll(async () => {
    // A data dir, so DynamoDB Local keeps its data on disk across stop/restart (in memory it would not).
    stack = await startLocalStack({ dataDir, refreshEveryMs: 0, configure: withFaultCallers });
    warmCaller = freshCaller('warm');
    expectIssued(await issue(stack, warmCaller), 'nodes');
  });

  afterEach(async () => {
    if (!stack) return;
    await stack.secrets.setFault(null);
    if (!stack.dynamodb.running()) await stack.dynamodb.restart();
  });

  afterAll(async () => {
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('Secrets Manager unavailable', () => {
    it('a warm environment keeps issuing with the owner key it has cached', async () => {
      await stack.secrets.setFault('unavailable');
      expectIssued(await issue(stack, freshCaller('sm-warm')), 'nodes');
    });

    it('a cold environment: 503 OWNER_KEY_UNAVAILABLE with Retry-After, no secret text; cleared: issues again', async () => {
      await stack.functions.recycle('IssueSessionSigs');
      await stack.secrets.setFault('unavailable');
      const readsBefore = stack.secrets.reads();
      const secrets = await storedSecrets(stack);

      const r = await issue(stack, freshCaller('sm-cold'));
      expectServiceError(r, { status: 503, code: 'OWNER_KEY_UNAVAILABLE' }, secrets);
      expect(r.text).not.toMatch(/privateKey|ServiceUnavailableException/);

      // Throttled or refusing connections is the same to a caller: the key cannot be had right now.
      await stack.secrets.setFault('throttled');
      expectServiceError(await issue(stack, freshCaller('sm-throttled')), { status: 503, code: 'OWNER_KEY_UNAVAILABLE' }, secrets);
      await stack.secrets.setFault('refuse-connections');
      expectServiceError(await issue(stack, freshCaller('sm-refused')), { status: 503, code: 'OWNER_KEY_UNAVAILABLE' }, secrets);
      expect(stack.secrets.reads()).toBe(readsBefore); // no read succeeded meanwhile

      await stack.secrets.setFault(null);
      // Same (cold-started) environment: the failed reads were not cached; it reads the key now.
      expectIssued(await issue(stack, freshCaller('sm-cleared')), 'nodes');
      expect(stack.secrets.reads()).toBeGreaterThan(readsBefore);
      expectIssued(await issue(stack, warmCaller), 'cache');
    });
  });

  describe('capacity delegation expired', () => {
    it('503 NO_VALID_DELEGATION with Retry-After; the scheduled refresher function restores it; issuing works again', async () => {
      const before = await currentDelegation();
      expect(before).toBeDefined();
      const version = Number(before!.version.N);
      const expiredAt = Math.floor(Date.now() / 1000) - 60;
      await stack.dynamodb.client.send(
        new UpdateItemCommand({
          TableName: stack.dynamodb.tableName,
          Key: delegationKey,
          UpdateExpression: 'SET delegationExpiresAt = :t',
          ExpressionAttributeValues: { ':t': { N: String(expiredAt) } },
        }),
      );
      // A warm environment remembers the delegation it read for up to 10 s (domain/delegation-cache.ts);
      // the edit above stands for time passing, which that memory would see: start afresh.
      await stack.functions.recycle('IssueSessionSigs');

      const shown = await stack.request('GET', '/delegation');
      expect(shown.status).toBe(200);
      expect(shown.body).toMatchObject({ version, valid: false });
      // A warm environment keeps its copy for up to DELEGATION_CACHE_MAX_AGE_MS (a real delegation
      // expires in the copy as in the table); this edit of the table reaches a new one at once.
      await stack.functions.recycle('IssueSessionSigs');

      // Even a scope with a cached wallet sig: session sigs must never carry a stale delegation.
      const secrets = await storedSecrets(stack);
      for (const caller of [warmCaller, freshCaller('expired')]) {
        const r = await issue(stack, caller);
        expectServiceError(r, { status: 503, code: 'NO_VALID_DELEGATION' }, secrets);
      }

      const refreshed = await stack.refreshNow();
      expect(refreshed.outcome).toBe('refreshed');
      expect(refreshed.version).toBe(version + 1);
      expect(refreshed.expiresAt).toBeGreaterThan(Date.now() / 1000);

      const after = await stack.request('GET', '/delegation');
      expect(after.body).toMatchObject({ version: version + 1, valid: true });
      const r = await issue(stack, warmCaller);
      // The scope's wallet sig outlives the delegation it was made under: only the session sigs carry the new one.
      expectIssued(r, 'cache');
      expect(Date.parse(r.body.delegationExpiresAt)).toBe((refreshed.expiresAt as number) * 1000);
    });
  });

  describe('a delegation in its last minute, and a removed CURRENT', () => {
    const setDelegationExpiry = (expiresAt: number) =>
      stack.dynamodb.client.send(
        new UpdateItemCommand({
          TableName: stack.dynamodb.tableName,
          Key: delegationKey,
          UpdateExpression: 'SET delegationExpiresAt = :t',
          ExpressionAttributeValues: { ':t': { N: String(expiresAt) } },
        }),
      );

    it('30 s left: GET /delegation, /health and issuing all call it unusable (one definition); refreshed: all usable again', async () => {
      await setDelegationExpiry(Math.floor(Date.now() / 1000) + 30);
      await stack.functions.recycle('IssueSessionSigs'); // a fresh delegation cache: see above
      const shown = await stack.request('GET', '/delegation');
      expect(shown.status).toBe(200);
      expect(shown.body.secondsLeft).toBeGreaterThan(0);
      expect(shown.body.valid).toBe(false);
      const health = await stack.request('GET', '/health');
      expect(health.status).toBe(503);
      expect(health.body.checks.delegation).toMatchObject({ ok: false });
      expectServiceError(await issue(stack, warmCaller), { status: 503, code: 'NO_VALID_DELEGATION' }, await storedSecrets(stack));

      expect((await stack.refreshNow()).outcome).toBe('refreshed');
      expect((await stack.request('GET', '/delegation')).body.valid).toBe(true);
      expect((await stack.request('GET', '/health')).body.checks.delegation).toMatchObject({ ok: true });
      expectIssued(await issue(stack, warmCaller), 'cache');
    });

    it('CURRENT removed: the refresher continues after the history (version N + 1), and never rewrites a history item', async () => {
      const before = await currentDelegation();
      const version = Number(before!.version.N);
      const historyKey = (v: number) => ({
        [TABLE_KEYS.partitionKey]: { S: DELEGATION_PARTITION },
        [TABLE_KEYS.sortKey]: { S: `V#${String(v).padStart(10, '0')}` },
      });
      const history = async (v: number) =>
        (await stack.dynamodb.client.send(new GetItemCommand({ TableName: stack.dynamodb.tableName, Key: historyKey(v), ConsistentRead: true }))).Item;
      const firstBefore = await history(1);
      expect(firstBefore).toBeDefined();

      await stack.dynamodb.client.send(new DeleteItemCommand({ TableName: stack.dynamodb.tableName, Key: delegationKey }));
      expect((await stack.request('GET', '/delegation')).status).toBe(404);

      const refreshed = await stack.refreshNow();
      expect(refreshed).toMatchObject({ outcome: 'refreshed', version: version + 1 });
      expect((await stack.request('GET', '/delegation')).body).toMatchObject({ version: version + 1, valid: true });
      expect(await history(1)).toEqual(firstBefore);
      expect(Number((await history(version + 1))!.version.N)).toBe(version + 1);
      expectIssued(await issue(stack, warmCaller), 'cache');
    });
  });

  describe('DynamoDB Local stopped', () => {
    it('503 STORAGE_UNAVAILABLE (never another 5xx, no stack text); restarted: works again with the data kept', async () => {
      const delegationBefore = await stack.request('GET', '/delegation');
      expect(delegationBefore.status).toBe(200);
      const secrets = await storedSecrets(stack);

      await stack.dynamodb.stop();
      expect(stack.dynamodb.running()).toBe(false);

      const issued = await issue(stack, warmCaller);
      expectServiceError(issued, { status: 503, code: 'STORAGE_UNAVAILABLE' }, secrets);
      const fresh = await issue(stack, freshCaller('ddb-down'));
      expectServiceError(fresh, { status: 503, code: 'STORAGE_UNAVAILABLE' }, secrets);
      const delegation = await stack.request('GET', '/delegation');
      expectServiceError(delegation, { status: 503, code: 'STORAGE_UNAVAILABLE' }, secrets);
      const refresh = await stack.request('POST', '/delegation/refresh', { caller: stack.callers.admin });
      expectServiceError(refresh, { status: 503, code: 'STORAGE_UNAVAILABLE' }, secrets);
      const pkps = await stack.request('GET', '/pkps', { caller: stack.callers.admin });
      expectServiceError(pkps, { status: 503, code: 'STORAGE_UNAVAILABLE' }, secrets);
      const health = await stack.request('GET', '/health');
      expect(health.status).toBe(503);
      expectNoSecrets(health.text, secrets);

      await stack.dynamodb.restart();
      expect(stack.dynamodb.running()).toBe(true);

      // The data survived: the same delegation, and the warm caller's scope still holds its wallet sig.
      const delegationAfter = await stack.request('GET', '/delegation');
      expect(delegationAfter.status).toBe(200);
      expect(delegationAfter.body.version).toBe(delegationBefore.body.version);
      expectIssued(await issue(stack, warmCaller), 'cache');
      expectIssued(await issue(stack, freshCaller('ddb-back')), 'nodes');
    });
  });
});
