/**
 * Runs the delegation refresher on the configured schedule. Scheduler invokes Lambda
 * asynchronously, so failures can happen in two places: Scheduler failing to deliver (throttled,
 * permissions) and the function failing after delivery. Both end in the same dead-letter queue,
 * so one alarm on that queue sees every lost run.
 */
import { type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DELEGATION_MIN_REMAINING_SECONDS } from '../functions/commons/domain/delegation-limits';
import { DELEGATION_REFRESHER } from './routes';
import { scheduleIntervalSeconds } from './schedule-interval';

/**
 * How long one scheduled run may keep being retried: Scheduler redelivers for up to this age, then
 * Lambda's asynchronous retries of a failed invocation run for up to this age again.
 */
export const REFRESH_RUN_MAX_EVENT_AGE_SECONDS = 1800;

/**
 * The smallest `delegation.refreshMarginSeconds` that keeps a usable delegation across the
 * schedule: a run that finds the delegation just outside the margin leaves it alone, so it must
 * still be usable (DELEGATION_MIN_REMAINING_SECONDS left) when the next run, after the longest gap
 * and all of that run's retries, has replaced it:
 *   margin >= longest gap + 2 x REFRESH_RUN_MAX_EVENT_AGE_SECONDS + refresher timeout + the usable floor.
 */
export function minimumRefreshMarginSeconds(schedule: string): { minimum: number; gap: number; retries: number; floor: number } {
  const gap = scheduleIntervalSeconds(schedule);
  const retries = 2 * REFRESH_RUN_MAX_EVENT_AGE_SECONDS + (DELEGATION_REFRESHER.timeoutSeconds ?? 0);
  const floor = DELEGATION_MIN_REMAINING_SECONDS;
  return { minimum: gap + retries + floor, gap, retries, floor };
}

export interface RefreshScheduleProps {
  readonly refresher: lambda.IFunction;
  /** EventBridge Scheduler expression, `rate(...)` or `cron(...)` (config.delegation.schedule). */
  readonly expression: string;
  readonly serviceName: string;
  /**
   * Delivery attempts Scheduler makes after the first one fails.
   * @default 3
   */
  readonly retryAttempts?: number;
  /**
   * A run not delivered within this age is dropped to the DLQ: by then the next run is due.
   * The refresh margin rule (minimumRefreshMarginSeconds) counts on the default.
   * @default Duration.minutes(30)
   */
  readonly maxEventAge?: Duration;
  /**
   * Retries of a run whose function failed (Lambda's asynchronous retries, 0 to 2).
   * @default 2
   */
  readonly functionRetryAttempts?: number;
}

export class RefreshSchedule extends Construct {
  readonly schedule: scheduler.Schedule;
  readonly group: scheduler.ScheduleGroup;
  readonly deadLetterQueue: sqs.Queue;
  /** Assumed by EventBridge Scheduler to invoke the refresher and write the DLQ. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: RefreshScheduleProps) {
    super(scope, id);
    const maxEventAge = props.maxEventAge ?? Duration.seconds(REFRESH_RUN_MAX_EVENT_AGE_SECONDS);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the refresher schedule and of the refresher function.',
    });

    // Our own role (instead of the target's implicit one) so its one finding is acknowledged here.
    // A fixed name (`<serviceName>-sched-<region>`, IAM names are global): the README's SCP that
    // denies direct invocation exempts exactly this role.
    // A group of its own, so the role below can trust Scheduler for this group's schedules only
    // (Scheduler's aws:SourceArn is the schedule group, never a schedule).
    this.group = new scheduler.ScheduleGroup(this, 'Group', { removalPolicy: RemovalPolicy.DESTROY });
    this.role = new iam.Role(this, 'SchedulerRole', {
      roleName: `${props.serviceName}-sched-${Stack.of(this).region}`,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account, 'aws:SourceArn': this.group.scheduleGroupArn } },
      }),
      description: `${props.serviceName}: lets EventBridge Scheduler invoke the delegation refresher`,
    });
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(props.refresher.node.defaultChild as CfnElement)}.Arn>:*]`,
      reason: 'LambdaInvoke grants lambda:InvokeFunction on the refresher and its versions/aliases (ARN:*); it is that one function only.',
    });

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: `${props.serviceName}: refresh the capacity delegation before it expires`,
      schedule: scheduler.ScheduleExpression.expression(props.expression),
      scheduleGroup: this.group,
      timeWindow: scheduler.TimeWindow.off(),
      target: new LambdaInvoke(props.refresher, {
        role: this.role,
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: props.retryAttempts ?? 3,
        maxEventAge,
      }),
    });

    // GroupName is a literal, not a reference: make the order explicit.
    this.schedule.node.addDependency(this.group);

    props.refresher.configureAsyncInvoke({
      retryAttempts: props.functionRetryAttempts ?? 2,
      maxEventAge,
      onFailure: new SqsDestination(this.deadLetterQueue),
    });
  }
}
