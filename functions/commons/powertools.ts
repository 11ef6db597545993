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
