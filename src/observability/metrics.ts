// All metrics of DESIGN §9 in one registry per pipeline (not the global one, so tests
// and several pipelines in one process do not collide). Every name exported here is listed
// in the README metrics table (test/observability/metrics-table.test.ts compares both ways).

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { packageVersion } from './build-info.js';

export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  // Process metrics under the names every Prometheus client library uses (process_cpu_seconds_total,
  // process_resident_memory_bytes, nodejs_*): the `job`/`instance` labels say which process, and
  // off-the-shelf dashboards and alerts work unchanged. A `zsf_` prefix would only rename them.
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry });
  const r = [registry];
  const buildInfo = new Gauge({ name: 'zsf_build_info', help: 'Always 1; the labels say which version runs on which Node.js', labelNames: ['version', 'node'] as const, registers: r });
  buildInfo.set({ version: packageVersion(), node: process.version }, 1);
  return {
    registry,
    // Per component, in the spirit of Vector's component_received/sent_*: events for every kind;
    // bytes where they are measured (see the README metrics table for what each counts).
    componentReceivedEvents: new Counter({ name: 'zsf_component_received_events_total', help: 'Events into a component: records read by a source, events into a transform, events pushed into a sink buffer', labelNames: ['component', 'kind'] as const, registers: r }),
    componentSentEvents: new Counter({ name: 'zsf_component_sent_events_total', help: 'Events out of a component: handed downstream by a source or transform, accepted by the destination of a sink', labelNames: ['component', 'kind'] as const, registers: r }),
    componentReceivedBytes: new Counter({ name: 'zsf_component_received_bytes_total', help: 'Bytes into a component: Zendesk response bodies for a source, event JSON pushed into a sink buffer', labelNames: ['component', 'kind'] as const, registers: r }),
    componentSentBytes: new Counter({ name: 'zsf_component_sent_bytes_total', help: 'Event JSON bytes a sink delivered (accepted by the destination), before encoding and compression', labelNames: ['component', 'kind'] as const, registers: r }),
    sourceRecords: new Counter({ name: 'zsf_source_records_total', help: 'Records read from upstream', labelNames: ['source', 'stream'] as const, registers: r }),
    sourceRequests: new Counter({ name: 'zsf_source_requests_total', help: 'Upstream HTTP requests by status code (or "error")', labelNames: ['source', 'code'] as const, registers: r }),
    sourceLag: new Gauge({ name: 'zsf_source_lag_seconds', help: 'Now minus the upstream time read completely and delivered (the committed checkpoint, or the last poll that found nothing newer)', labelNames: ['source'] as const, registers: r }),
    sourceInvalidUtf8: new Counter({ name: 'zsf_source_invalid_utf8_total', help: 'Upstream pages that were not valid UTF-8 (decoded with U+FFFD replacement)', labelNames: ['source'] as const, registers: r }),
    rateLimitRemaining: new Gauge({ name: 'zsf_zendesk_rate_limit_remaining', help: 'Last rate-limit remaining value reported by Zendesk', labelNames: ['account'] as const, registers: r }),
    sinkEventsSent: new Counter({ name: 'zsf_sink_events_sent_total', help: 'Events accepted by the destination', labelNames: ['sink'] as const, registers: r }),
    sinkBytesSent: new Counter({ name: 'zsf_sink_bytes_sent_total', help: 'Bytes sent to the destination (after compression)', labelNames: ['sink'] as const, registers: r }),
    sinkBytesUncompressed: new Counter({ name: 'zsf_sink_bytes_uncompressed_total', help: 'Encoded bytes sent to the destination before compression', labelNames: ['sink'] as const, registers: r }),
    sinkErrors: new Counter({ name: 'zsf_sink_errors_total', help: 'Failed delivery attempts by reason', labelNames: ['sink', 'reason'] as const, registers: r }),
    sinkRetries: new Counter({ name: 'zsf_sink_retries_total', help: 'Delivery retries', labelNames: ['sink'] as const, registers: r }),
    sinkRequestSeconds: new Histogram({ name: 'zsf_sink_request_seconds', help: 'Duration of one delivery request', labelNames: ['sink'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: r }),
    bufferEvents: new Gauge({ name: 'zsf_buffer_events', help: 'Events waiting in the sink buffer', labelNames: ['sink'] as const, registers: r }),
    bufferBytes: new Gauge({ name: 'zsf_buffer_bytes', help: 'Bytes waiting in the sink buffer', labelNames: ['sink'] as const, registers: r }),
    bufferMaxBytes: new Gauge({ name: 'zsf_buffer_max_bytes', help: 'Configured byte bound of the sink buffer', labelNames: ['sink'] as const, registers: r }),
    deadLetters: new Counter({ name: 'zsf_dead_letters_total', help: 'Records or events written to the dead-letter store', labelNames: ['component', 'reason'] as const, registers: r }),
    eventsDropped: new Counter({ name: 'zsf_events_dropped_total', help: 'Events dropped by a full buffer with whenFull: drop_newest', labelNames: ['sink'] as const, registers: r }),
    checkpointCommits: new Counter({ name: 'zsf_checkpoint_commits_total', help: 'Checkpoint commits', labelNames: ['source'] as const, registers: r }),
    componentUp: new Gauge({ name: 'zsf_component_up', help: '1 when the component is healthy, 0 when failed or unhealthy', labelNames: ['component', 'kind'] as const, registers: r }),
    webhookRejected: new Counter({ name: 'zsf_webhook_rejected_total', help: 'Webhook requests refused (4xx, or 503 while the event could not be made durable in time) by reason', labelNames: ['source', 'reason'] as const, registers: r }),
    transformEvents: new Counter({ name: 'zsf_transform_events_total', help: 'Events out of a transform', labelNames: ['transform'] as const, registers: r }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
