/**
 * What `cdk synth` checks on a config beyond its schema: values the schema accepts but the AWS
 * resources they feed do not (a log retention CloudWatch rejects, a refresher schedule the
 * delegation alarm cannot watch, a function environment over Lambda's 4 KB). The stacks apply
 * these while they build; `buildServiceApp` runs this first, and the local stack runs the same
 * function on `npm start -- --config`, so a config that starts locally also synthesises.
 */
import { Token } from 'aws-cdk-lib';
import { LAMBDA_ENV_LIMIT_BYTES, type ServiceConfig } from '../functions/commons/config';
import { functionEnvironment } from './function-environment';
import { ALL_FUNCTIONS } from './routes';
import { delegationAlarmPeriod } from './service-alarms';
import { EnvironmentTooLargeError, environmentBytes, retentionDays } from './service-function';

/**
 * Throws ConfigNotDeployableError or EnvironmentTooLargeError (both with a `code`), as synth would.
 * The table name is the stateful stack's export at synth: an unresolved token, counted at its
 * longest, exactly as the function construct counts it.
 */
export function assertDeployable(config: ServiceConfig): void {
  retentionDays(config.observability.logRetentionDays);
  delegationAlarmPeriod(config.delegation.schedule);
  const tableName = Token.asString({ 'Fn::ImportValue': 'table-name' });
  for (const def of ALL_FUNCTIONS) {
    const bytes = environmentBytes(functionEnvironment(def, config, tableName));
    if (bytes > LAMBDA_ENV_LIMIT_BYTES) throw new EnvironmentTooLargeError(def.id, bytes);
  }
}
