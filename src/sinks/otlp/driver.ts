// One OTLP/HTTP export attempt: encode the batch as log records (encode.ts), export them once
// through the OpenTelemetry exporter base over the shared HTTP layer (exporter.ts), classify
// the answer (classify.ts), and note partial success.

import type { BuildEnv } from '../../core/plugin.js';
import { describeError } from '../../core/retry.js';
import { transientBody, type SendOutcome, type SinkDriver, type SinkEvent } from '../../core/types.js';
import { packageVersion } from '../../observability/build-info.js';
import { createHttpTransport } from '../shared/http.js';
import { classifyOtlpResponse } from './classify.js';
import type { OtlpConfig } from './config.js';
import { createRecordEncoder } from './encode.js';
import { encodingSlots } from '../shared/encoding-memo.js';
import { CONTENT_TYPES, ExportResultCode, createExporter, postOnce, type CapturedResponse, type TransportOptions } from './exporter.js';
import type { PreparedBody } from '../shared/http.js';

/** Header names whose values are credentials: registered as secrets so no log or error can show them. */
const SECRET_HEADER = /authorization|token|key|secret|cookie|password|signature/i;

/** The memo slot of the request the exporter serialised on a batch's first attempt. */
const REQUEST = 'request';

export function createOtlpDriver(config: OtlpConfig, env: Pick<BuildEnv, 'logger' | 'metrics' | 'secrets' | 'resolvePath'>): SinkDriver {
  const version = packageVersion();
  const labels = { sink: config.id };
  const log = env.logger;
  for (const [name, value] of Object.entries(config.headers)) if (SECRET_HEADER.test(name)) env.secrets.add(value);
  const headers = { 'user-agent': `zendesk-siem-forwarder/${version}`, ...config.headers };
  const transport = createHttpTransport(config, env, { connections: 32 });
  const exporter = createExporter(config.encoding, config.endpoint);
  const encode = createRecordEncoder({
    serviceName: config.resource.serviceName,
    serviceVersion: config.resource.serviceVersion ?? version,
    resourceAttributes: config.resource.attributes,
    scopeVersion: version,
  });
  const options = (signal: AbortSignal): TransportOptions => ({
    url: config.endpoint,
    transport,
    headers,
    contentType: CONTENT_TYPES[config.encoding],
    signal,
  });

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

  function classified(r: CapturedResponse): SendOutcome {
    const outcome = classifyOtlpResponse(r, Date.now());
    if (outcome.kind === 'ok') notePartialSuccess(r.body);
    return outcome;
  }

  /** First attempt: encode and export through the OTel exporter; the serialised request is kept for retries. */
  async function exportBatch(events: SinkEvent[], signal: AbortSignal, slots: Map<string, unknown> | undefined): Promise<SendOutcome> {
    // Parsed here for this batch only: the shared event keeps holding just its JSON text, and
    // no variable keeps the records while the request is in flight (they are serialised at once).
    const attempt = await exporter.exportOnce(encode(events.map((e) => ({ meta: e.meta, body: transientBody(e) }))), options(signal), config.requestTimeout);
    if (attempt.prepared) slots?.set(REQUEST, attempt.prepared);
    const r = attempt.response;
    if (!r) {
      if (signal.aborted) throw attempt.thrown ?? new Error('aborted');
      return { kind: 'retry', reason: describeError(attempt.thrown ?? attempt.result.error ?? 'export failed') };
    }
    if (classifyOtlpResponse(r, Date.now()).kind === 'ok' && attempt.result.code !== ExportResultCode.SUCCESS) {
      // Cannot happen with our transport; never ack what the exporter did not report as sent.
      return { kind: 'retry', reason: `exporter reported failure after HTTP ${r.status}: ${describeError(attempt.result.error)}` };
    }
    return classified(r);
  }

  /** A retry: the same request bytes the exporter serialised on the first attempt, sent once more. */
  async function resend(body: PreparedBody, signal: AbortSignal): Promise<SendOutcome> {
    try {
      return classified(await postOnce(body, options(signal)));
    } catch (err) {
      if (signal.aborted) throw err;
      return { kind: 'retry', reason: describeError(err) };
    }
  }

  return {
    async healthcheck(signal) {
      // OTLP has no health endpoint: an empty export request checks reachability and credentials.
      const empty = exporter.serializer.serializeRequest([]) ?? new Uint8Array();
      const r = await transport.request({ url: config.endpoint, headers: { ...headers, 'content-type': CONTENT_TYPES[config.encoding] }, body: Buffer.from(empty), signal });
      if (r.status === 401 || r.status === 403) throw new Error(`OTLP endpoint rejected the credentials (HTTP ${r.status})`);
      if (r.status < 200 || r.status >= 300) log.warn({ status: r.status }, 'OTLP healthcheck: the empty export request was not accepted; continuing');
    },

    async send(events, signal, memo) {
      if (events.length === 0) return { kind: 'ok' };
      const slots = encodingSlots(memo);
      const sent = slots?.get(REQUEST) as PreparedBody | undefined;
      return sent ? resend(sent, signal) : exportBatch(events, signal, slots);
    },

    close: () => transport.close(),
  };
}
