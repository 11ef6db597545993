/**
 * Everything that can be replaced freely: the functions (one per route and job, all from
 * ServiceFunction), the HTTP API, the refresher schedule and the alarms. State lives in the
 * StatefulStack; this stack only receives references to it.
 */
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { ServiceConfig } from '../functions/commons/config';
import { OwnerKeyGuard } from './owner-key-guard';
import { RefreshSchedule } from './refresh-schedule';
import { DELEGATION_REFRESHER, ROUTES } from './routes';
import { ServiceAlarms } from './service-alarms';
import { ServiceApi } from './service-api';
import { FUNCTION_DEFAULTS } from './function-defaults';
import { ServiceFunction } from './service-function';

export interface ServiceStackProps extends StackProps {
  readonly config: ServiceConfig;
  readonly table: dynamodb.ITable;
  readonly ownerKeySecret: secretsmanager.ISecret;
  /**
   * Where handler entries are resolved (tests point it elsewhere only to bundle a fixture).
   * @default the repository root
   */
  readonly projectRoot?: string;
}

export class ServiceStack extends Stack {
  /** Every function, keyed by its FunctionDef id (route ids and DelegationRefresher). */
  readonly functions: Record<string, ServiceFunction> = {};
  readonly api: ServiceApi;
  readonly refreshSchedule: RefreshSchedule;
  readonly alarms: ServiceAlarms;
  readonly ownerKeyGuard: OwnerKeyGuard;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { config } = props;
    const make = (def: (typeof ROUTES)[number] | typeof DELEGATION_REFRESHER, reservedConcurrency?: number) =>
      (this.functions[def.id] = new ServiceFunction(this, def.id, {
        def,
        config,
        table: props.table,
        ownerKeySecret: props.ownerKeySecret,
        projectRoot: props.projectRoot,
        reservedConcurrency,
      }));

    const routes = ROUTES.map((route) => ({ route, fn: make(route).function }));
    // Reserved, so issuance bursts elsewhere in the account cannot starve the one job that keeps
    // the delegation alive (a throttled scheduled run is retried, but may run out of retries).
    const refresher = make(DELEGATION_REFRESHER, config.reservedConcurrency.refresher || undefined).function;
    this.ownerKeyGuard = new OwnerKeyGuard(this, 'OwnerKey', {
      config,
      signingRoles: Object.values(this.functions)
        .filter((f) => f.def.needs.ownerKey)
        .map((f) => f.role),
    });

    this.api = new ServiceApi(this, 'Api', { config, routes });
    this.refreshSchedule = new RefreshSchedule(this, 'Refresh', {
      refresher,
      expression: config.delegation.schedule,
      serviceName: config.serviceName,
    });
    const issue = this.functions.IssueSessionSigs;
    this.alarms = new ServiceAlarms(this, 'Alarms', {
      config,
      refresher,
      issue: issue.function,
      issueTimeout: issue.function.timeout ?? Duration.seconds(FUNCTION_DEFAULTS.timeoutSeconds),
      deadLetterQueue: this.refreshSchedule.deadLetterQueue,
      api: this.api.api,
      accessLogs: this.api.accessLogs,
      table: props.table,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.stage.url, description: 'Base URL of the HTTP API (SigV4, service execute-api)' });
    new CfnOutput(this, 'ApiInvokeArn', {
      value: this.api.api.arnForExecuteApi(),
      description: "Resource for callers' execute-api:Invoke policies (narrow it per route as needed)",
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn, description: 'Subscribe to receive the alarms' });
  }
}
