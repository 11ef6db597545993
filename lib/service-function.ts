/**
 * The one place that says how a function of this service is built. Every route and job gets the
 * same runtime, architecture, bundling, logging, tracing and environment, and IAM grants that
 * follow its `needs` from the route table and nothing else.
 */
import * as path from 'node:path';
import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { LAMBDA_ENV_LIMIT_BYTES, RUNTIME_CONFIG_ENV, type ServiceConfig } from '../functions/commons/config';
import { idempotencyPartition } from '../functions/commons/table';
import { ESBUILD_OPTIONS, FUNCTION_DEFAULTS, functionLimits } from './function-defaults';
import { functionEnvironment } from './function-environment';
import { TABLE_PARTITIONS, type FunctionDef, type TableAction, type TablePartition } from './routes';

/** Repository root: handler entries in the route table are relative to it. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/** The CDK's runtime object for the runtime id in function-defaults.ts. */
const RUNTIME = new lambda.Runtime(FUNCTION_DEFAULTS.runtime, lambda.RuntimeFamily.NODEJS, { supportsInlineCode: true });

/**
 * Unresolved tokens (e.g. the table name imported from the stateful stack) have no length at
 * synth time; count them at the longest value they can take (a DynamoDB table name is at most
 * 255 characters) so the check never passes a template that Lambda would reject.
 */
const TOKEN_WORST_CASE_BYTES = 255;

/** Thrown at synth when a function's environment would exceed Lambda's 4 KB limit. */
export class EnvironmentTooLargeError extends Error {
  readonly code = 'LAMBDA_ENV_TOO_LARGE';
  constructor(
    readonly functionId: string,
    readonly bytes: number,
  ) {
    super(
      `Function ${functionId}: its environment variables take ${bytes} bytes, over Lambda's limit of ${LAMBDA_ENV_LIMIT_BYTES}. ` +
        `Most of it is ${RUNTIME_CONFIG_ENV} (the runtime config): shorten policy.callers (fewer PKPs or callers, ARN patterns instead of lists).`,
    );
    this.name = 'EnvironmentTooLargeError';
  }
}

/** Bytes Lambda counts for an environment: every key and value, UTF-8. */
export function environmentBytes(env: Record<string, string>): number {
  let total = 0;
  for (const [k, v] of Object.entries(env)) {
    total += Buffer.byteLength(k, 'utf8');
    total += Token.isUnresolved(v) ? TOKEN_WORST_CASE_BYTES : Buffer.byteLength(v, 'utf8');
  }
  return total;
}

/** CloudWatch Logs accepts only these retention periods (days). */
const RETENTION_DAYS = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number' && v > 0);

/** A config value the schema accepts but the AWS resource it feeds does not (caught at synth). */
export class ConfigNotDeployableError extends Error {
  readonly code = 'CONFIG_NOT_DEPLOYABLE';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigNotDeployableError';
  }
}

/** Maps the configured retention to CloudWatch's enum, failing synth on a value CloudWatch rejects. */
export function retentionDays(days: number): logs.RetentionDays {
  if (!RETENTION_DAYS.includes(days)) {
    throw new ConfigNotDeployableError(
      `observability.logRetentionDays: ${days} is not a retention CloudWatch Logs accepts; use one of ${[...RETENTION_DAYS].sort((a, b) => a - b).join(', ')}`,
    );
  }
  return days as logs.RetentionDays;
}

export interface ServiceFunctionProps {
  /** Which handler, and what it needs (drives the grants). */
  readonly def: FunctionDef;
  /** The validated service config; its runtime part becomes SERVICE_CONFIG. */
  readonly config: ServiceConfig;
  readonly table: dynamodb.ITable;
  /** Granted (read) only when `def.needs.ownerKey`. */
  readonly ownerKeySecret: secretsmanager.ISecret;
  /**
   * Concurrency reserved for (and capping) this function.
   * @default none
   */
  readonly reservedConcurrency?: number;
  /**
   * Where handler entries are resolved and the lock file lives.
   * @default PROJECT_ROOT (this repository)
   */
  readonly projectRoot?: string;
}

/** One Lambda function of the service, with every default of the project applied. */
export class ServiceFunction extends Construct {
  readonly def: FunctionDef;
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    const { def, config } = props;
    this.def = def;
    const root = props.projectRoot ?? PROJECT_ROOT;
    const limits = functionLimits(def);

    const environment = functionEnvironment(def, config, props.table.tableName);
    const bytes = environmentBytes(environment);
    if (bytes > LAMBDA_ENV_LIMIT_BYTES) throw new EnvironmentTooLargeError(def.id, bytes);

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: retentionDays(config.observability.logRetentionDays) });

    // An explicit role instead of the default one: the default attaches the managed
    // AWSLambdaBasicExecutionRole (logs:* on every log group); this one may write its own group only.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${config.serviceName} ${def.id}: its log group, X-Ray, and what the route table grants`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(root, def.entry),
      // A fixed name (`<serviceName>-<id>`), so the README's SCP that denies direct invocation can
      // name these functions exactly.
      functionName: `${config.serviceName}-${def.id}`,
      handler: 'handler',
      projectRoot: root,
      depsLockFilePath: path.join(root, 'package-lock.json'),
      description: def.description,
      runtime: RUNTIME,
      architecture: FUNCTION_DEFAULTS.architecture === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64,
      timeout: Duration.seconds(limits.timeoutSeconds),
      memorySize: limits.memoryMb,
      reservedConcurrentExecutions: props.reservedConcurrency,
      logGroup: this.logGroup,
      role: this.role,
      environment,
      // The SDK v3 keeps connections alive by default; the v2-era variable is noise.
      awsSdkConnectionReuse: false,
      // ESBUILD_OPTIONS in NodejsFunction's words (it always bundles, for platform node).
      bundling: {
        // Local esbuild only: Docker is not available where this is built.
        forceDockerBundling: false,
        format: ESBUILD_OPTIONS.format as OutputFormat,
        target: ESBUILD_OPTIONS.target,
        minify: ESBUILD_OPTIONS.minify,
        sourceMap: ESBUILD_OPTIONS.sourcemap,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: ESBUILD_OPTIONS.sourcesContent,
        bundleAwsSDK: true,
        externalModules: [],
      },
    });
    this.enableTracing();
    // No AwsSolutions-L1 acknowledgement: nodejs24.x is the latest runtime cdk-lib knows, so the rule does not fire (test/cdk/nag.test.ts fails on an acknowledgement that is not needed).

    this.grantFromNeeds(props);
  }

  /**
   * Active X-Ray tracing, with its one `Resource: *` statement in a policy of its own and the
   * wildcard acknowledged on that policy only. `tracing: ACTIVE` on the function would put the
   * statement in the role's default policy, where the acknowledgement (on the role) would also
   * cover any wildcard granted later.
   */
  private enableTracing(): void {
    (this.function.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: lambda.Tracing.ACTIVE };
    const policy = new iam.Policy(this, 'Tracing', {
      roles: [this.role],
      statements: [new iam.PolicyStatement({ actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] })],
    });
    // Lambda checks the role's X-Ray permissions when tracing is set.
    this.function.node.addDependency(policy);
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments and PutTelemetryRecords do not support resource-level permissions (active tracing); this policy holds that one statement only.',
    });
  }

  /**
   * One statement per item action, each limited to the partitions the function uses it on
   * (`dynamodb:LeadingKeys`), in a policy of its own. Not grantReadWriteData: that gives Scan,
   * Query, DeleteItem and BatchWriteItem on every item, so the function that handles caller input
   * could read every caller's session keys or rewrite the delegation and the audit trail.
   * ForAllValues passes when the key is absent, which is safe only because every action granted
   * here names one item or (Query) one partition, so the request always carries its partition key.
   */
  private grantTable(props: ServiceFunctionProps): void {
    const byAction = new Map<TableAction, string[]>();
    for (const [partition, actions] of Object.entries(props.def.needs.table) as [TablePartition, readonly TableAction[]][])
      for (const action of actions) {
        // Idempotency records: this function's own partition, not every function's.
        const pattern = partition === 'idempotency' ? idempotencyPartition(props.def.id) : TABLE_PARTITIONS[partition];
        byAction.set(action, [...(byAction.get(action) ?? []), pattern]);
      }
    if (byAction.size === 0) return;

    const statements = [...byAction].map(
      ([action, partitions]) =>
        new iam.PolicyStatement({
          actions: [`dynamodb:${action}`],
          resources: [props.table.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': partitions } },
        }),
    );
    const key = props.table.encryptionKey;
    if (key) {
      // The table key, through DynamoDB only: the role cannot decrypt anything else with it.
      const writes = [...byAction.keys()].some((a) => a !== 'GetItem');
      statements.push(
        new iam.PolicyStatement({
          actions: writes ? ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'] : ['kms:Decrypt'],
          resources: [key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }
    const policy = new iam.Policy(this, 'TableAccess', { roles: [this.role], statements });
    this.function.node.addDependency(policy);
    for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
      if (!statements.some((s) => s.actions.includes(action))) continue;
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: `${action} is the table key's write set (as DynamoDB's own write grant), on the table's customer-managed key only, through DynamoDB only (kms:ViaService).`,
      });
    }
  }

  private grantFromNeeds(props: ServiceFunctionProps): void {
    const { def } = props;
    this.grantTable(props);
    // The secret grant needs no wildcard acknowledgement: a name or partial ARN ends in -?????? (one
    // secret's random suffix), which is not a wildcard finding.
    if (def.needs.ownerKey) {
      props.ownerKeySecret.grantRead(this.role);
      // A secret under a customer-managed key also needs kms:Decrypt, through Secrets Manager only.
      // Explicit: an imported key ARN from another environment gets no grant from grantRead.
      const keyArn = props.config.ownerKeySecretKmsKeyArn;
      if (keyArn) {
        this.role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            actions: ['kms:Decrypt'],
            resources: [keyArn],
            conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
          }),
        );
      }
    }
  }
}

/**
 * A complete secret ARN ends with the random suffix Secrets Manager appends (`-` and 6 characters).
 * Anything else (a name, or an ARN without the suffix) is matched with a `-??????` wildcard.
 */
export function isCompleteSecretArn(nameOrArn: string): boolean {
  return /^arn:[^:]+:secretsmanager:[^:]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/.test(nameOrArn);
}
