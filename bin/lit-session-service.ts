#!/usr/bin/env node
/**
 * CDK app entry (cdk.json runs it with tsx). The config file comes from context
 * `lit-session-service:config`; a bad file stops here with the file and every problem named.
 */
import { App } from 'aws-cdk-lib';
import { buildServiceApp } from '../lib/app';
import { ConfigFileError, loadConfigFromContext } from '../lib/load-config';
import { ConfigNotDeployableError, EnvironmentTooLargeError } from '../lib/service-function';

/** Prints a config problem without a stack trace (it adds nothing) and stops synth. */
function stop(message: string): never {
  console.error(message);
  process.exit(1);
}

const app = new App();
let file = '';
try {
  const loaded = loadConfigFromContext(app.node);
  file = loaded.file;
  buildServiceApp(app, { config: loaded.config });
} catch (e) {
  if (e instanceof ConfigFileError) stop(e.message);
  if (e instanceof ConfigNotDeployableError || e instanceof EnvironmentTooLargeError) stop(`lit-session-service config file ${file}: ${e.message}`);
  throw e;
}
app.synth();
