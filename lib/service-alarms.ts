/**
 * The alarms an operator needs: the refresher is failing, the delegation or the capacity NFT is
 * about to run out (the delegation alarm also fires when the refresher stops reporting at all),
 * the API answers with 5xx or too many 429s, the issue function crashes, is throttled or nears its
 * timeout, and the table throttles or errs.
 * All of them notify one encrypted SNS topic, which CloudWatch may publish to for these alarms
 * only; subscriptions come from the config or are added by hand.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ServiceConfig } from '../functions/commons/config';
import { METRIC, METRICS_NAMESPACE, METRIC_SERVICE_DIMENSION } from '../functions/commons/metric-names';
import { scheduleIntervalSeconds } from './schedule-interval';
import { ConfigNotDeployableError } from './service-function';

export interface ServiceAlarmsProps {
  readonly config: ServiceConfig;
  readonly refresher: lambda.IFunction;
  /** IssueSessionSigs, the function callers depend on. */
  readonly issue: lambda.IFunction;
  /** Its timeout: the duration alarm fires near it. */
  readonly issueTimeout: Duration;
  readonly deadLetterQueue: sqs.IQueue;
  readonly api: apigwv2.HttpApi;
  /** The stage's access log group (JSON lines with `status` and `apiId`). */
  readonly accessLogs: logs.ILogGroup;
  readonly table: dynamodb.ITable;
  /**
   * Alarm when more than this percentage of API requests in a period end in 5xx.
   * @default 5
   */
  readonly api5xxPercent?: number;
  /**
   * Alarm when more than this percentage of API requests in a period are refused with 429
   * (the stage's throttle or a caller's rate limit).
   * @default 5
   */
  readonly api429Percent?: number;
}

/** The item operations the functions make (an alarm's metric math takes at most 10 metrics). */
const TABLE_OPERATIONS = [dynamodb.Operation.GET_ITEM, dynamodb.Operation.PUT_ITEM, dynamodb.Operation.UPDATE_ITEM];

/** CloudWatch's longest metric-alarm period. */
const MAX_ALARM_PERIOD_SECONDS = 86_400;

/**
 * Period for the delegation-expiry alarm. The refresher emits DelegationSecondsLeft once per run,
 * so a period must hold at least one run, with room for one late or retried run: twice the
 * longest time between runs (a rate, or a cron's longest gap), at least 5 minutes. A schedule
 * whose runs are more than 12 h apart cannot be watched (an alarm period is at most one day: it
 * would see no data between runs and alarm), so it fails synth instead of deploying an alarm that
 * cries wolf.
 */
export function delegationAlarmPeriod(schedule: string): Duration {
  let interval: number;
  try {
    interval = scheduleIntervalSeconds(schedule);
  } catch (e) {
    throw new ConfigNotDeployableError(`delegation.schedule: ${(e as Error).message}`);
  }
  const seconds = Math.max(300, 2 * interval);
  if (seconds > MAX_ALARM_PERIOD_SECONDS) {
    throw new ConfigNotDeployableError(
      `delegation.schedule: '${schedule}' leaves up to ${(interval / 3600).toFixed(1)} h between refresher runs; ` +
        'the delegation alarm needs a run at least every 12 h (a CloudWatch alarm period is at most one day). Use rate(12 hours) or more often.',
    );
  }
  return Duration.seconds(Math.ceil(seconds / 60) * 60);
}

export class ServiceAlarms extends Construct {
  readonly topic: sns.Topic;
  readonly refresherErrors: cloudwatch.Alarm;
  readonly refreshFailed: cloudwatch.Alarm;
  readonly deadLetters: cloudwatch.Alarm;
  readonly delegationNearExpiry: cloudwatch.Alarm;
  readonly capacityNearExpiry: cloudwatch.Alarm;
  readonly api5xxRate: cloudwatch.Alarm;
  readonly issueErrors: cloudwatch.Alarm;
  readonly issueThrottles: cloudwatch.Alarm;
  readonly issueDurationNearTimeout: cloudwatch.Alarm;
  readonly api429Rate: cloudwatch.Alarm;
  readonly tableThrottles: cloudwatch.Alarm;
  readonly tableSystemErrors: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ServiceAlarmsProps) {
    super(scope, id);
    const { config } = props;
    const name = config.serviceName;
    // The refresher replaces a delegation only once it has less than the margin left, so a
    // delegation normally runs down to the margin: an alarm threshold at or above it would fire
    // before every refresh.
    if (config.observability.delegationAlarmSeconds >= config.delegation.refreshMarginSeconds) {
      throw new ConfigNotDeployableError(
        `observability.delegationAlarmSeconds (${config.observability.delegationAlarmSeconds}) must be less than delegation.refreshMarginSeconds ` +
          `(${config.delegation.refreshMarginSeconds}): a delegation runs down to the margin before each refresh, so the alarm would fire every time.`,
      );
    }

    // Every alarm is named `<serviceName>-<id>`, so the topic and its key can trust CloudWatch for
    // these alarms only (aws:SourceArn), not for any alarm in the account.
    const stack = Stack.of(this);
    const fromOurAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: `${name}-*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      },
    };
    const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');

    // A customer-managed key: CloudWatch cannot publish to a topic under the AWS-managed SNS key.
    const key = new kms.Key(this, 'TopicKey', {
      description: `${name}: encrypts the alarm topic`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // CloudWatch encrypts each notification with this key as it publishes.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowThisServicesAlarmsToUseTheKey',
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromOurAlarms,
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', { displayName: `${name} alarms`, masterKey: key, enforceSSL: true });
    // enforceSSL writes a topic policy, and a topic policy replaces SNS's default one: without this
    // statement the policy holds only the TLS Deny and CloudWatch is "not authorized to perform
    // SNS:Publish", so no alarm would reach anyone.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowThisServicesAlarmsToPublish',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromOurAlarms,
      }),
    );
    for (const s of config.observability.alarmSubscriptions) {
      this.topic.addSubscription(
        s.protocol === 'email'
          ? new subscriptions.EmailSubscription(s.endpoint)
          : new subscriptions.UrlSubscription(s.endpoint, { protocol: sns.SubscriptionProtocol.HTTPS }),
      );
    }
    const notify = new actions.SnsAction(this.topic);

    const dims = { [METRIC_SERVICE_DIMENSION]: name };
    const five = Duration.minutes(5);

    /** An alarm that fires on any occurrence in a 5-minute period; no data means nothing happened. */
    const onAnyOccurrence = (id: string, alarmDescription: string, metric: cloudwatch.IMetric) =>
      new cloudwatch.Alarm(this, id, {
        alarmName: `${name}-${id}`,
        alarmDescription,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });

    this.refresherErrors = onAnyOccurrence(
      'RefresherErrors',
      `${name}: the delegation refresher function failed (see its log group)`,
      props.refresher.metricErrors({ period: five, statistic: cloudwatch.Stats.SUM }),
    );

    this.refreshFailed = onAnyOccurrence(
      'RefreshFailed',
      `${name}: a delegation refresh run reported failure (${METRIC.delegationRefreshFailed})`,
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: METRIC.delegationRefreshFailed,
        dimensionsMap: dims,
        statistic: cloudwatch.Stats.SUM,
        period: five,
      }),
    );

    this.deadLetters = onAnyOccurrence(
      'RefresherDeadLetters',
      `${name}: refresher runs were lost (undeliverable or failed after retries) and sit in the dead-letter queue`,
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: five, statistic: cloudwatch.Stats.MAXIMUM }),
    );

    this.delegationNearExpiry = new cloudwatch.Alarm(this, 'DelegationNearExpiry', {
      alarmName: `${name}-DelegationNearExpiry`,
      alarmDescription:
        `${name}: the capacity delegation has less than ${config.observability.delegationAlarmSeconds} s left, ` +
        'or the refresher stopped reporting; issuance fails with 503 NO_VALID_DELEGATION once it expires',
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: METRIC.delegationSecondsLeft,
        dimensionsMap: dims,
        statistic: cloudwatch.Stats.MINIMUM,
        period: delegationAlarmPeriod(config.delegation.schedule),
      }),
      threshold: config.observability.delegationAlarmSeconds,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      // No data means no refresher run reported: as bad as an expiring delegation.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });

    // Once the NFT expires the nodes refuse every issuance, while the delegation (cut at the NFT's
    // expiry) still looks valid here: warn days ahead, while there is time to buy capacity.
    const capacityDays = config.observability.capacityAlarmDays;
    this.capacityNearExpiry = new cloudwatch.Alarm(this, 'CapacityNearExpiry', {
      alarmName: `${name}-CapacityNearExpiry`,
      alarmDescription:
        `${name}: the capacity credits NFT (token ${config.delegation.capacityTokenId}) expires in less than ${capacityDays} days; ` +
        'after that no delegation can be signed and every issuance fails. Mint a new one and set delegation.capacityTokenId',
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: METRIC.capacitySecondsLeft,
        dimensionsMap: dims,
        statistic: cloudwatch.Stats.MINIMUM,
        period: delegationAlarmPeriod(config.delegation.schedule),
      }),
      threshold: capacityDays * 86_400,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      // A refresher that stops reporting already trips DelegationNearExpiry.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const percent = props.api5xxPercent ?? 5;
    this.api5xxRate = new cloudwatch.Alarm(this, 'Api5xxRate', {
      alarmName: `${name}-Api5xxRate`,
      alarmDescription: `${name}: more than ${percent}% of API requests failed with 5xx in two of three 5-minute periods`,
      metric: new cloudwatch.MathExpression({
        expression: 'IF(requests > 0, 100 * errors / requests, 0)',
        usingMetrics: {
          errors: props.api.metricServerError({ period: five, statistic: cloudwatch.Stats.SUM }),
          requests: props.api.metricCount({ period: five, statistic: cloudwatch.Stats.SUM }),
        },
        period: five,
        label: 'API 5xx %',
      }),
      threshold: percent,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // The function callers depend on: a crash, a timeout or an out-of-memory (the handler answers
    // every error it catches, so Errors counts only those), throttling, and time running out.
    this.issueErrors = onAnyOccurrence(
      'IssueErrors',
      `${name}: IssueSessionSigs crashed or timed out (Lambda Errors; see its log group)`,
      props.issue.metricErrors({ period: five, statistic: cloudwatch.Stats.SUM }),
    );
    this.issueThrottles = onAnyOccurrence(
      'IssueThrottles',
      `${name}: IssueSessionSigs invocations were throttled (account or function concurrency)`,
      props.issue.metricThrottles({ period: five, statistic: cloudwatch.Stats.SUM }),
    );
    const nearTimeoutMs = Math.floor(props.issueTimeout.toMilliseconds() * 0.9);
    this.issueDurationNearTimeout = new cloudwatch.Alarm(this, 'IssueDurationNearTimeout', {
      alarmName: `${name}-IssueDurationNearTimeout`,
      alarmDescription: `${name}: an IssueSessionSigs invocation took over ${nearTimeoutMs} ms, 90% of its timeout (slow Lit nodes or chain, or cold starts)`,
      metric: props.issue.metricDuration({ period: five, statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: nearTimeoutMs,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // HTTP APIs publish 4xx but not 429 alone: count 429s from the access log (throttled by the
    // stage, or refused by a caller's rate limit).
    const limited = new logs.MetricFilter(this, 'Api429Filter', {
      logGroup: props.accessLogs,
      filterPattern: logs.FilterPattern.stringValue('$.status', '=', '429'),
      metricNamespace: METRICS_NAMESPACE,
      metricName: METRIC.api429,
      metricValue: '1',
      dimensions: { ApiId: '$.apiId' },
    });
    const percent429 = props.api429Percent ?? 5;
    this.api429Rate = new cloudwatch.Alarm(this, 'Api429Rate', {
      alarmName: `${name}-Api429Rate`,
      alarmDescription: `${name}: more than ${percent429}% of API requests were refused with 429 in two of three 5-minute periods (throttle or rate limits too low, or a caller misbehaving)`,
      metric: new cloudwatch.MathExpression({
        expression: 'IF(requests > 0, 100 * FILL(limited, 0) / requests, 0)',
        usingMetrics: {
          limited: limited.metric({ period: five, statistic: cloudwatch.Stats.SUM, dimensionsMap: { ApiId: props.api.apiId } }),
          requests: props.api.metricCount({ period: five, statistic: cloudwatch.Stats.SUM }),
        },
        period: five,
        label: 'API 429 %',
      }),
      threshold: percent429,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // The table: on demand, it still throttles past its partition or account limits; system errors are DynamoDB's own.
    this.tableThrottles = onAnyOccurrence(
      'TableThrottles',
      `${name}: DynamoDB throttled requests to the service table (issuance answers 503 STORAGE_UNAVAILABLE)`,
      props.table.metricThrottledRequestsForOperations({ operations: TABLE_OPERATIONS, period: five }),
    );
    this.tableSystemErrors = onAnyOccurrence(
      'TableSystemErrors',
      `${name}: DynamoDB answered requests to the service table with 500s (system errors)`,
      props.table.metricSystemErrorsForOperations({ operations: TABLE_OPERATIONS, period: five }),
    );

    for (const alarm of [
      this.refresherErrors,
      this.refreshFailed,
      this.deadLetters,
      this.delegationNearExpiry,
      this.capacityNearExpiry,
      this.api5xxRate,
      this.issueErrors,
      this.issueThrottles,
      this.issueDurationNearTimeout,
      this.api429Rate,
      this.tableThrottles,
      this.tableSystemErrors,
    ]) {
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
    }
  }
}
