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
// shared undici dispatcher (TLS, proxy), records the raw response, and the driver classifies it.

import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { ExporterMetrics, OTLPExporterBase, createOtlpNetworkExportDelegate, type ExportResponse, type IExporterTransport } from '@opentelemetry/otlp-exporter-base';
import { JsonLogsSerializer, LogsExporterMetricsHelper, ProtobufLogsSerializer, type IExportLogsServiceResponse, type ISerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { Dispatcher } from 'undici';
import type { SendOutcome } from '../../core/types.js';
import { parseRetryAfter } from '../../core/retry.js';
import { classifyHttpStatus, compress } from '../shared/http.js';
import { httpRequest } from '../shared/request.js';
import type { CompressionOptions } from '../shared/http-options.js';

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
  dispatcher: Dispatcher;
  headers: Record<string, string>;
  contentType: string;
  compression: CompressionOptions | undefined;
  signal: AbortSignal;
}

export async function postOnce(data: Uint8Array, o: TransportOptions): Promise<CapturedResponse> {
  const { body, encoding } = await compress(Buffer.from(data.buffer, data.byteOffset, data.byteLength), o.compression);
  const res = await httpRequest({
    dispatcher: o.dispatcher,
    url: o.url,
    headers: { ...o.headers, 'content-type': o.contentType, ...(encoding ? { 'content-encoding': encoding } : {}) },
    body,
    signal: o.signal,
    maxResponseBytes: MAX_RESPONSE_BYTES,
  });
  if (res.truncated) throw new Error(`OTLP response body exceeds ${MAX_RESPONSE_BYTES} bytes`);
  return { status: res.status, headers: res.headers, body: res.body, bytesUncompressed: data.byteLength, bytesSent: body.length };
}

/** A transport that sends once and remembers what happened, for the driver to classify. */
class CapturingTransport implements IExporterTransport {
  captured: CapturedResponse | undefined;
  thrown: unknown;
  constructor(private readonly o: TransportOptions) {}

  async send(data: Uint8Array): Promise<ExportResponse> {
    try {
      const r = (this.captured = await postOnce(data, this.o));
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
    async exportOnce(records: ReadableLogRecord[], o: TransportOptions, timeoutMillis: number): Promise<ExportAttempt> {
      const transport = new CapturingTransport(o);
      const exporter = new OTLPExporterBase<ReadableLogRecord[]>(
        createOtlpNetworkExportDelegate({ timeoutMillis, concurrencyLimit: 1, compression: 'none' }, serializer, metrics, transport),
      );
      const result = await new Promise<ExportResult>((resolve) => exporter.export(records, resolve));
      return {
        result,
        ...(transport.captured ? { response: transport.captured } : {}),
        ...(transport.thrown !== undefined ? { thrown: transport.thrown } : {}),
      };
    },
  };
}

/** google.rpc.Status.message (field 2) from a protobuf error body, or undefined. */
export function rpcStatusMessage(buf: Buffer): string | undefined {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated');
      const b = buf[pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
      if (shift > 63) throw new Error('varint too long');
    }
  };
  try {
    while (pos < buf.length) {
      const tag = varint();
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      if (wire === 0) varint();
      else if (wire === 1) pos += 8;
      else if (wire === 5) pos += 4;
      else if (wire === 2) {
        const len = varint();
        if (field === 2) return buf.subarray(pos, pos + len).toString('utf8');
        pos += len;
      } else return undefined;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function errorText(r: CapturedResponse): string {
  const type = String(r.headers['content-type'] ?? '');
  if (type.includes('protobuf')) return rpcStatusMessage(r.body) ?? '';
  const text = r.body.toString('utf8');
  if (type.includes('json')) {
    try {
      const j = JSON.parse(text) as { message?: unknown };
      if (typeof j.message === 'string') return j.message;
    } catch {
      // not JSON after all: use the text
    }
  }
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * OTLP/HTTP status handling (OTLP spec, "OTLP/HTTP Response"): 2xx accepted; 429, 502, 503
 * and 504 retryable honouring Retry-After (plus 408, a proxy/transport timeout); 401/403
 * auth; 413 too large (split); every other 4xx and 5xx is not retryable and is dead-lettered
 * (the spec says those MUST NOT be retried, 500 included).
 */
export function classifyOtlpResponse(r: CapturedResponse, now: number): SendOutcome {
  if (r.status >= 200 && r.status < 300) return { kind: 'ok' };
  const outcome = classifyHttpStatus(r.status, r.headers, errorText(r), now);
  if (outcome.kind === 'retry' && r.status >= 500 && ![502, 503, 504].includes(r.status)) {
    return { kind: 'permanent', reason: outcome.reason };
  }
  return outcome;
}

export { ExportResultCode };
