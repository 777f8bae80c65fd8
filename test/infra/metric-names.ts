import { createMetrics } from '@llmq/core';
import { Histogram } from 'prom-client';

/** Every metric name the llmq registry defines (without Node's default process metrics). */
export function registryMetricNames(): Set<string> {
  const metrics = createMetrics({ defaultMetrics: false });
  return new Set(metrics.registry.getMetricsAsArray().map((metric) => metric.name));
}

// PromQL words that are not metric names: functions, aggregations, keywords.
const promqlWords = new Set([
  'sum',
  'max',
  'min',
  'avg',
  'count',
  'by',
  'without',
  'rate',
  'irate',
  'increase',
  'histogram_quantile',
  'and',
  'or',
  'unless',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'le',
  'offset',
  'bool',
  'abs',
  'clamp_min',
  'clamp_max',
  'vector',
  'scalar',
  'time',
]);

/**
 * The metric names a PromQL expression reads: identifiers outside `{...}` label matchers and
 * `by (...)` lists, with a histogram's `_bucket`/`_sum`/`_count` series mapped to its name.
 */
export function metricNamesIn(expression: string, histograms: Set<string>): string[] {
  const stripped = expression
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, ' ')
    .replace(/"[^"]*"/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  const names = stripped.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  return names
    .filter((name) => !promqlWords.has(name))
    .map((name) => {
      const base = name.replace(/_(bucket|sum|count)$/, '');
      return base !== name && histograms.has(base) ? base : name;
    });
}

/** Names of the histograms in the registry (their series carry `_bucket`, `_sum`, `_count`). */
export function registryHistograms(): Set<string> {
  const metrics = createMetrics({ defaultMetrics: false });
  return new Set(
    metrics.registry
      .getMetricsAsArray()
      .filter((metric) => metric instanceof Histogram)
      .map((metric) => metric.name),
  );
}
