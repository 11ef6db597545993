/**
 * Lit Action scopes on DynamoDB Local, through the issue use case: the scope key includes the
 * action's CID and jsParams digest, so two actions, or one action with two jsParams, never share a
 * wallet sig; requests without an action keep the scope key they always had; and neither the
 * scope item nor the audit record holds a jsParams value.
 */
import { createHash } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoAdapters, listAuditDay, scopeDigest } from '../../functions/commons/adapters/dynamodb';
import { issueSessionSigs, type IssueDeps } from '../../functions/commons/domain/issue-session-sigs';
import { jsParamsDigest } from '../../functions/commons/domain/lit-action';
import { scopedIssuer, SDK_STORAGE_KEYS } from '../../functions/commons/session-storage';
import { rateLimitSubject } from '../../functions/commons/domain/policy';
import { CALLER, OWNER, PKP_A, RecordingLogger, RecordingMetrics, SdkLikeIssuer, callerPolicy, delegationRecord, runtimeConfig } from '../unit/fakes';
import { dynamoDbLocalPerFile } from './fixtures';

const local = dynamoDbLocalPerFile();
const CID_A = 'QmWLP9ojXrHJrFHnvMJv12HScFoz7R8kcYAECjtcpaJM2Y';
const CID_B = 'QmNZQXmY2VijUPfNrkC6zWykBnEniDouAeUpFi9r6aaqNz';
/** NO_AUTH_METHOD_SESSION_SIG_LIT_ACTION_CODE of the real node's tests: its CID is CID_A. */
const CODE_A = '\n    if (customAccessToken === \'lit\') {\n        LitActions.setResponse({response:"true"});\n    }\n';

async function setup() {
  const adapters = createDynamoAdapters({ tableName: local.tableName, client: local.ddb.client });
  await adapters.delegations.putIfVersion(delegationRecord({ version: 1 }), undefined);
  const issuer = new SdkLikeIssuer();
  const deps: IssueDeps = {
    config: runtimeConfig([callerPolicy({ litActions: { allowedCids: [CID_A, CID_B], allowInlineCode: true } })]),
    ...adapters,
    issuer: scopedIssuer(issuer, adapters.sessionScopes),
    ownerKey: async () => OWNER,
    metrics: new RecordingMetrics(),
    logger: new RecordingLogger(),
  };
  let n = 0;
  const issue = (extra: Record<string, unknown>) =>
    issueSessionSigs(deps, {
      requestId: `req-${++n}`,
      caller: CALLER,
      readBody: () => ({ pkpPublicKey: PKP_A, resourceAbilityRequests: [{ resource: { kind: 'pkp', id: '*' }, ability: 'pkp-signing' }], ...extra }),
      deadlineMs: Date.now() + 10_000,
    });
  return { issue, issuer };
}

async function scopeItem(authIdentity: string) {
  const key = { pk: { S: `SCOPE#${scopeDigest({ pkpPublicKey: PKP_A, caller: rateLimitSubject(CALLER), authIdentity })}` }, sk: { S: 'STORAGE' } };
  return (await local.ddb.client.send(new GetItemCommand({ TableName: local.tableName, Key: key, ConsistentRead: true }))).Item;
}
const walletSigOf = (item: Awaited<ReturnType<typeof scopeItem>>) => item?.entries?.M?.[SDK_STORAGE_KEYS.WALLET_SIGNATURE]?.S;

describe('Lit Action session scopes on DynamoDB', () => {
  test('two actions, or one action with two jsParams, get three scopes and three wallet sigs; each pair reuses only its own', async () => {
    const { issue, issuer } = await setup();
    const alice = { customAccessToken: 'SECRET-alice-token' };
    const bob = { customAccessToken: 'SECRET-bob-token' };
    expect((await issue({ litActionIpfsId: CID_A, jsParams: alice })).walletSigSource).toBe('nodes');
    expect((await issue({ litActionIpfsId: CID_A, jsParams: bob })).walletSigSource).toBe('nodes');
    expect((await issue({ litActionIpfsId: CID_B, jsParams: alice })).walletSigSource).toBe('nodes');
    expect(issuer.nodeRounds).toBe(3);

    const items = await Promise.all([
      scopeItem(`action:${CID_A}:${jsParamsDigest(alice)}`),
      scopeItem(`action:${CID_A}:${jsParamsDigest(bob)}`),
      scopeItem(`action:${CID_B}:${jsParamsDigest(alice)}`),
    ]);
    const sigs = items.map(walletSigOf);
    expect(sigs.every((s) => typeof s === 'string')).toBe(true);
    expect(new Set(sigs).size).toBe(3);
    expect(items.map((i) => i?.authIdentity?.S)).toEqual([
      `action:${CID_A}:${jsParamsDigest(alice)}`,
      `action:${CID_A}:${jsParamsDigest(bob)}`,
      `action:${CID_B}:${jsParamsDigest(alice)}`,
    ]);
    expect(JSON.stringify(items)).not.toContain('SECRET-');

    // Each pair again: served from its own wallet sig, with no node round; the same code sent
    // inline is the same action (same CID) and shares it; the other jsParams key order too.
    const again = await issue({ litActionIpfsId: CID_A, jsParams: bob });
    expect(again.walletSigSource).toBe('cache');
    expect(JSON.stringify(again.sessionSigs)).toContain(JSON.stringify(sigs[1]).slice(1, -1));
    expect((await issue({ litActionCode: Buffer.from(CODE_A).toString('base64'), jsParams: { ...alice } })).walletSigSource).toBe('cache');
    expect(issuer.nodeRounds).toBe(3);
    // Unchanged by the reuse: no scope took another's wallet sig.
    expect(
      (await Promise.all([scopeItem(`action:${CID_A}:${jsParamsDigest(alice)}`), scopeItem(`action:${CID_B}:${jsParamsDigest(alice)}`)])).map(walletSigOf),
    ).toEqual([sigs[0], sigs[2]]);
  });

  test("a request without an action keeps the scope key it always had (sha256 of PKP, the caller's IAM role and the owner's identity)", async () => {
    const { issue } = await setup();
    await issue({ litActionIpfsId: CID_A, jsParams: {} });
    await issue({});
    const ownerIdentity = `owner:${OWNER.address.toLowerCase()}`;
    const digest = createHash('sha256')
      .update([PKP_A, rateLimitSubject(CALLER), ownerIdentity].join('\u0000'), 'utf8')
      .digest('hex');
    const item = (await local.ddb.client.send(new GetItemCommand({ TableName: local.tableName, Key: { pk: { S: `SCOPE#${digest}` }, sk: { S: 'STORAGE' } } })))
      .Item;
    expect(item?.authIdentity?.S).toBe(ownerIdentity);
    expect(walletSigOf(item)).not.toBe(walletSigOf(await scopeItem(`action:${CID_A}:${jsParamsDigest({})}`)));
  });

  test('audit records name the action CID and whether it was inline, never the jsParams', async () => {
    const { issue } = await setup();
    await issue({ litActionCode: Buffer.from(CODE_A).toString('base64'), jsParams: { customAccessToken: 'SECRET-inline' } });
    await issue({ litActionIpfsId: CID_B, jsParams: { customAccessToken: 'SECRET-cid' } });
    const day = new Date().toISOString().slice(0, 10);
    const records = (await listAuditDay({ client: local.ddb.client, tableName: local.tableName }, day)).sort((a, b) => Number(a.at.N) - Number(b.at.N));
    expect(records.map((r) => [r.outcome?.S, r.litActionCid?.S, r.litActionInline?.BOOL])).toEqual([
      ['issued', CID_A, true],
      ['issued', CID_B, false],
    ]);
    expect(JSON.stringify(records)).not.toContain('SECRET-');
  });
});
