// All metrics of DESIGN §9 in one registry per pipeline (not the global one, so tests
// and several pipelines in one process do not collide).

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'zsf_process_' });
  const r = [registry];
  return {
    registry,
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
    transformEvents: new Counter({ name: 'zsf_transform_events_total', help: 'Events out of a transform', labelNames: ['transform'] as const, registers: r }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
