import { Match } from 'aws-cdk-lib/assertions';
import { TABLE_KEYS } from '../../functions/commons/table';
import { isCompleteSecretArn } from '../../lib/service-function';
import { buildApp, exampleConfig, statementsGranting, type Built } from './helpers';

describe('stateful stack', () => {
  let built: Built;
  beforeAll(() => {
    built = buildApp();
  });

  it('has one single-table DynamoDB table: pk/sk strings, on demand, TTL on expiresAt, PITR', () => {
    const t = built.stateful$;
    t.resourceCountIs('AWS::DynamoDB::Table', 1);
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ]),
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      ProvisionedThroughput: Match.absent(),
      GlobalSecondaryIndexes: Match.absent(),
    });
  });

  it('encrypts the table with its own customer-managed key, rotation on', () => {
    const t = built.stateful$;
    const keys = t.findResources('AWS::KMS::Key');
    expect(Object.keys(keys)).toHaveLength(1);
    const [keyId] = Object.keys(keys);
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
    });
  });

  it('retains the table and the key on delete and on replacement', () => {
    for (const type of ['AWS::DynamoDB::Table', 'AWS::KMS::Key']) {
      built.stateful$.hasResource(type, { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
  });

  it('never creates the owner-key secret (no value can reach a template)', () => {
    built.stateful$.resourceCountIs('AWS::SecretsManager::Secret', 0);
    built.service$.resourceCountIs('AWS::SecretsManager::Secret', 0);
    // Nothing in either template looks like a private key.
    const text = JSON.stringify([built.stateful$.toJSON(), built.service$.toJSON()]);
    expect(text).not.toMatch(/0x[0-9a-fA-F]{64}(?![0-9a-fA-F])/);
  });

  it('references the secret by name: the grant matches that name plus the random suffix only', () => {
    const [s] = statementsGranting(built.service$, 'IssueSessionSigs', 'secretsmanager:GetSecretValue');
    expect(JSON.stringify(s.Resource)).toContain(':secret:lit-session-service/owner-key-??????');
    expect(JSON.stringify(s.Resource)).not.toContain('*');
  });

  it('references a complete secret ARN exactly, and a partial ARN with the suffix wildcard', () => {
    const complete = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:team/owner-key-AbCdEf';
    const partial = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:team/owner-key';
    expect(isCompleteSecretArn(complete)).toBe(true);
    expect(isCompleteSecretArn(partial)).toBe(false);
    expect(isCompleteSecretArn('team/owner-key-AbCdEf')).toBe(false);

    const c = buildApp({ config: exampleConfig((raw) => (raw.ownerKeySecret = complete)) });
    expect(statementsGranting(c.service$, 'MintPkp', 'secretsmanager:GetSecretValue')[0].Resource).toBe(complete);

    const p = buildApp({ config: exampleConfig((raw) => (raw.ownerKeySecret = partial)) });
    expect(statementsGranting(p.service$, 'MintPkp', 'secretsmanager:GetSecretValue')[0].Resource).toBe(`${partial}-??????`);
  });

  it("the service stack reaches the table and its key only through the stateful stack's exports", () => {
    const exported = Object.values(built.stateful$.toJSON().Outputs as Record<string, { Export?: { Name: string } }>).map((o) => o.Export?.Name);
    const imported = [...new Set([...JSON.stringify(built.service$.toJSON()).matchAll(/"Fn::ImportValue":"([^"]+)"/g)].map((m) => m[1]))];
    expect(imported.filter((name) => !exported.includes(name))).toEqual([]);
    // The table's name and ARN, and its key's ARN: what the functions' environment and grants name.
    expect(imported).toEqual(
      expect.arrayContaining([expect.stringMatching(/Ref.*Table/), expect.stringMatching(/Table.*Arn/), expect.stringMatching(/TableKey.*Arn/)]),
    );
  });

  it('exposes the owner key secret as the config names it (referenced, never created)', () => {
    built.stateful$.resourceCountIs('AWS::SecretsManager::Secret', 0);
    // A name becomes this account's and region's ARN for it, resolved at deploy.
    expect(JSON.stringify(built.stateful.resolve(built.stateful.ownerKeySecret.secretArn))).toContain(`:secret:${exampleConfig().ownerKeySecret}"`);
  });
});
