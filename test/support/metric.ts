// Reads what a pipeline (or a driver's own metrics) exported, the way a scrape would see it.

import type { Registry } from 'prom-client';

type HasRegistry = { registry: Registry } | { metrics: { registry: Registry } };

/**
 * The sum of a prom-client metric's samples whose labels include `labels` (all samples when
 * none are given); a histogram counts its observations (`_count`). 0 when the metric is absent.
 * `from` is a pipeline or the Metrics of createMetrics().
 */
export async function metric(from: HasRegistry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const registry = 'registry' in from ? from.registry : from.metrics.registry;
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values ?? [])
    .filter((v) => !('metricName' in v) || v.metricName === `${name}_count` || v.metricName === name)
    .filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
    .reduce((s, v) => s + Number(v.value), 0);
}
