// An OTLP/HTTP logs receiver for tests, written from the OTLP specification (protocol/otlp.md,
// "OTLP/HTTP"): POST to /v1/logs, protobuf (application/x-protobuf) or JSON (application/json)
// bodies, optional gzip Content-Encoding; answers 200 with ExportLogsServiceResponse (with
// partial_success when scripted), 4xx/5xx with a google.rpc.Status body, Retry-After on demand.
//
// Protobuf is decoded with protobufjs code generated from the official opentelemetry-proto
// definitions (the `otlp-proto-reference` dev dependency: @opentelemetry/otlp-transformer
// 0.203.0's pbjs output), independent of the hand-written encoder the sink's exporter uses.
// JSON is decoded by the OTLP/JSON mapping rules (lowerCamelCase keys, int64 as string or
// number, enums as integers, bytes as base64). The server, fault injection and `waitFor` come
// from test/support/receiver-base.ts. Loopback, port 0.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { ReceiverBase, type InjectedResponse } from '../support/receiver-base.js';

interface ProtoType {
  decode(buf: Uint8Array): unknown;
  encode(msg: unknown): { finish(): Uint8Array };
  fromObject(o: unknown): unknown;
  toObject(msg: unknown, opts: Record<string, unknown>): Record<string, unknown>;
}
const require = createRequire(import.meta.url);
const root = require('otlp-proto-reference/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: { logs: { v1: { ExportLogsServiceRequest: ProtoType; ExportLogsServiceResponse: ProtoType } } } } };
};
const { ExportLogsServiceRequest, ExportLogsServiceResponse } = root.opentelemetry.proto.collector.logs.v1;

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface ReceivedRecord {
  resource: Record<string, Json>;
  scope: { name: string; version: string };
  /** Nanoseconds since the epoch, as a decimal string (int64 does not fit a JS number). */
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  eventName: string;
  body: Json;
  attributes: Record<string, Json>;
}

export interface ReceivedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  contentType: string;
  contentEncoding: string | undefined;
  /** Bytes as they came over the wire (before gunzip). */
  wireBytes: number;
  records: ReceivedRecord[];
  /** Log records in the request (also set when `countOnly` skipped building `records`). */
  recordCount: number;
  /** The status answered (0: connection dropped). */
  status: number;
  /** Answered by an injected fault (failNext), not by `respond`. */
  injected?: boolean;
}

export interface ScriptedResponse {
  status: number;
  /** Retry-After header value, e.g. "2" or an HTTP date. */
  retryAfter?: string;
  /** For 2xx: partial_success.rejected_log_records / error_message. */
  partial?: { rejected: number; message?: string };
  /** For errors: google.rpc.Status.message. */
  message?: string;
}

// ------------------------------------------------------------------ AnyValue normalisation

/** Protobuf-decoded (toObject with longs/bytes as strings, no defaults) AnyValue -> plain JSON. */
function protoAnyValue(v: Record<string, unknown> | null | undefined): Json {
  if (!v) return null;
  if ('stringValue' in v) return v.stringValue as string;
  if ('boolValue' in v) return v.boolValue as boolean;
  if ('intValue' in v) return int64(v.intValue);
  if ('doubleValue' in v) return v.doubleValue as number;
  if ('bytesValue' in v) return { $bytes: v.bytesValue as string };
  if ('arrayValue' in v) return ((v.arrayValue as { values?: Record<string, unknown>[] }).values ?? []).map(protoAnyValue);
  if ('kvlistValue' in v) return keyValues((v.kvlistValue as { values?: Record<string, unknown>[] }).values, protoAnyValue);
  return null; // an empty AnyValue is how OTLP says null
}

const JSON_ANY_KEYS = new Set(['stringValue', 'boolValue', 'intValue', 'doubleValue', 'bytesValue', 'arrayValue', 'kvlistValue']);

/** OTLP/JSON AnyValue -> plain JSON; rejects anything the mapping does not allow. */
function jsonAnyValue(v: unknown): Json {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`AnyValue must be an object, got ${JSON.stringify(v)}`);
  const keys = Object.keys(v);
  if (keys.length === 0) return null;
  if (keys.length !== 1 || !JSON_ANY_KEYS.has(keys[0]!)) throw new Error(`invalid OTLP/JSON AnyValue keys ${JSON.stringify(keys)}`);
  const o = v as Record<string, unknown>;
  if ('stringValue' in o) return expectType(o.stringValue, 'string') as string;
  if ('boolValue' in o) return expectType(o.boolValue, 'boolean') as boolean;
  if ('intValue' in o) return int64(o.intValue);
  if ('doubleValue' in o) return typeof o.doubleValue === 'string' ? Number(o.doubleValue) : (expectType(o.doubleValue, 'number') as number);
  if ('bytesValue' in o) return { $bytes: expectType(o.bytesValue, 'string') as string };
  if ('arrayValue' in o) return ((o.arrayValue as { values?: unknown[] }).values ?? []).map(jsonAnyValue);
  return keyValues((o.kvlistValue as { values?: Record<string, unknown>[] }).values, jsonAnyValue);
}

function expectType(v: unknown, t: string): unknown {
  if (typeof v !== t) throw new Error(`expected ${t}, got ${JSON.stringify(v)}`);
  return v;
}

/** int64: JSON number when safe, else the decimal string (so tests see precision loss, not hide it). */
function int64(v: unknown): number | string {
  const s = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : String(v);
  if (!/^-?\d+$/.test(s)) throw new Error(`invalid int64 ${JSON.stringify(v)}`);
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : s;
}

function keyValues(values: Record<string, unknown>[] | undefined, any: (v: never) => Json): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const kv of values ?? []) out[String(kv.key)] = any((kv.value ?? null) as never);
  return out;
}

function nanos(v: unknown): string {
  if (v === undefined || v === null) return '0';
  const s = String(v);
  if (!/^\d+$/.test(s)) throw new Error(`invalid fixed64 ${JSON.stringify(v)}`);
  return s;
}

// ------------------------------------------------------------------ request decoding

function flatten(req: Record<string, unknown>, any: (v: never) => Json): ReceivedRecord[] {
  const out: ReceivedRecord[] = [];
  for (const rl of (req.resourceLogs as Record<string, unknown>[] | undefined) ?? []) {
    const resource = keyValues(((rl.resource as Record<string, unknown> | undefined)?.attributes as Record<string, unknown>[]) ?? [], any);
    for (const sl of (rl.scopeLogs as Record<string, unknown>[] | undefined) ?? []) {
      const scope = (sl.scope as Record<string, unknown> | undefined) ?? {};
      for (const lr of (sl.logRecords as Record<string, unknown>[] | undefined) ?? []) {
        out.push({
          resource,
          scope: { name: String(scope.name ?? ''), version: String(scope.version ?? '') },
          timeUnixNano: nanos(lr.timeUnixNano),
          observedTimeUnixNano: nanos(lr.observedTimeUnixNano),
          severityNumber: Number(lr.severityNumber ?? 0),
          severityText: String(lr.severityText ?? ''),
          eventName: String(lr.eventName ?? ''),
          body: any((lr.body ?? null) as never),
          attributes: keyValues(lr.attributes as Record<string, unknown>[] | undefined, any),
        });
      }
    }
  }
  return out;
}

export function decodeProtobufRequest(buf: Uint8Array): ReceivedRecord[] {
  const msg = ExportLogsServiceRequest.decode(buf);
  const obj = ExportLogsServiceRequest.toObject(msg, { longs: String, bytes: String, enums: Number, defaults: false, arrays: true, oneofs: false });
  return flatten(obj, protoAnyValue);
}

export function decodeJsonRequest(text: string): ReceivedRecord[] {
  const obj = JSON.parse(text) as Record<string, unknown>;
  if (typeof obj !== 'object' || obj === null || (obj.resourceLogs !== undefined && !Array.isArray(obj.resourceLogs))) {
    throw new Error('ExportLogsServiceRequest.resourceLogs must be an array');
  }
  return flatten(obj, jsonAnyValue);
}

// ------------------------------------------------------------------ responses

function rpcStatus(code: number, message: string): Buffer {
  // google.rpc.Status { int32 code = 1; string message = 2; } — two fields, encoded by hand.
  const msg = Buffer.from(message, 'utf8');
  const varint = (n: number) => {
    const bytes: number[] = [];
    while (n > 0x7f) {
      bytes.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    bytes.push(n);
    return Buffer.from(bytes);
  };
  return Buffer.concat([Buffer.from([0x08]), varint(code), Buffer.from([0x12]), varint(msg.length), msg]);
}

function encodeResponse(json: boolean, r: ScriptedResponse): { body: Buffer; type: string } {
  const ok = r.status >= 200 && r.status < 300;
  if (ok) {
    const partialSuccess = r.partial ? { rejectedLogRecords: r.partial.rejected, errorMessage: r.partial.message ?? '' } : undefined;
    if (json) return { body: Buffer.from(JSON.stringify(partialSuccess ? { partialSuccess: { ...partialSuccess, rejectedLogRecords: String(r.partial!.rejected) } } : {})), type: 'application/json' };
    const msg = ExportLogsServiceResponse.fromObject(partialSuccess ? { partialSuccess } : {});
    return { body: Buffer.from(ExportLogsServiceResponse.encode(msg).finish()), type: 'application/x-protobuf' };
  }
  const message = r.message ?? `status ${r.status}`;
  if (json) return { body: Buffer.from(JSON.stringify({ code: r.status === 400 ? 3 : 14, message })), type: 'application/json' };
  return { body: rpcStatus(r.status === 400 ? 3 : 14, message), type: 'application/x-protobuf' };
}

// ------------------------------------------------------------------ server

function countRecords(req: { resourceLogs?: { scopeLogs?: { logRecords?: unknown[] }[] }[] }): number {
  let n = 0;
  for (const rl of req.resourceLogs ?? []) for (const sl of rl.scopeLogs ?? []) n += sl.logRecords?.length ?? 0;
  return n;
}

export interface OtlpReceiverOptions {
  /** The logs path (default /v1/logs); `url` includes it. */
  path?: string;
  /** Decides the answer to the n-th decoded request (1-based); default 200 with no partial success. */
  respond?: (req: ReceivedRequest, n: number) => ScriptedResponse;
  /** Benchmarks: decode each request (so a malformed one still fails) but do not normalise its records. */
  countOnly?: boolean;
}

/**
 * The OTLP protocol on the shared receiver (test/support/receiver-base.ts): stop()/start() for
 * outages, failNext() for raw faults (dropped connections, hangs), waitFor() on its state.
 */
export class OtlpReceiver extends ReceiverBase {
  readonly path: string;
  readonly countOnly: boolean;
  /** Every request, decoded, in arrival order; injected faults included (with no records). */
  readonly requests: ReceivedRequest[] = [];
  /** Every record of every request answered with 2xx, in arrival order (empty with countOnly). */
  readonly accepted: ReceivedRecord[] = [];
  /** Number of records answered with 2xx. */
  acceptedCount = 0;
  respond: (req: ReceivedRequest, n: number) => ScriptedResponse;
  private decoded = 0;

  constructor(opts: OtlpReceiverOptions = {}) {
    super();
    this.path = opts.path ?? '/v1/logs';
    this.countOnly = opts.countOnly ?? false;
    this.respond = opts.respond ?? (() => ({ status: 200 }));
  }

  override get url(): string {
    return `${super.url}${this.path}`;
  }

  /** Resolves once `count` records have been accepted; rejects after `timeoutMs`. */
  waitForAccepted(count: number, timeoutMs = 30_000): Promise<void> {
    return this.waitFor(() => this.acceptedCount >= count, timeoutMs, `${count} accepted records (have ${this.acceptedCount})`);
  }

  protected faultable(path: string): boolean {
    return path === this.path;
  }

  protected onFault(req: IncomingMessage, body: Buffer, fault: InjectedResponse): void {
    const contentType = String(req.headers['content-type'] ?? '').split(';')[0]!.trim();
    this.requests.push({ path: req.url ?? '', headers: req.headers, contentType, contentEncoding: req.headers['content-encoding'], wireBytes: body.length, records: [], recordCount: 0, status: fault.drop ? 0 : fault.status, injected: true });
  }

  protected handle(req: IncomingMessage, wire: Buffer, res: ServerResponse): void {
    const contentType = String(req.headers['content-type'] ?? '').split(';')[0]!.trim();
    const contentEncoding = req.headers['content-encoding'];
    if (req.method !== 'POST' || req.url !== this.path) {
      res.writeHead(404).end();
      return;
    }
    const json = contentType === 'application/json';
    if (!json && contentType !== 'application/x-protobuf') {
      res.writeHead(415).end();
      return;
    }
    let records: ReceivedRecord[] = [];
    let recordCount: number;
    try {
      const raw = contentEncoding === 'gzip' ? gunzipSync(wire) : wire;
      if (contentEncoding && contentEncoding !== 'gzip') throw new Error(`unsupported content-encoding ${contentEncoding}`);
      if (this.countOnly) recordCount = countRecords((json ? JSON.parse(raw.toString('utf8')) : ExportLogsServiceRequest.decode(raw)) as never);
      else {
        records = json ? decodeJsonRequest(raw.toString('utf8')) : decodeProtobufRequest(raw);
        recordCount = records.length;
      }
    } catch (err) {
      const { body, type } = encodeResponse(json, { status: 400, message: `cannot decode request: ${(err as Error).message}` });
      res.writeHead(400, { 'content-type': type }).end(body);
      return;
    }
    const received: ReceivedRequest = { path: req.url, headers: req.headers, contentType, contentEncoding, wireBytes: wire.length, records, recordCount, status: 0 };
    this.requests.push(received);
    const answer = this.respond(received, ++this.decoded);
    received.status = answer.status;
    if (answer.status >= 200 && answer.status < 300) {
      for (const r of records) this.accepted.push(r);
      this.acceptedCount += recordCount;
    }
    const { body, type } = encodeResponse(json, answer);
    res.writeHead(answer.status, { 'content-type': type, ...(answer.retryAfter !== undefined ? { 'retry-after': answer.retryAfter } : {}) }).end(body);
  }
}

export async function startOtlpReceiver(opts: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  return new OtlpReceiver(opts).start();
}
