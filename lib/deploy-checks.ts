/**
 * What `cdk synth` checks on a config beyond its schema: values the schema accepts but the AWS
 * resources they feed do not (a log retention CloudWatch rejects, a refresher schedule the
 * delegation alarm cannot watch, a function environment over Lambda's 4 KB). The stacks apply
 * these while they build; `buildServiceApp` runs this first, and `npm start` runs the same
 * function on the config it deploys locally (its own, or `--config`'s, checked before anything
 * starts), so a config that starts locally also synthesises.
 */
import { Token } from 'aws-cdk-lib';
import { LAMBDA_ENV_LIMIT_BYTES, type ServiceConfig } from '../functions/commons/config';
import { functionEnvironment } from './function-environment';
import { minimumRefreshMarginSeconds } from './refresh-schedule';
import { ALL_FUNCTIONS } from './routes';
import { delegationAlarmPeriod } from './service-alarms';
import { ConfigNotDeployableError, EnvironmentTooLargeError, environmentBytes, retentionDays } from './service-function';

/**
 * Throws ConfigNotDeployableError or EnvironmentTooLargeError (both with a `code`), as synth would.
 * The table name is the stateful stack's export at synth: an unresolved token, counted at its
 * longest, exactly as the function construct counts it.
 */
export function validateDeployable(config: ServiceConfig): void {
  retentionDays(config.observability.logRetentionDays);
  delegationAlarmPeriod(config.delegation.schedule);
  assertMarginCoversSchedule(config);
  const tableName = Token.asString({ 'Fn::ImportValue': 'table-name' });
  for (const def of ALL_FUNCTIONS) {
    const bytes = environmentBytes(functionEnvironment(def, config, tableName));
    if (bytes > LAMBDA_ENV_LIMIT_BYTES) throw new EnvironmentTooLargeError(def.id, bytes);
  }
}

/**
 * A margin smaller than the schedule's longest gap plus one run's retries schedules an outage: a
 * run that finds the delegation just outside the margin leaves it, and it runs out (503
 * NO_VALID_DELEGATION) before the next run can replace it.
 */
export function assertMarginCoversSchedule(config: ServiceConfig): void {
  const { schedule, refreshMarginSeconds } = config.delegation;
  const rule = minimumRefreshMarginSeconds(schedule);
  if (refreshMarginSeconds >= rule.minimum) return;
  throw new ConfigNotDeployableError(
    `delegation.refreshMarginSeconds (${refreshMarginSeconds}) must be at least ${rule.minimum} for '${schedule}': ` +
      `the longest gap between refresher runs (${rule.gap} s) + one run's retries (${rule.retries} s: Scheduler's and Lambda's retry windows and the refresher's timeout) ` +
      `+ the ${rule.floor} s a delegation must have left to be used. With less, a run that finds the delegation just outside the margin leaves it, ` +
      'and issuing answers 503 NO_VALID_DELEGATION before the next run replaces it.',
  );
}
