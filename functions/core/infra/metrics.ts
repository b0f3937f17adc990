/**
 * The handlers' CloudWatch metrics, in embedded metric format: counted during
 * an invocation and written as one log line at its end, which CloudWatch
 * turns into metrics (no API call, no extra latency). Locally and in tests
 * the line goes to stdout; `POWERTOOLS_METRICS_DISABLED=true` keeps it out.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { defaultService, metricNamespace, serviceVariable, type MetricName } from './metric-names.ts';

let instance: Metrics | undefined;

/**
 * The one store of this container's metrics, built on first use: Powertools
 * reads its settings from the environment then, so a process that sets them
 * after loading the handlers (the local server) is heard.
 */
export function metrics(): Metrics {
  instance ??= new Metrics({ namespace: metricNamespace, serviceName: process.env[serviceVariable] || defaultService });
  return instance;
}

/** Forgets the store, so that the next count builds it again from the environment (the CPU benchmark measures with metrics on). */
export function resetMetrics(): void {
  instance = undefined;
}

/** One more of `name` in this invocation. */
export function count(name: MetricName): void {
  metrics().addMetric(name, MetricUnit.Count, 1);
}

export function measureSeconds(name: MetricName, seconds: number): void {
  metrics().addMetric(name, MetricUnit.Seconds, seconds);
}

/** Writes what this invocation counted; an invocation that counted nothing writes nothing (Powertools would warn). */
export function publishMetrics(): void {
  if (instance?.hasStoredMetrics()) instance.publishStoredMetrics();
}

/** `handler`, publishing its metrics when it returns or throws: for the handlers that are not middy routes. */
export const publishingMetrics =
  <Args extends unknown[], Result>(handler: (...args: Args) => Promise<Result>) =>
  async (...args: Args): Promise<Result> => {
    try {
      return await handler(...args);
    } finally {
      publishMetrics();
    }
  };
