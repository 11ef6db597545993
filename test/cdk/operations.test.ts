/**
 * Issue 13 (operations and least privilege): one assertion per finding of the template review.
 * Each of these failed on the templates before the fix it names.
 */
import { auditKey, delegationCurrentKey, delegationHistoryKey, rateKey, scopeKey } from '../../functions/commons/adapters/dynamodb/keys';
import { METRIC, METRICS_NAMESPACE } from '../../functions/commons/metric-names';
import { API_INTEGRATION_TIMEOUT_MS } from '../../functions/commons/config';
import { ALL_FUNCTIONS, ROUTES, TABLE_PARTITIONS } from '../../lib/routes';
import { buildServiceApp } from '../../lib/app';
import { CONFIG_CONTEXT_KEY } from '../../lib/load-config';
import { scheduleIntervalSeconds } from '../../lib/schedule-interval';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  actionsOfFunction,
  buildApp,
  CDK_JSON_CONTEXT,
  EXAMPLE_CONFIG,
  exampleConfig,
  functionLogicalId,
  REPO_ROOT,
  statementsGranting,
  type Built,
} from './helpers';

type Res = Record<string, { Type: string; Properties: any; DeletionPolicy?: string }>;

/** Renders a CloudFormation value (strings, Ref, Fn::Join of those) as text, pseudo parameters as ${Name}. */
function render(v: any): string {
  if (typeof v === 'string') return v;
  if (v?.Ref) return `\${${v.Ref}}`;
  if (v?.['Fn::Join']) return (v['Fn::Join'][1] as any[]).map(render).join(v['Fn::Join'][0]);
  return JSON.stringify(v);
}

/** `*` in an IAM ArnLike pattern, as a RegExp over rendered text. */
function arnLike(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\*/g, '.*')}$`);
}

/** Every statement of function `id`'s policies. */
function statementsOf(t: Built['service$'], id: string): any[] {
  return actionsOfFunction(t, id)
    .flatMap((a) => statementsGranting(t, id, a))
    .filter((s, i, all) => all.indexOf(s) === i);
}

/** DynamoDB grants of function `id` as `action -> partitions` (sorted), from the LeadingKeys conditions. */
function tableGrants(t: Built['service$'], id: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of statementsOf(t, id)) {
    const actions = [s.Action].flat().filter((a: string) => a.startsWith('dynamodb:'));
    if (actions.length === 0) continue;
    const keys = s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
    for (const a of actions) out[a] = [...(out[a] ?? []), ...(keys ?? ['<every item>'])].sort();
  }
  return out;
}

/** IAM StringLike over a plain string. */
const like = (pattern: string, value: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(value);

describe('operations and least privilege (issue 13)', () => {
  let built: Built;
  beforeAll(() => {
    built = buildApp();
  });

  describe('alarms reach someone', () => {
    const cloudWatch = { Service: 'cloudwatch.amazonaws.com' };

    it('the topic policy lets CloudWatch publish, for this service’s alarms only (not only the TLS Deny)', () => {
      const t = built.service$;
      const [policy] = Object.values(t.findResources('AWS::SNS::TopicPolicy') as Res);
      const statements: any[] = policy.Properties.PolicyDocument.Statement;
      const allow = statements.filter((s) => s.Effect === 'Allow');
      expect(allow).toHaveLength(1);
      const [publish] = allow;
      expect(publish.Principal).toEqual(cloudWatch);
      expect(publish.Action).toBe('sns:Publish');
      expect(publish.Resource).toEqual({ Ref: Object.keys(t.findResources('AWS::SNS::Topic'))[0] });
      expect(publish.Condition.StringEquals['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
      // The source pattern covers every alarm of the stack, and no alarm of another service name.
      const source = render(publish.Condition.ArnLike['aws:SourceArn']);
      expect(source).toBe('arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:lit-session-service-*');
      const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm') as Res);
      expect(alarms.length).toBeGreaterThan(0);
      for (const a of alarms)
        expect(`arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${a.Properties.AlarmName}`).toMatch(arnLike(source));
      expect('arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:other-service-X').not.toMatch(arnLike(source));
      // The TLS Deny is still there.
      expect(statements).toEqual(
        expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      );
    });

    it('the topic key lets CloudWatch use it only on behalf of these alarms', () => {
      const t = built.service$;
      const [topic] = Object.values(t.findResources('AWS::SNS::Topic') as Res);
      const keyId = topic.Properties.KmsMasterKeyId['Fn::GetAtt'][0];
      const key = (t.findResources('AWS::KMS::Key') as Res)[keyId];
      const forCloudWatch = (key.Properties.KeyPolicy.Statement as any[]).filter((s) => JSON.stringify(s.Principal) === JSON.stringify(cloudWatch));
      expect(forCloudWatch).toHaveLength(1);
      expect([forCloudWatch[0].Action].flat().sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
      expect(forCloudWatch[0].Condition.StringEquals['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
      expect(render(forCloudWatch[0].Condition.ArnLike['aws:SourceArn'])).toMatch(/:alarm:lit-session-service-\*$/);
    });

    it('every alarm has a name under the service prefix', () => {
      for (const a of Object.values(built.service$.findResources('AWS::CloudWatch::Alarm') as Res))
        expect(a.Properties.AlarmName).toMatch(/^lit-session-service-[A-Za-z0-9]+$/);
    });

    it('subscribes the e-mail addresses and https endpoints the config names, and nothing by default', () => {
      built.service$.resourceCountIs('AWS::SNS::Subscription', 0);
      const subscribed = buildApp({
        config: exampleConfig((raw) => {
          raw.observability.alarmSubscriptions = [
            { protocol: 'email', endpoint: 'oncall@example.com' },
            { protocol: 'https', endpoint: 'https://hooks.example.com/alarms' },
          ];
        }),
      });
      const topic = { Ref: Object.keys(subscribed.service$.findResources('AWS::SNS::Topic'))[0] };
      subscribed.service$.resourceCountIs('AWS::SNS::Subscription', 2);
      subscribed.service$.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: topic });
      subscribed.service$.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'https', Endpoint: 'https://hooks.example.com/alarms', TopicArn: topic });
    });
  });

  describe('table grants per partition, only the actions the code makes', () => {
    it('IssueSessionSigs: scopes get/put, rate counters update, audit put, delegation get; nothing else', () => {
      expect(tableGrants(built.service$, 'IssueSessionSigs')).toEqual({
        'dynamodb:GetItem': ['DELEGATION', 'SCOPE#*'],
        'dynamodb:PutItem': ['AUDIT#*', 'SCOPE#*'],
        'dynamodb:UpdateItem': ['RATE#*'],
      });
    });

    it('DelegationRefresher: the delegation partition only (get, put, and query its history for the newest version)', () => {
      expect(tableGrants(built.service$, 'DelegationRefresher')).toEqual({
        'dynamodb:GetItem': ['DELEGATION'],
        'dynamodb:PutItem': ['DELEGATION'],
        'dynamodb:Query': ['DELEGATION'],
      });
    });

    it('RefreshDelegation (admin): the delegation partition, its rate counter and audit record, and its own Idempotency-Key records', () => {
      expect(tableGrants(built.service$, 'RefreshDelegation')).toEqual({
        'dynamodb:GetItem': ['DELEGATION', 'IDEMPOTENCY#RefreshDelegation'],
        'dynamodb:PutItem': ['AUDIT#*', 'DELEGATION', 'IDEMPOTENCY#RefreshDelegation'],
        'dynamodb:Query': ['DELEGATION'],
        'dynamodb:UpdateItem': ['IDEMPOTENCY#RefreshDelegation', 'RATE#*'],
        'dynamodb:DeleteItem': ['IDEMPOTENCY#RefreshDelegation'],
      });
    });

    it('MintPkp (admin): its rate counter and audit record, and its own Idempotency-Key records', () => {
      expect(tableGrants(built.service$, 'MintPkp')).toEqual({
        'dynamodb:GetItem': ['IDEMPOTENCY#MintPkp'],
        'dynamodb:PutItem': ['AUDIT#*', 'IDEMPOTENCY#MintPkp'],
        'dynamodb:UpdateItem': ['IDEMPOTENCY#MintPkp', 'RATE#*'],
        'dynamodb:DeleteItem': ['IDEMPOTENCY#MintPkp'],
      });
    });

    it.each(['GetDelegation', 'Health', 'ListPkps'])('%s: GetItem on the delegation partition, no Query', (id) => {
      expect(tableGrants(built.service$, id)).toEqual({ 'dynamodb:GetItem': ['DELEGATION'] });
    });

    it('no function may scan, batch or describe the table; DeleteItem only on idempotency records; Query only by the refreshers, on the delegation partition', () => {
      for (const def of ALL_FUNCTIONS) {
        const granted = actionsOfFunction(built.service$, def.id).filter((a) => a.startsWith('dynamodb:'));
        expect(
          granted.filter((a) => !['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'].includes(a)),
        ).toEqual([]);
        if (granted.includes('dynamodb:DeleteItem')) expect(tableGrants(built.service$, def.id)['dynamodb:DeleteItem']).toEqual([`IDEMPOTENCY#${def.id}`]);
        if (granted.includes('dynamodb:Query'))
          expect([def.id, tableGrants(built.service$, def.id)['dynamodb:Query']]).toEqual([
            expect.stringMatching(/^(RefreshDelegation|DelegationRefresher)$/),
            ['DELEGATION'],
          ]);
      }
    });

    it('the partition patterns match the keys the adapters build, each key one pattern only', () => {
      const pk = (item: Record<string, any>) => item.pk.S as string;
      const keys: [keyof typeof TABLE_PARTITIONS, string][] = [
        ['scopes', pk(scopeKey({ pkpPublicKey: '0x04' + 'ab'.repeat(64), caller: 'arn:aws:iam::123456789012:user/a', authIdentity: 'owner' }))],
        ['delegation', pk(delegationCurrentKey())],
        ['delegation', pk(delegationHistoryKey(7))],
        ['rateCounters', pk(rateKey('arn:aws:iam::123456789012:user/a', 123))],
        ['rateCounters', pk(rateKey('arn:aws:iam::123456789012:user/a', 123, 7))], // a shard of a heavy caller's counter
        ['audit', pk(auditKey(Date.UTC(2026, 0, 2), 'req-1'))],
      ];
      for (const [partition, value] of keys) {
        const matching = Object.entries(TABLE_PARTITIONS)
          .filter(([, pattern]) => like(pattern, value))
          .map(([name]) => name);
        expect([value, matching]).toEqual([value, [partition]]);
      }
    });

    it('the table key is usable through DynamoDB only', () => {
      for (const def of ALL_FUNCTIONS.filter((d) => Object.keys(d.needs.table).length > 0)) {
        const kms = statementsOf(built.service$, def.id).filter((s) => [s.Action].flat().some((a: string) => a.startsWith('kms:')));
        expect(kms).toHaveLength(1);
        expect(render(kms[0].Condition.StringEquals['kms:ViaService'])).toBe('dynamodb.${AWS::Region}.amazonaws.com');
      }
    });
  });

  describe('a warning before the capacity NFT expires', () => {
    it('alarms when the CapacitySecondsLeft the refresher reports falls under the configured days', () => {
      built.service$.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: METRICS_NAMESPACE,
        MetricName: METRIC.capacitySecondsLeft,
        Dimensions: [{ Name: 'service', Value: 'lit-session-service' }],
        Statistic: 'Minimum',
        Threshold: 7 * 86_400,
        ComparisonOperator: 'LessThanThreshold',
        Period: 7200,
        AlarmActions: [{ Ref: Object.keys(built.service$.findResources('AWS::SNS::Topic'))[0] }],
      });
      const days = buildApp({ config: exampleConfig((raw) => (raw.observability.capacityAlarmDays = 30)) });
      days.service$.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: METRIC.capacitySecondsLeft, Threshold: 30 * 86_400 });
    });
  });

  describe('the owner key, locked down', () => {
    const signingIds = ALL_FUNCTIONS.filter((d) => d.needs.ownerKey).map((d) => d.id);
    const roleArnOf = (t: Built['service$'], id: string) => {
      const fn = (t.findResources('AWS::Lambda::Function') as Res)[functionLogicalId(t, id)];
      return { 'Fn::GetAtt': [fn.Properties.Role['Fn::GetAtt'][0], 'Arn'] };
    };

    it("the secret's resource policy denies reading it to every principal but the signing roles", () => {
      const t = built.service$;
      const policies = Object.values(t.findResources('AWS::SecretsManager::ResourcePolicy') as Res);
      expect(policies).toHaveLength(1);
      const { SecretId, BlockPublicPolicy, ResourcePolicy } = policies[0].Properties;
      expect(SecretId).toBe(built.config.ownerKeySecret);
      expect(BlockPublicPolicy).toBe(true);
      expect(ResourcePolicy.Statement).toEqual([
        {
          Sid: 'OnlyTheSigningRolesReadTheOwnerKey',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'secretsmanager:GetSecretValue',
          Resource: '*',
          Condition: { ArnNotEquals: { 'aws:PrincipalArn': signingIds.map((id) => roleArnOf(t, id)) } },
        },
      ]);
      expect([...signingIds].sort()).toEqual(['DelegationRefresher', 'IssueSessionSigs', 'MintPkp', 'RefreshDelegation']);
    });

    it('names the break-glass role as the only other reader; leaves the policy to the operator when told to', () => {
      const breakGlass = 'arn:aws:iam::123456789012:role/owner-key-break-glass';
      const withRole = buildApp({ config: exampleConfig((raw) => (raw.ownerKeyBreakGlassRoleArn = breakGlass)) });
      const [policy] = Object.values(withRole.service$.findResources('AWS::SecretsManager::ResourcePolicy') as Res);
      const readers = policy.Properties.ResourcePolicy.Statement[0].Condition.ArnNotEquals['aws:PrincipalArn'];
      expect(readers).toHaveLength(signingIds.length + 1);
      expect(readers[readers.length - 1]).toBe(breakGlass);
      const external = buildApp({ config: exampleConfig((raw) => (raw.ownerKeySecretPolicy = 'external')) });
      external.service$.resourceCountIs('AWS::SecretsManager::ResourcePolicy', 0);
    });

    it('outputs the signing role ARNs for the key policy', () => {
      const output = built.service$.findOutputs('OwnerKeyReaderRoleArns');
      const [value] = Object.values(output).map((o: any) => o.Value);
      expect(value['Fn::Join'][1]).toEqual(signingIds.map((id) => roleArnOf(built.service$, id)));
    });

    it('warns at synth about an AWS-managed secret key and a secret named without its full ARN; not when both are fixed', () => {
      const warnings = (b: Built) =>
        Annotations.fromStack(b.service)
          .findWarning('*', Match.anyValue())
          .map((w) => String(w.entry.data));
      expect(warnings(built)).toEqual(
        expect.arrayContaining([expect.stringContaining('AWS-managed key (aws/secretsmanager)'), expect.stringContaining('is not a full secret ARN')]),
      );
      const fixed = buildApp({
        config: exampleConfig((raw) => {
          raw.ownerKeySecret = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:lit-session-service/owner-key-AbCdEf';
          raw.ownerKeySecretKmsKeyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
        }),
      });
      expect(warnings(fixed).filter((w) => w.includes('owner-key') || w.includes('ownerKey'))).toEqual([]);
    });
  });

  describe('direct invocation: the README guard matches the stack', () => {
    /** The SCP of the README's security model, as JSON. */
    function readmeScp(): any {
      const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
      const block = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.includes('DenyDirectInvokeOfLitSessionService'));
      expect(block).toBeDefined();
      return JSON.parse(block!.replace(/^ {2}/gm, ''));
    }

    it('denies invoking every function of the stack to all but the refresh schedule role', () => {
      const [statement] = readmeScp().Statement;
      expect(statement.Effect).toBe('Deny');
      expect(statement.Action).toEqual(expect.arrayContaining(['lambda:InvokeFunction', 'lambda:InvokeAsync']));
      const t = built.service$;
      const names = Object.values(t.findResources('AWS::Lambda::Function') as Res).map((f) => f.Properties.FunctionName);
      expect(names.sort()).toEqual(ALL_FUNCTIONS.map((d) => `lit-session-service-${d.id}`).sort());
      for (const name of names) expect(like(statement.Resource, `arn:aws:lambda:eu-west-1:111122223333:function:${name}`)).toBe(true);

      // The one role the schedule invokes with is exempt; it is named without CloudFormation's random part.
      const [schedule] = Object.values(t.findResources('AWS::Scheduler::Schedule') as Res);
      const roleId = schedule.Properties.Target.RoleArn['Fn::GetAtt'][0];
      const roleName = render((t.findResources('AWS::IAM::Role') as Res)[roleId].Properties.RoleName).replace('${AWS::Region}', 'eu-west-1');
      expect(roleName).toBe('lit-session-service-sched-eu-west-1');
      const exempt = statement.Condition.ArnNotLike['aws:PrincipalArn'];
      expect(like(exempt, `arn:aws:iam::111122223333:role/${roleName}`)).toBe(true);
      // No function role is exempt (they have no invoke permission anyway).
      for (const [id, role] of Object.entries(t.findResources('AWS::IAM::Role') as Res)) if (id !== roleId) expect(role.Properties.RoleName).toBeUndefined();
    });
  });

  describe("the handlers' time budget", () => {
    it("every route's integration timeout is the one the handlers budget from (timeEpoch + API_INTEGRATION_TIMEOUT_MS)", () => {
      const integrations = Object.values(built.service$.findResources('AWS::ApiGatewayV2::Integration') as Res);
      expect(integrations).toHaveLength(ROUTES.length);
      expect(API_INTEGRATION_TIMEOUT_MS).toBe(29_000);
      for (const i of integrations) expect(i.Properties.TimeoutInMillis).toBe(29_000);
    });
  });

  describe('throttling', () => {
    it('reserves concurrency for the refresher (configurable, 0 for none), and for no other function', () => {
      const reserved = (b: Built) =>
        Object.fromEntries(
          ALL_FUNCTIONS.map((d) => [
            d.id,
            (b.service$.findResources('AWS::Lambda::Function') as Res)[functionLogicalId(b.service$, d.id)].Properties.ReservedConcurrentExecutions,
          ]),
        );
      expect(reserved(built)).toEqual(Object.fromEntries(ALL_FUNCTIONS.map((d) => [d.id, d.id === 'DelegationRefresher' ? 2 : undefined])));
      expect(reserved(buildApp({ config: exampleConfig((raw) => (raw.reservedConcurrency = { refresher: 5 })) })).DelegationRefresher).toBe(5);
      expect(reserved(buildApp({ config: exampleConfig((raw) => (raw.reservedConcurrency = { refresher: 0 })) })).DelegationRefresher).toBeUndefined();
    });

    it('limits each route by default and the admin routes lower, each by its route key', () => {
      const [stage] = Object.values(built.service$.findResources('AWS::ApiGatewayV2::Stage') as Res);
      expect(stage.Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
      const admin = ROUTES.filter((r) => r.admin).map((r) => `${r.method} ${r.path}`);
      expect(admin.sort()).toEqual(['GET /pkps', 'POST /delegation/refresh', 'POST /pkps']);
      expect(Object.keys(stage.Properties.RouteSettings).sort()).toEqual(admin);
      for (const key of admin) expect(stage.Properties.RouteSettings[key]).toEqual({ ThrottlingRateLimit: 1, ThrottlingBurstLimit: 5 });
      // The stage is created after those routes, which its settings name.
      const routeIds = Object.entries(built.service$.findResources('AWS::ApiGatewayV2::Route') as Res)
        .filter(([, r]) => admin.includes(r.Properties.RouteKey))
        .map(([id]) => id);
      const [stageResource] = Object.values(built.service$.findResources('AWS::ApiGatewayV2::Stage') as Record<string, any>);
      expect(stageResource.DependsOn).toEqual(expect.arrayContaining(routeIds));
    });
  });

  describe('the alarms that were missing', () => {
    const alarm = (name: string) => {
      const hit = Object.values(built.service$.findResources('AWS::CloudWatch::Alarm') as Res).find(
        (a) => a.Properties.AlarmName === `lit-session-service-${name}`,
      );
      expect(hit).toBeDefined();
      return hit!.Properties;
    };
    const issueFn = () => ({ Ref: functionLogicalId(built.service$, 'IssueSessionSigs') });

    it('IssueSessionSigs: any error, any throttle, and a duration at 90% of its timeout', () => {
      expect(alarm('IssueErrors')).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: issueFn() }],
        Threshold: 1,
      });
      expect(alarm('IssueThrottles')).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Throttles',
        Dimensions: [{ Name: 'FunctionName', Value: issueFn() }],
        Threshold: 1,
      });
      expect(alarm('IssueDurationNearTimeout')).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Duration',
        Statistic: 'Maximum',
        Dimensions: [{ Name: 'FunctionName', Value: issueFn() }],
        Threshold: 26_100,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    });

    it('API 429s: counted from the access log by a metric filter, alarmed as a share of requests', () => {
      const t = built.service$;
      const [filter] = Object.values(t.findResources('AWS::Logs::MetricFilter') as Res);
      expect(filter.Properties.FilterPattern).toBe('{ $.status = "429" }');
      expect(filter.Properties.LogGroupName).toEqual({ Ref: Object.keys(t.findResources('AWS::Logs::LogGroup')).find((k) => k.startsWith('ApiAccessLogs')) });
      expect(filter.Properties.MetricTransformations).toEqual([
        { MetricNamespace: METRICS_NAMESPACE, MetricName: 'Api429', MetricValue: '1', Dimensions: [{ Key: 'ApiId', Value: '$.apiId' }] },
      ]);
      const a = alarm('Api429Rate');
      const limited = a.Metrics.find((m: any) => m.Id === 'limited');
      expect(limited.MetricStat.Metric).toEqual({
        Namespace: METRICS_NAMESPACE,
        MetricName: 'Api429',
        Dimensions: [{ Name: 'ApiId', Value: { Ref: Object.keys(t.findResources('AWS::ApiGatewayV2::Api'))[0] } }],
      });
      expect(a.Metrics.find((m: any) => m.ReturnData !== false).Expression).toContain('100 * FILL(limited, 0) / requests');
    });

    it('the table: throttled requests and system errors on the operations the functions make', () => {
      for (const [name, metric] of [
        ['TableThrottles', 'ThrottledRequests'],
        ['TableSystemErrors', 'SystemErrors'],
      ]) {
        const a = alarm(name);
        const stats = a.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric);
        expect(stats.map((m: any) => [m.Namespace, m.MetricName, m.Dimensions.find((d: any) => d.Name === 'Operation').Value]).sort()).toEqual([
          ['AWS/DynamoDB', metric, 'GetItem'],
          ['AWS/DynamoDB', metric, 'PutItem'],
          ['AWS/DynamoDB', metric, 'UpdateItem'],
        ]);
        for (const m of stats)
          expect(m.Dimensions.find((d: any) => d.Name === 'TableName').Value).toEqual({
            'Fn::ImportValue': expect.stringContaining('lit-session-service-stateful:'),
          });
        expect(a.Threshold).toBe(1);
      }
    });
  });

  describe('config checks that were missing', () => {
    it('refuses at synth a delegation alarm threshold at or above the refresh margin', () => {
      for (const seconds of [21_600, 30_000]) {
        expect(() => buildApp({ config: exampleConfig((raw) => (raw.observability.delegationAlarmSeconds = seconds)) })).toThrow(
          expect.objectContaining({
            code: 'CONFIG_NOT_DEPLOYABLE',
            message: expect.stringMatching(/^observability\.delegationAlarmSeconds \(\d+\) must be less than delegation\.refreshMarginSeconds \(21600\)/),
          }),
        );
      }
      expect(() => buildApp({ config: exampleConfig((raw) => (raw.observability.delegationAlarmSeconds = 21_599)) })).not.toThrow();
    });

    it('refuses the rate expressions EventBridge refuses (rate(1 hours), rate(5 hour)), in the config and at synth', () => {
      for (const schedule of ['rate(1 hours)', 'rate(5 hour)', 'rate(0 minutes)']) {
        expect(() => exampleConfig((raw) => (raw.delegation.schedule = schedule))).toThrow(/delegation\.schedule: must be 'rate\(1 minute\|hour\|day\)'/);
        expect(() => scheduleIntervalSeconds(schedule)).toThrow(/schedule 'rate/);
      }
      for (const schedule of ['rate(1 hour)', 'rate(5 hours)', 'rate(1 minute)', 'rate(12 hours)', 'rate(1 day)'])
        expect(() => exampleConfig((raw) => (raw.delegation.schedule = schedule))).not.toThrow();
    });
  });

  describe('state that cannot be deleted by accident', () => {
    it('the table has deletion protection; the stateful stack has termination protection, the service stack not', () => {
      built.stateful$.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
      expect(built.stateful.terminationProtection).toBe(true);
      expect(built.service.terminationProtection).toBe(false);
      const manifest = built.app.synth().getStackByName(built.stateful.stackName);
      expect(manifest.terminationProtection).toBe(true);
    });
  });

  describe('the scheduler role', () => {
    it('trusts Scheduler for its own schedule group only (aws:SourceArn), in this account, and that group holds the refresh schedule', () => {
      const t = built.service$;
      const [[groupId, group]] = Object.entries(t.findResources('AWS::Scheduler::ScheduleGroup') as Res);
      const [schedule] = Object.values(t.findResources('AWS::Scheduler::Schedule') as Res);
      expect(schedule.Properties.GroupName).toBe(group.Properties.Name);
      const role = (t.findResources('AWS::IAM::Role') as Res)[schedule.Properties.Target.RoleArn['Fn::GetAtt'][0]];
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' }, 'aws:SourceArn': { 'Fn::GetAtt': [groupId, 'Arn'] } } },
        },
      ]);
    });
  });

  describe('the IAM5[Resource::*] acknowledgement covers the X-Ray statement only', () => {
    it('each function has the X-Ray statement alone in a policy of its own, and no other Resource: * anywhere', () => {
      const t = built.service$;
      for (const def of ALL_FUNCTIONS) {
        const star = statementsOf(t, def.id).filter((st) => st.Resource === '*');
        expect(star).toEqual([{ Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Effect: 'Allow', Resource: '*' }]);
        const fnRole = (t.findResources('AWS::Lambda::Function') as Res)[functionLogicalId(t, def.id)].Properties.Role['Fn::GetAtt'][0];
        const mine = Object.entries(t.findResources('AWS::IAM::Policy') as Res).filter(
          ([, p]) => p.Properties.Roles.some((r: any) => r.Ref === fnRole) && JSON.stringify(p.Properties.PolicyDocument).includes('xray:'),
        );
        expect(mine).toHaveLength(1);
        expect(mine[0][0]).toMatch(new RegExp(`^${def.id}Tracing`));
        expect(mine[0][1].Properties.PolicyDocument.Statement).toHaveLength(1);
      }
      // Tracing is still on, and the function waits for its X-Ray policy.
      for (const fn of Object.values(t.findResources('AWS::Lambda::Function') as Record<string, any>)) {
        expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
        expect(fn.DependsOn.some((d: string) => d.includes('Tracing'))).toBe(true);
      }
    });

    it('is acknowledged on the X-Ray policies only, so a wildcard granted later to a function role is reported', () => {
      const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], [CONFIG_CONTEXT_KEY]: EXAMPLE_CONFIG } });
      const { service } = buildServiceApp(app, { nag: false });
      const acked = app.node
        .findAll()
        .filter((c) =>
          c.node.metadata.some((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && JSON.stringify(m.data).includes('IAM5[Resource::*]')),
        )
        .map((c) => c.node.path);
      expect(acked.length).toBe(ALL_FUNCTIONS.length);
      for (const p of acked) expect(p).toMatch(/^lit-session-service-service\/\w+\/Tracing$/);

      service.functions.IssueSessionSigs.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
      const findings = new AwsSolutionsChecks()
        .validateScope(app)
        .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`));
      expect(findings).toContain('AwsSolutions-IAM5[Resource::*] lit-session-service-service/IssueSessionSigs/Role/DefaultPolicy/Resource');
    });
  });

  describe('region and account resolve at deploy time', () => {
    it('a template synthesized where the CLI defaults to us-east-1 names no region or account', () => {
      const saved = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
      process.env.CDK_DEFAULT_ACCOUNT = '111111111111';
      process.env.CDK_DEFAULT_REGION = 'us-east-1';
      try {
        const pinned = buildApp();
        const text = JSON.stringify([pinned.stateful$.toJSON(), pinned.service$.toJSON()]);
        expect(text).not.toContain('us-east-1');
        expect(text).not.toContain('111111111111');
        expect(text).toContain('AWS::Region');
      } finally {
        for (const [k, v] of [
          ['CDK_DEFAULT_ACCOUNT', saved.account],
          ['CDK_DEFAULT_REGION', saved.region],
        ] as const)
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
      }
    });
  });
});
