/**
 * Builds the whole CDK app from one validated config: the stateful stack, the service stack and
 * the cdk-nag AwsSolutions checks. The bin entry and the tests share it, so the tests check the
 * app that deploys.
 */
import { App, Validations } from 'aws-cdk-lib';
import { DEFAULT_CROSS_STACK_REFERENCES } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { ServiceConfig } from '../functions/commons/config';
import { validateDeployable } from './deploy-checks';
import { loadConfigFromContext } from './load-config';
import { ServiceStack } from './service-stack';
import { StatefulStack } from './stateful-stack';

export interface ServiceApp {
  app: App;
  config: ServiceConfig;
  stateful: StatefulStack;
  service: ServiceStack;
}

export interface BuildOptions {
  /**
   * Use this config instead of reading the file named by context.
   * @default the file named by context 'lit-session-service:config'
   */
  readonly config?: ServiceConfig;
  /**
   * Register the cdk-nag AwsSolutions checks (synth fails on any unacknowledged finding).
   * @default true
   */
  readonly nag?: boolean;
  /** @default the repository root */
  readonly projectRoot?: string;
}

/** Adds both stacks to `app`. Account and region are the deploying CLI's, resolved at deploy time. */
export function buildServiceApp(app: App, options: BuildOptions = {}): ServiceApp {
  // Strong references (the CDK default, made explicit): the stateful stack cannot drop an
  // export the service stack still uses, so the table cannot vanish under the functions.
  if (app.node.tryGetContext(DEFAULT_CROSS_STACK_REFERENCES) === undefined) app.node.setContext(DEFAULT_CROSS_STACK_REFERENCES, 'strong');
  const config = options.config ?? loadConfigFromContext(app.node).config;
  // The constructs check these too as they build; first, so synth and `npm start -- --config` fail alike.
  validateDeployable(config);
  // Environment-agnostic on purpose: account and region stay AWS::AccountId / AWS::Region in the
  // templates and resolve at deploy time. CDK_DEFAULT_REGION falls back to us-east-1 when no AWS
  // config is found, which pinned us-east-1 into ARNs of a template synthesized offline.
  const env = {};
  const name = config.serviceName;

  const stateful = new StatefulStack(app, `${name}-stateful`, {
    env,
    config,
    // `cdk destroy` or a stray delete-stack must not even start on the state (the service stack
    // is replaceable and left unprotected).
    terminationProtection: true,
    description: `${name}: table, key, owner-key secret reference (retained)`,
  });
  const service = new ServiceStack(app, `${name}-service`, {
    env,
    config,
    table: stateful.table,
    ownerKeySecret: stateful.ownerKeySecret,
    projectRoot: options.projectRoot,
    description: `${name}: functions, HTTP API, refresher schedule, alarms`,
  });

  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, config, stateful, service };
}
