/**
 * The alarms an operator needs: the refresher is failing, the delegation is about to run out
 * (which also fires when the refresher stops reporting at all), and the API answers with 5xx.
 * All of them notify one encrypted SNS topic, which CloudWatch may publish to for these alarms
 * only; subscriptions come from the config or are added by hand.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
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
  readonly deadLetterQueue: sqs.IQueue;
  readonly api: apigwv2.HttpApi;
  /**
   * Alarm when more than this percentage of API requests in a period end in 5xx.
   * @default 5
   */
  readonly api5xxPercent?: number;
}

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

  constructor(scope: Construct, id: string, props: ServiceAlarmsProps) {
    super(scope, id);
    const { config } = props;
    const name = config.serviceName;

    // Every alarm is named `<serviceName>-<id>`, so the topic and its key can trust CloudWatch for
    // these alarms only (aws:SourceArn), not for any alarm in the account.
    const stack = Stack.of(this);
    const fromOurAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: `${name}-*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
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
        s.protocol === 'email' ? new subscriptions.EmailSubscription(s.endpoint) : new subscriptions.UrlSubscription(s.endpoint, { protocol: sns.SubscriptionProtocol.HTTPS }),
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

    for (const alarm of [this.refresherErrors, this.refreshFailed, this.deadLetters, this.delegationNearExpiry, this.capacityNearExpiry, this.api5xxRate]) {
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
    }
  }
}
