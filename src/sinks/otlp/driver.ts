// One OTLP/HTTP export per batch through the OpenTelemetry exporter base and serializers
// (send.ts), classified by the response. Loaded on first use (index.ts).

import type { BuildEnv } from '../../core/plugin.js';
import type { SinkDriver } from '../../core/types.js';
import { buildDispatcher } from '../shared/http.js';
import { describeError } from '../../core/retry.js';
import type { OtlpConfig } from './config.js';
import { packageVersion } from '../../observability/build-info.js';
import { createRecordEncoder } from './encode.js';
import { CONTENT_TYPES, ExportResultCode, classifyOtlpResponse, createExporter, postOnce, type TransportOptions } from './send.js';

export function createOtlpDriver(config: OtlpConfig, env: BuildEnv): SinkDriver {
  const version = packageVersion();
  const labels = { sink: config.id };
  const log = env.logger;
  const headers = { 'user-agent': `zendesk-siem-forwarder/${version}`, ...config.headers };
  const dispatcher = buildDispatcher({ tls: config.tls, proxy: config.proxy, connections: 32 });
  const exporter = createExporter(config.encoding, config.endpoint);
  const encode = createRecordEncoder({
    serviceName: config.resource.serviceName,
    serviceVersion: config.resource.serviceVersion ?? version,
    resourceAttributes: config.resource.attributes,
    scopeVersion: version,
  });
  const timeoutMillis = (config as { requestTimeout?: number }).requestTimeout ?? 30_000;
  const transport = (signal: AbortSignal): TransportOptions => ({
    url: config.endpoint,
    dispatcher,
    headers,
    contentType: CONTENT_TYPES[config.encoding],
    compression: config.compression,
    signal,
  });

  return {
    async healthcheck(signal) {
      // OTLP has no health endpoint: an empty export request checks reachability and credentials.
      const empty = exporter.serializer.serializeRequest([]) ?? new Uint8Array();
      const r = await postOnce(empty, transport(signal));
      if (r.status === 401 || r.status === 403) throw new Error(`OTLP endpoint rejected the credentials (HTTP ${r.status})`);
      if (r.status < 200 || r.status >= 300) log.warn({ status: r.status }, 'OTLP healthcheck: the empty export request was not accepted; continuing');
    },

    async send(events, signal) {
      if (events.length === 0) return { kind: 'ok' };
      const records = encode(events);
      const attempt = await exporter.exportOnce(records, transport(signal), timeoutMillis);
      const r = attempt.response;
      if (!r) {
        if (signal.aborted) throw attempt.thrown ?? new Error('aborted');
        return { kind: 'retry', reason: describeError(attempt.thrown ?? attempt.result.error ?? 'export failed') };
      }
      env.metrics.sinkBytesUncompressed.inc(labels, r.bytesUncompressed);
      env.metrics.sinkBytesSent.inc(labels, r.bytesSent);
      const outcome = classifyOtlpResponse(r, Date.now());
      if (outcome.kind === 'ok') {
        if (attempt.result.code !== ExportResultCode.SUCCESS) {
          // Cannot happen with our transport; never ack what the exporter did not report as sent.
          return { kind: 'retry', reason: `exporter reported failure after HTTP ${r.status}: ${describeError(attempt.result.error)}` };
        }
        notePartialSuccess(r.body);
      }
      return outcome;
    },

    async close() {
      await dispatcher.close();
    },
  };

  /**
   * partial_success (OTLP spec): the request was accepted, `rejected_log_records` of it were
   * dropped by the receiver, and it MUST NOT be retried. OTLP does not say which records,
   * so they cannot be dead-lettered individually: we log and count them.
   */
  function notePartialSuccess(body: Buffer): void {
    if (body.length === 0) return;
    let parsed;
    try {
      parsed = exporter.serializer.deserializeResponse(body);
    } catch {
      return;
    }
    const ps = parsed?.partialSuccess;
    if (!ps) return;
    const rejected = Number(ps.rejectedLogRecords ?? 0);
    if (rejected > 0) {
      env.metrics.sinkErrors.inc({ ...labels, reason: 'otlp_partial_rejected' }, rejected);
      log.warn({ rejected, message: ps.errorMessage }, 'OTLP receiver accepted the batch but rejected some log records (not retried; OTLP does not say which)');
    } else if (ps.errorMessage) {
      log.warn({ message: ps.errorMessage }, 'OTLP receiver accepted the batch with a warning');
    }
  }
}
