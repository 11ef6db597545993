/**
 * One Logger, Metrics and Tracer per execution environment, configured at module scope so every
 * module of a function shares them (Powertools keeps per-invocation state on these instances).
 *
 * The service name comes from POWERTOOLS_SERVICE_NAME (the stack sets it to the configured
 * serviceName); metrics carry it as their one dimension, as the alarms expect.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
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

export const tracer = new Tracer({ serviceName });

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
