/**
 * What the local stack does on its own: the delegation refresher runs on its schedule (no
 * refreshNow, no request) and restores an expired delegation; and requests without the caller
 * header are made by the stack's default caller, as `npm start -- --caller ARN` sets it.
 */
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DELEGATION_PARTITION, TABLE_KEYS } from '../../functions/commons/table';
import { CALLER_HEADER, startLocalStack, type LocalStack } from '../../local/stack';
import { issueBody, pollUntil } from './fault-helpers';

jest.setTimeout(300_000);

const delegationKey = { [TABLE_KEYS.partitionKey]: { S: DELEGATION_PARTITION }, [TABLE_KEYS.sortKey]: { S: 'CURRENT' } };
/** Not in the policy: the default caller of this stack. */
const DEFAULT_CALLER = 'arn:aws:iam::000000000000:user/someone-else';

describe('the local stack on its own', () => {
  let stack: LocalStack;
  const logs: { source: string; text: string }[] = [];

  beforeAll(async () => {
    stack = await startLocalStack({ refreshEveryMs: 1_000, defaultCaller: DEFAULT_CALLER, onLog: (l) => logs.push(l) });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('the scheduled refresher runs by itself and replaces an expired delegation', async () => {
    const version = async () =>
      Number(
        (await stack.dynamodb.client.send(new GetItemCommand({ TableName: stack.dynamodb.tableName, Key: delegationKey, ConsistentRead: true }))).Item!.version
          .N,
      );
    const before = await version();
    const runsBefore = stack.functions.invocations('DelegationRefresher');
    await stack.dynamodb.client.send(
      new UpdateItemCommand({
        TableName: stack.dynamodb.tableName,
        Key: delegationKey,
        UpdateExpression: 'SET delegationExpiresAt = :t',
        ExpressionAttributeValues: { ':t': { N: String(Math.floor(Date.now() / 1000) - 60) } },
      }),
    );
    // Bounded polling on state, not on time: the schedule fires every second.
    const seen = await pollUntil(
      () => stack.request('GET', '/delegation', { caller: stack.callers.app }),
      (r) => r.body?.valid === true && r.body.version === before + 1,
      30,
      500,
    );
    expect(seen[seen.length - 1].body).toMatchObject({ valid: true, version: before + 1 });
    expect(stack.functions.invocations('DelegationRefresher')).toBeGreaterThan(runsBefore);
    // It keeps running, and leaves a valid delegation alone.
    const scheduled = () => logs.filter((l) => l.source === 'scheduler').map((l) => JSON.parse(l.text));
    await pollUntil(
      async () => scheduled(),
      (runs) => runs.some((r) => r.outcome === 'still-valid'),
      20,
      500,
    );
    expect(scheduled()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ message: 'scheduled refresh', outcome: 'refreshed', version: before + 1 }),
        expect.objectContaining({ outcome: 'still-valid', version: before + 1 }),
      ]),
    );
    expect(await version()).toBe(before + 1);
  });

  it('a request without the caller header is made by the default caller; the header overrides it', async () => {
    const asDefault = await stack.request('POST', '/session-sigs', { body: issueBody(stack.pkp) });
    expect(asDefault.status).toBe(403);
    expect(asDefault.body.error.code).toBe('CALLER_NOT_ALLOWED');
    const asApp = await stack.request('POST', '/session-sigs', { body: issueBody(stack.pkp), headers: { [CALLER_HEADER]: stack.callers.app } });
    expect(asApp.status).toBe(200);
    expect(stack.curl()).toContain(`${CALLER_HEADER}: ${DEFAULT_CALLER}`); // the printed curl names the caller it needs
  });
});
