import { Capture, Match } from 'aws-cdk-lib/assertions';
import { LAMBDA_ENV_LIMIT_BYTES, RUNTIME_CONFIG_ENV, readRuntimeConfig, toRuntimeConfig } from '../../functions/commons/config';
import { METRIC, METRICS_NAMESPACE } from '../../functions/commons/metric-names';
import { OWNER_KEY_SECRET_ENV, TABLE_NAME_ENV } from '../../functions/commons/table';
import { ALL_FUNCTIONS, DELEGATION_REFRESHER, ROUTES } from '../../lib/routes';
import { ACCESS_LOG_FIELDS } from '../../lib/service-api';
import { delegationAlarmPeriod } from '../../lib/service-alarms';
import { actionsOfFunction, buildApp, CUSTOM_CONFIG, exampleConfig, functionLogicalId, statementsGranting, type Built } from './helpers';

type Res = Record<string, { Properties: any }>;

describe('service stack', () => {
  let built: Built;
  beforeAll(() => {
    built = buildApp();
  });

  describe('functions: one per route and job, all with the same defaults', () => {
    it('makes exactly one function per route plus the refresher', () => {
      const names = Object.values(built.service$.findResources('AWS::Lambda::Function') as Res).map((f) => f.Properties.FunctionName);
      expect(names.sort()).toEqual(ALL_FUNCTIONS.map((d) => `lit-session-service-${d.id}`).sort());
    });

    it.each(ALL_FUNCTIONS.map((d) => [d.id, d] as const))('%s: runtime, arch, tracing, timeout, memory, env', (id, def) => {
      const fn = (built.service$.findResources('AWS::Lambda::Function') as Res)[functionLogicalId(built.service$, id)].Properties;
      expect(fn).toEqual(
        expect.objectContaining({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          TracingConfig: { Mode: 'Active' },
          Timeout: def.timeoutSeconds ?? 29,
          MemorySize: def.memoryMb ?? 1024,
          Handler: 'index.handler',
          Description: def.description,
        }),
      );
      const env = fn.Environment.Variables;
      expect(env).toEqual(
        expect.objectContaining({
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: built.config.serviceName,
          POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
          [TABLE_NAME_ENV]: { 'Fn::ImportValue': expect.stringContaining('lit-session-service-stateful:') },
        }),
      );
      // The runtime config round-trips through the functions' own parser.
      expect(readRuntimeConfig({ [RUNTIME_CONFIG_ENV]: env[RUNTIME_CONFIG_ENV] })).toEqual(toRuntimeConfig(built.config));
      // Only functions that may read the owner key are told where it is.
      if (def.needs.ownerKey) expect(env[OWNER_KEY_SECRET_ENV]).toBe(built.config.ownerKeySecret);
      else expect(env[OWNER_KEY_SECRET_ENV]).toBeUndefined();
      // The v2-era connection-reuse variable is not set; the AWS SDK v3 reuses connections itself.
      expect(env.AWS_NODEJS_CONNECTION_REUSE_ENABLED).toBeUndefined();
    });

    it('gives every function its own log group with the configured retention, and only that group to write', () => {
      const t = built.service$;
      const fns = t.findResources('AWS::Lambda::Function') as Res;
      const groups = t.findResources('AWS::Logs::LogGroup') as Res;
      const used = new Set<string>();
      for (const def of ALL_FUNCTIONS) {
        const fn = fns[functionLogicalId(t, def.id)].Properties;
        const groupId: string = fn.LoggingConfig.LogGroup.Ref;
        expect(groups[groupId].Properties.RetentionInDays).toBe(built.config.observability.logRetentionDays);
        used.add(groupId);
        const [logs] = statementsGranting(t, def.id, 'logs:PutLogEvents');
        expect(logs.Resource).toEqual({ 'Fn::GetAtt': [groupId, 'Arn'] });
      }
      expect(used.size).toBe(ALL_FUNCTIONS.length);
      // No role carries the managed AWSLambdaBasicExecutionRole (logs:* on every group).
      t.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    });
  });

  describe('least privilege from `needs`', () => {
    const ownerKey = ALL_FUNCTIONS.filter((d) => d.needs.ownerKey).map((d) => d.id);
    const noOwnerKey = ALL_FUNCTIONS.filter((d) => !d.needs.ownerKey).map((d) => d.id);
    const tableActions = (d: (typeof ALL_FUNCTIONS)[number]) => Object.values(d.needs.table).flat();
    const readOnly = ALL_FUNCTIONS.filter((d) => tableActions(d).length > 0 && tableActions(d).every((a) => a === 'GetItem')).map((d) => d.id);
    const readWrite = ALL_FUNCTIONS.filter((d) => tableActions(d).some((a) => a !== 'GetItem')).map((d) => d.id);
    const noTable = ALL_FUNCTIONS.filter((d) => tableActions(d).length === 0).map((d) => d.id);

    it('the route table has both kinds, so these tests test something', () => {
      expect(ownerKey.length).toBeGreaterThan(0);
      expect(noOwnerKey.length).toBeGreaterThan(0);
      expect(readOnly.length).toBeGreaterThan(0);
    });

    it.each(noOwnerKey)('%s cannot read any secret', (id) => {
      const actions = actionsOfFunction(built.service$, id);
      expect(actions.filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
    });

    it.each(ownerKey)('%s may read the owner-key secret and nothing else in Secrets Manager', (id) => {
      const actions = actionsOfFunction(built.service$, id).filter((a) => a.startsWith('secretsmanager:'));
      expect(actions.sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    });

    it.each(readOnly)('%s reads only the delegation partition, never the session scopes', (id) => {
      const statements = statementsGranting(built.service$, id, 'dynamodb:GetItem');
      expect(statements).toHaveLength(1);
      const [statement] = statements;
      expect(statement.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['DELEGATION'] } });
      // GetItem only: nothing these functions run queries.
      expect([statement.Action].flat()).toEqual(['dynamodb:GetItem']);
    });

    it.each(readOnly)('%s reads the table and cannot write it, nor encrypt with its key', (id) => {
      const actions = actionsOfFunction(built.service$, id);
      expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'kms:Decrypt']));
      for (const w of [
        'dynamodb:Query',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem',
        'kms:Encrypt',
        'kms:GenerateDataKey*',
      ])
        expect(actions).not.toContain(w);
    });

    it('with a customer-managed key on the owner-key secret, only the owner-key functions may decrypt with it, via Secrets Manager', () => {
      const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
      const cmk = buildApp({ config: exampleConfig((raw) => (raw.ownerKeySecretKmsKeyArn = keyArn)) });
      for (const id of ownerKey) {
        const [statement] = statementsGranting(cmk.service$, id, 'kms:Decrypt').filter((st) => JSON.stringify(st.Resource) === JSON.stringify(keyArn));
        expect(statement).toBeDefined();
        expect(JSON.stringify(statement.Condition)).toContain('kms:ViaService');
        expect(JSON.stringify(statement.Condition)).toContain('secretsmanager.');
      }
      for (const id of noOwnerKey) {
        const decrypts = statementsGranting(cmk.service$, id, 'kms:Decrypt');
        expect(decrypts.filter((st) => JSON.stringify(st.Resource).includes(keyArn))).toEqual([]);
      }
      // Without the setting, no function gets a grant on any key but the table's.
      for (const id of ownerKey) expect(JSON.stringify(statementsGranting(built.service$, id, 'kms:Decrypt'))).not.toContain(':key/1234abcd');
    });

    it("DeleteItem only on a function's own Idempotency-Key records (MintPkp, RefreshDelegation), each in its own IDEMPOTENCY# partition", () => {
      const deleting = ALL_FUNCTIONS.filter((d) => tableActions(d).includes('DeleteItem')).map((d) => d.id);
      expect(deleting.sort()).toEqual(['MintPkp', 'RefreshDelegation']);
      for (const id of deleting) {
        const granting = statementsGranting(built.service$, id, 'dynamodb:DeleteItem');
        expect(granting).toHaveLength(1);
        expect(granting[0].Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`IDEMPOTENCY#${id}`] } });
      }
    });

    it('every function but the read-only ones writes something, so no function is without table access', () => {
      expect(noTable).toEqual([]);
      expect(readOnly.length + readWrite.length).toBe(ALL_FUNCTIONS.length);
    });

    it.each(readWrite)('%s reads and writes the table, with the table key', (id) => {
      const actions = actionsOfFunction(built.service$, id);
      expect(actions).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'kms:Decrypt', 'kms:GenerateDataKey*']));
      const [write] = statementsGranting(built.service$, id, 'dynamodb:PutItem');
      expect([write.Resource].flat()).toEqual([{ 'Fn::ImportValue': expect.stringMatching(/^lit-session-service-stateful:.*Table.*Arn/) }]);
      const [kms] = statementsGranting(built.service$, id, 'kms:Decrypt');
      expect([kms.Resource].flat()).toEqual([{ 'Fn::ImportValue': expect.stringMatching(/^lit-session-service-stateful:.*TableKey.*Arn/) }]);
    });

    it('no policy grants any action on every resource except X-Ray (which has no resource-level permissions), one such statement per function', () => {
      // Every policy document of the template: policies, managed policies, and roles' inline policies.
      const documents = [
        ...Object.values(built.service$.findResources('AWS::IAM::Policy') as Res).map((p) => p.Properties.PolicyDocument),
        ...Object.values(built.service$.findResources('AWS::IAM::ManagedPolicy') as Res).map((p) => p.Properties.PolicyDocument),
        ...Object.values(built.service$.findResources('AWS::IAM::Role') as Res).flatMap((r) => (r.Properties.Policies ?? []).map((p: any) => p.PolicyDocument)),
      ];
      const onEveryResource = documents
        .flatMap((d) => d.Statement)
        .filter((s: any) => [s.Resource].flat().includes('*'))
        .map((s: any) => [s.Action].flat().sort().join(' '));
      expect(documents.length).toBeGreaterThan(ALL_FUNCTIONS.length);
      expect(onEveryResource).toEqual(ALL_FUNCTIONS.map(() => 'xray:PutTelemetryRecords xray:PutTraceSegments'));
    });
  });

  describe('HTTP API', () => {
    it('has one route per ROUTES entry, every one IAM-authorized, integrated with its own function', () => {
      const t = built.service$;
      const routes = t.findResources('AWS::ApiGatewayV2::Route') as Res;
      expect(
        Object.values(routes)
          .map((r) => r.Properties.RouteKey)
          .sort(),
      ).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
      for (const r of Object.values(routes)) expect(r.Properties.AuthorizationType).toBe('AWS_IAM');
      const integrations = t.findResources('AWS::ApiGatewayV2::Integration') as Res;
      for (const route of ROUTES) {
        const [, integration] = Object.entries(integrations).find(([k]) => k.includes(`${route.id}Integration`))!;
        expect(integration.Properties).toEqual(
          expect.objectContaining({
            IntegrationType: 'AWS_PROXY',
            PayloadFormatVersion: '2.0',
            IntegrationUri: { 'Fn::GetAtt': [functionLogicalId(t, route.id), 'Arn'] },
          }),
        );
      }
    });

    it('has only the $default stage: auto-deployed, throttled from config, JSON access logs to a retained log group', () => {
      const t = built.service$;
      t.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
      const format = new Capture();
      const dest = new Capture();
      t.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: built.config.api.throttleRateLimit, ThrottlingBurstLimit: built.config.api.throttleBurstLimit },
        AccessLogSettings: { DestinationArn: dest, Format: format },
      });
      const fields = JSON.parse(format.asString());
      expect(fields).toEqual(ACCESS_LOG_FIELDS);
      expect(fields).toEqual(
        expect.objectContaining({
          requestId: '$context.requestId',
          caller: '$context.identity.userArn',
          status: '$context.status',
          latencyMs: '$context.responseLatency',
        }),
      );
      const groupId = dest.asObject()['Fn::GetAtt'][0];
      t.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: built.config.observability.logRetentionDays } });
      expect((t.findResources('AWS::Logs::LogGroup') as Res)[groupId].Properties.RetentionInDays).toBe(built.config.observability.logRetentionDays);
    });

    it('throttles from the config values, not constants', () => {
      const b = buildApp({ configFile: CUSTOM_CONFIG });
      const custom = b.config;
      b.service$.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        DefaultRouteSettings: { ThrottlingRateLimit: custom.api.throttleRateLimit, ThrottlingBurstLimit: custom.api.throttleBurstLimit },
      });
      b.service$.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
      b.service$.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(30 minutes)' });
    });

    it('outputs the API URL, the execute-api ARN for callers, and the alarm topic ARN', () => {
      const t = built.service$;
      t.hasOutput('ApiUrl', { Value: { 'Fn::Join': ['', Match.arrayWith(['https://', Match.objectLike({ Ref: Match.stringLikeRegexp('HttpApi') })])] } });
      t.hasOutput('ApiInvokeArn', Match.anyValue());
      t.hasOutput('AlarmTopicArn', { Value: { Ref: Match.stringLikeRegexp('AlarmsTopic') } });
    });
  });

  describe('delegation refresher schedule', () => {
    it('runs the refresher on the configured expression with a retry policy and an encrypted DLQ', () => {
      const t = built.service$;
      const dlq = new Capture();
      t.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: built.config.delegation.schedule,
        State: 'ENABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: { 'Fn::GetAtt': [functionLogicalId(t, DELEGATION_REFRESHER.id), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 1800 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlq, 'Arn'] } },
          RoleArn: Match.anyValue(),
        },
      });
      const queue = (t.findResources('AWS::SQS::Queue') as Res)[dlq.asString()];
      expect(queue.Properties).toEqual(expect.objectContaining({ SqsManagedSseEnabled: true }));
      // enforceSSL: a queue policy denies any request without TLS.
      t.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: dlq.asString() }],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        },
      });
    });

    it('sends runs that fail inside the function to the same DLQ (Scheduler invokes Lambda asynchronously)', () => {
      const t = built.service$;
      const dlq = Object.keys(t.findResources('AWS::SQS::Queue'))[0];
      t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: functionLogicalId(t, DELEGATION_REFRESHER.id) },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlq, 'Arn'] } } },
      });
    });

    it("lets the scheduler's role invoke only the refresher", () => {
      const t = built.service$;
      const refresher = functionLogicalId(t, DELEGATION_REFRESHER.id);
      const invokes = Object.values(t.findResources('AWS::IAM::Policy') as Res)
        .flatMap((p) => p.Properties.PolicyDocument.Statement)
        .filter((s: any) => [s.Action].flat().includes('lambda:InvokeFunction'));
      expect(invokes).toHaveLength(1);
      expect(JSON.stringify(invokes[0].Resource)).toContain(refresher);
      for (const route of ROUTES) expect(JSON.stringify(invokes[0].Resource)).not.toContain(functionLogicalId(t, route.id));
      t.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [
            Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': Match.anyValue() } } }),
          ],
        },
      });
    });
  });

  describe('alarms', () => {
    const alarms = () => built.service$.findResources('AWS::CloudWatch::Alarm') as Res;
    const topicRef = () => ({ Ref: Object.keys(built.service$.findResources('AWS::SNS::Topic'))[0] });

    it('notify an SNS topic encrypted with a rotating CMK that CloudWatch may use', () => {
      const t = built.service$;
      t.resourceCountIs('AWS::SNS::Topic', 1);
      const key = new Capture();
      t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
      t.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: Match.arrayWith(['kms:Decrypt', 'kms:GenerateDataKey*']) }),
          ]),
        },
      });
      expect(Object.keys(t.findResources('AWS::KMS::Key'))).toContain(key.asString());
      for (const a of Object.values(alarms())) {
        expect(a.Properties.AlarmActions).toEqual([topicRef()]);
        expect(a.Properties.OKActions).toEqual([topicRef()]);
      }
    });

    it('fire on refresher function errors', () => {
      built.service$.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionLogicalId(built.service$, DELEGATION_REFRESHER.id) } }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    });

    it('fire on the DelegationRefreshFailed metric the refresher emits', () => {
      built.service$.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: METRICS_NAMESPACE,
        MetricName: METRIC.delegationRefreshFailed,
        Dimensions: [{ Name: 'service', Value: built.config.serviceName }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    });

    it('fire when the DLQ holds a message', () => {
      const dlq = Object.keys(built.service$.findResources('AWS::SQS::Queue'))[0];
      built.service$.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    });

    it('fire when the delegation nears expiry, and when the refresher stops reporting (missing data breaches)', () => {
      built.service$.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: METRICS_NAMESPACE,
        MetricName: METRIC.delegationSecondsLeft,
        Dimensions: [{ Name: 'service', Value: built.config.serviceName }],
        Statistic: 'Minimum',
        Threshold: built.config.observability.delegationAlarmSeconds,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
        Period: 7200,
      });
    });

    it('fire on the API 5xx rate', () => {
      const metrics = new Capture();
      built.service$.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Metrics: metrics,
        Threshold: 5,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
      });
      const ms = metrics.asArray();
      expect(ms.find((m: any) => m.ReturnData !== false).Expression).toMatch(/100 \* errors \/ requests/);
      const names = ms.filter((m: any) => m.MetricStat).map((m: any) => [m.Id, m.MetricStat.Metric.Namespace, m.MetricStat.Metric.MetricName]);
      expect(names.sort()).toEqual([
        ['errors', 'AWS/ApiGateway', '5xx'],
        ['requests', 'AWS/ApiGateway', 'Count'],
      ]);
    });

    it('are exactly these twelve', () => {
      expect(Object.keys(alarms())).toHaveLength(12);
    });

    it('size the delegation alarm period to the schedule', () => {
      expect(delegationAlarmPeriod('rate(1 hour)').toSeconds()).toBe(7200);
      expect(delegationAlarmPeriod('rate(1 minute)').toSeconds()).toBe(300);
      expect(delegationAlarmPeriod('rate(30 minutes)').toSeconds()).toBe(3600);
      expect(delegationAlarmPeriod('rate(12 hours)').toSeconds()).toBe(86_400);
      expect(delegationAlarmPeriod('cron(0 * * * ? *)').toSeconds()).toBe(7200);
      // Every 6 h on weekdays only: the weekend gap (Fri 18:00 to Mon 00:00, 54 h) is what counts.
      expect(() => delegationAlarmPeriod('cron(0 0/6 ? * MON-FRI *)')).toThrow(/54\.0 h between refresher runs/);
      expect(delegationAlarmPeriod('cron(15 0/4 * * ? *)').toSeconds()).toBe(28_800);
    });

    it('refuses at synth a schedule the alarm cannot watch (runs more than 12 h apart) or cannot read', () => {
      for (const schedule of ['rate(2 days)', 'rate(13 hours)', 'cron(0 3 * * ? *)']) {
        expect(() => delegationAlarmPeriod(schedule)).toThrow(
          expect.objectContaining({ code: 'CONFIG_NOT_DEPLOYABLE', message: expect.stringMatching(/^delegation\.schedule: .*rate\(12 hours\) or more often/) }),
        );
      }
      expect(() => delegationAlarmPeriod('cron(0 * * * *)')).toThrow(/6 fields/);
    });
  });

  it('keeps every function environment under the Lambda limit with the example config', () => {
    for (const fn of Object.values(built.service$.findResources('AWS::Lambda::Function') as Res)) {
      const env = fn.Properties.Environment.Variables as Record<string, unknown>;
      const bytes = Object.entries(env).reduce((n, [k, v]) => n + k.length + (typeof v === 'string' ? v.length : 255), 0);
      expect(bytes).toBeLessThan(LAMBDA_ENV_LIMIT_BYTES);
    }
  });
});
