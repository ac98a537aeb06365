// One OTLP/HTTP export per batch, through the OpenTelemetry exporter base
// (`OTLPExporterBase.export()`, the class both `@opentelemetry/exporter-logs-otlp-http` and
// `-proto` extend) with their exact serializers, but with our own transport:
//
// The packaged exporters wrap their node:http transport in a RetryingTransport that retries
// 429/502/503/504 and network errors up to 5 times on its own, non-abortable timers, and then
// report only "retryable" (no status code, no Retry-After); partial_success only goes to the
// OTel diag logger. With that transport the core could not honour Retry-After, would retry on
// top of the exporter's retries, could not abort a request on its timeout or on shutdown, and
// could not see partial success. So the transport below sends exactly once over the sink's
// shared HTTP layer (TLS, proxy, gzip, byte metrics), records the raw response, and the driver
// classifies it (classify.ts).

import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { ExporterMetrics, OTLPExporterBase, createOtlpNetworkExportDelegate, type ExportResponse, type IExporterTransport } from '@opentelemetry/otlp-exporter-base';
import { JsonLogsSerializer, LogsExporterMetricsHelper, ProtobufLogsSerializer, type IExportLogsServiceResponse, type ISerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { parseRetryAfter } from '../../http/retry-after.js';
import type { HttpTransport, PreparedBody } from '../shared/http.js';

export type OtlpEncoding = 'protobuf' | 'json';

export const CONTENT_TYPES: Record<OtlpEncoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

export function serializerFor(encoding: OtlpEncoding): ISerializer<ReadableLogRecord[], IExportLogsServiceResponse> {
  return encoding === 'json' ? JsonLogsSerializer : ProtobufLogsSerializer;
}

/** Same cap as the OTel exporter: an oversized answer is not a protocol response. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export interface CapturedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  bytesUncompressed: number;
  bytesSent: number;
}

export interface TransportOptions {
  url: string;
  transport: HttpTransport;
  headers: Record<string, string>;
  contentType: string;
  signal: AbortSignal;
}

/** One export request through the sink's HTTP transport (compressed per the sink's `compression` when prepared, counted). */
export async function postOnce(body: PreparedBody, o: TransportOptions): Promise<CapturedResponse> {
  const res = await o.transport.send({
    url: o.url,
    headers: { ...o.headers, 'content-type': o.contentType },
    body,
    signal: o.signal,
    maxResponseBytes: MAX_RESPONSE_BYTES,
  });
  if (res.truncated) throw new Error(`OTLP response body exceeds ${MAX_RESPONSE_BYTES} bytes`);
  return { status: res.status, headers: res.headers, body: res.body, bytesUncompressed: res.rawBytes, bytesSent: res.wireBytes };
}

/** A transport that sends once and remembers what happened, for the driver to classify. */
class CapturingTransport implements IExporterTransport {
  captured: CapturedResponse | undefined;
  thrown: unknown;
  /** The serialised request, compressed: what a retry of the same batch sends again. */
  prepared: PreparedBody | undefined;
  constructor(private readonly o: TransportOptions) {}

  // Not async: the serialised request (`data`, ~1 KB per record) is handed to compression and
  // not kept in a frame while the request is in flight; only its compressed bytes are.
  send(data: Uint8Array): Promise<ExportResponse> {
    return this.post(this.o.transport.prepare(Buffer.from(data.buffer, data.byteOffset, data.byteLength)));
  }

  private async post(preparing: Promise<PreparedBody>): Promise<ExportResponse> {
    try {
      this.prepared = await preparing;
      const r = (this.captured = await postOnce(this.prepared, this.o));
      if (r.status >= 200 && r.status < 300) return { status: 'success', data: r.body };
      if ([429, 502, 503, 504].includes(r.status)) {
        const ms = parseRetryAfter(r.headers['retry-after'], Date.now());
        return ms === undefined ? { status: 'retryable' } : { status: 'retryable', retryInMillis: ms };
      }
      return { status: 'failure', error: new Error(`HTTP ${r.status}`) };
    } catch (err) {
      this.thrown = err ?? new Error('unknown transport error');
      return { status: 'failure', error: err instanceof Error ? err : new Error(String(err)) };
    }
  }

  shutdown(): void {}
}

export interface ExportAttempt {
  result: ExportResult;
  response?: CapturedResponse;
  thrown?: unknown;
  /** The request body as sent (absent if the exporter failed before sending). */
  prepared?: PreparedBody;
}

/**
 * Runs one `export()` of the OTel exporter base with a fresh single-use transport, so that
 * concurrent sends never share state. Resolves when the exporter reports its result.
 */
export function createExporter(encoding: OtlpEncoding, url: string) {
  const serializer = serializerFor(encoding);
  const metrics = new ExporterMetrics<ReadableLogRecord[]>({
    componentType: 'otlp_http_log_exporter',
    metricsHelper: LogsExporterMetricsHelper,
    url,
    meterProvider: undefined,
    responseAttributesFromError: () => ({}),
  });
  return {
    serializer,
    // Not async, and the records are not captured by a closure that outlives the call: the
    // exporter serialises them at once, and the parsed bodies are garbage while the request is
    // in flight (the caller keeps no reference either).
    exportOnce(records: ReadableLogRecord[], o: TransportOptions, timeoutMillis: number): Promise<ExportAttempt> {
      const transport = new CapturingTransport(o);
      const exporter = new OTLPExporterBase<ReadableLogRecord[]>(
        createOtlpNetworkExportDelegate({ timeoutMillis, concurrencyLimit: 1, compression: 'none' }, serializer, metrics, transport),
      );
      return attemptOf(startExport(exporter, records), transport);
    },
  };
}

function startExport(exporter: OTLPExporterBase<ReadableLogRecord[]>, records: ReadableLogRecord[]): Promise<ExportResult> {
  return new Promise<ExportResult>((resolve) => exporter.export(records, resolve));
}

async function attemptOf(exported: Promise<ExportResult>, transport: CapturingTransport): Promise<ExportAttempt> {
  const result = await exported;
  return {
    result,
    ...(transport.captured ? { response: transport.captured } : {}),
    ...(transport.thrown !== undefined ? { thrown: transport.thrown } : {}),
    ...(transport.prepared ? { prepared: transport.prepared } : {}),
  };
}

export { ExportResultCode };
