/**
 * One Logger, Metrics and Tracer per execution environment, configured at module scope so every
 * module of a function shares them (Powertools keeps per-invocation state on these instances).
 * The Tracer is made on first use, and only where it traces (see traceAwsClient).
 *
 * The service name comes from POWERTOOLS_SERVICE_NAME (the stack sets it to the configured
 * serviceName); metrics carry it as their one dimension, as the alarms expect.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import { METRICS_NAMESPACE, METRIC_SERVICE_DIMENSION } from './metric-names';
import type { MetricsSink } from './ports';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'lit-session-service';

export const logger = new Logger({ serviceName });

export const metrics = new Metrics({
  namespace: METRICS_NAMESPACE,
  serviceName,
  // Powertools adds `service` itself; naming it here keeps the alarm's dimension explicit.
  defaultDimensions: { [METRIC_SERVICE_DIMENSION]: serviceName },
});

/**
 * Whether Powertools' Tracer traces here, by its own rule (`setTracingEnabled` in
 * @aws-lambda-powertools/tracer): not when POWERTOOLS_TRACE_ENABLED is `false`, not outside
 * Lambda (AWS_EXECUTION_ENV unset), not under Amplify's mock or the SAM CLI.
 */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.POWERTOOLS_TRACE_ENABLED ?? '').toLowerCase() === 'false') return false;
  const executionEnv = env.AWS_EXECUTION_ENV ?? '';
  return executionEnv !== '' && executionEnv !== 'AWS_Lambda_amplify-mock' && !env.AWS_SAM_LOCAL;
}

let tracer: Tracer | undefined;

/**
 * `client`, traced with X-Ray subsegments where tracing is on; as it is otherwise. The Tracer is
 * loaded only then: loading it loads the X-Ray SDK, whose async-context hook then runs on every
 * promise of every request, traced or not (about 8% of a repeat's CPU in the local stack, where
 * tracing is off).
 */
export function traceAwsClient<T>(client: T): T {
  if (!tracingEnabled()) return client;
  // A require, not an import: only this path may load the module (esbuild keeps it lazy).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Tracer } = require('@aws-lambda-powertools/tracer') as typeof import('@aws-lambda-powertools/tracer');
  tracer ??= new Tracer({ serviceName });
  return tracer.captureAWSv3Client(client);
}

/** The domain's metrics port, over Powertools (EMF): counts and second-valued gauges. */
export const metricsSink: MetricsSink = {
  count(name, value = 1) {
    metrics.addMetric(name, MetricUnit.Count, value);
  },
  seconds(name, value) {
    metrics.addMetric(name, MetricUnit.Seconds, value);
  },
};

/** What `instrumented` touches (the instances above in production; tests pass doubles). */
export interface InvocationTelemetry {
  logger: Pick<Logger, 'resetKeys' | 'addContext'>;
  metrics: Pick<Metrics, 'hasStoredMetrics' | 'publishStoredMetrics'>;
}

/**
 * The per-invocation Powertools setup every function shares (API routes and the scheduled
 * refresher): fresh log keys with the Lambda context, then `run`, then stored metrics flushed
 * whatever happened.
 */
export async function instrumented<T>(
  context: Partial<Context> | undefined,
  run: () => Promise<T>,
  telemetry: InvocationTelemetry = { logger, metrics },
): Promise<T> {
  telemetry.logger.resetKeys();
  if (context?.functionName) telemetry.logger.addContext(context as Context);
  try {
    return await run();
  } finally {
    try {
      // Only when there is something: Powertools warns on every empty flush.
      if (telemetry.metrics.hasStoredMetrics()) telemetry.metrics.publishStoredMetrics();
    } catch {
      // Metrics must never turn an answer (or a run's own outcome) into an error.
    }
  }
}
