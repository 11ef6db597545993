/**
 * The HTTP API in front of the route functions. Every route is IAM (SigV4) authorized: callers are
 * identified by their IAM principal, which the caller policy then matches. The default stage logs
 * every request as one JSON line and throttles each route (API Gateway applies a stage's default
 * route settings per route, so the API as a whole takes up to the sum); the admin routes get a
 * lower limit of their own.
 */
import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { API_INTEGRATION_TIMEOUT_MS, type ServiceConfig } from '../functions/commons/config';
import type { RouteDef } from './routes';
import { retentionDays } from './service-function';

/**
 * One JSON object per request. `caller` is the SigV4 principal the IAM authorizer verified: the
 * identity the caller policy is evaluated against, so access logs and audit records line up.
 */
export const ACCESS_LOG_FIELDS = {
  /** The metric filter that counts 429s uses it as its dimension (one API per deployment). */
  apiId: '$context.apiId',
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  routeKey: '$context.routeKey',
  status: '$context.status',
  caller: '$context.identity.userArn',
  callerAccount: '$context.identity.accountId',
  sourceIp: '$context.identity.sourceIp',
  latencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  responseLength: '$context.responseLength',
  error: '$context.error.message',
  integrationError: '$context.integrationErrorMessage',
} as const;

export interface ServiceApiProps {
  readonly config: ServiceConfig;
  /** One function per route, keyed by `RouteDef.id`. */
  readonly routes: ReadonlyArray<{ route: RouteDef; fn: lambda.IFunction }>;
}

export class ServiceApi extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ServiceApiProps) {
    super(scope, id);
    const { config } = props;
    const iam = new HttpIamAuthorizer();

    this.api = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: config.serviceName,
      description: `${config.serviceName}: Lit PKP session signatures for IAM-authenticated callers`,
      defaultAuthorizer: iam,
      // The default stage is made below, with access logs and throttling.
      createDefaultStage: false,
    });

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: retentionDays(config.observability.logRetentionDays) });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: config.api.throttleRateLimit, burstLimit: config.api.throttleBurstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: apigw.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    // RouteSettings is free-form JSON in CloudFormation: CDK does not rename its keys.
    const adminRouteSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const { route, fn } of props.routes) {
      const [added] = this.api.addRoutes({
        path: route.path,
        methods: [apigwv2.HttpMethod[route.method]],
        // Set explicitly: the handlers budget their time from it (API_INTEGRATION_TIMEOUT_MS).
        integration: new HttpLambdaIntegration(`${route.id}Integration`, fn, { timeout: Duration.millis(API_INTEGRATION_TIMEOUT_MS) }),
        // Explicit, though it is also the default: no route may ever be left open.
        authorizer: iam,
      });
      if (route.admin) {
        adminRouteSettings[`${route.method} ${route.path}`] = {
          ThrottlingRateLimit: config.api.adminThrottleRateLimit,
          ThrottlingBurstLimit: config.api.adminThrottleBurstLimit,
        };
        // Route settings name routes by key: the stage must come after them or the deploy fails.
        this.stage.node.addDependency(added);
      }
    }
    (this.stage.node.defaultChild as apigwv2.CfnStage).routeSettings = adminRouteSettings;
  }
}
