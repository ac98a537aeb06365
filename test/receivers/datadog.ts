// A Datadog Logs intake for tests, written from the published API ("Send logs", v2):
//   POST /api/v2/logs   DD-API-KEY header (or dd-api-key query parameter); body a JSON array of
//        logs (or one log object); Content-Encoding gzip or deflate; optional ddtags query.
//        Limits: 5 MB uncompressed per payload and 1000 entries (413 above), 1 MB per log
//        (accepted and truncated, 202). Answers 202 {} or {"errors":[{status,title,detail}]}:
//        400 bad payload, 401 missing key, 403 invalid key, 413 too large.
//   GET  /api/v1/validate  {"valid":true} or 403 {"errors":["Forbidden"]} (API key check).
// Everything received is recorded decoded; the server, fault injection and `waitFor` come from
// test/support/receiver-base.ts. Loopback, port 0.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeBody, ReceiverBase, type InjectedResponse, type ReceivedRequestBase, type ReceiverTls } from '../support/receiver-base.js';

export interface DatadogReceiverOptions {
  /** Valid API keys (default ["test-dd-api-key"]). */
  apiKeys?: string[];
  /** Uncompressed payload limit (default 5,000,000 bytes). */
  maxPayloadBytes?: number;
  maxEntries?: number;
  /** Per-log limit; larger logs are truncated (default 1,000,000 bytes). */
  maxLogBytes?: number;
  /** Keep every log and request (default). false: only count them (benchmarks). */
  record?: boolean;
  tls?: ReceiverTls;
}

export interface DatadogLogRecord {
  /** The log object as received (message possibly truncated by the receiver). */
  log: Record<string, unknown>;
  /** `message` parsed as JSON when it is JSON. */
  event?: unknown;
  /** The log was above maxLogBytes and was truncated, as Datadog does. */
  truncated: boolean;
  ddtagsQuery?: string;
  request: number;
}

export interface DatadogRequestRecord extends ReceivedRequestBase {
  framing?: 'array' | 'object';
  entries: number;
}

const errors = (status: number, title: string, detail: string) => ({ errors: [{ status: String(status), title, detail }] });

export class DatadogReceiver extends ReceiverBase {
  apiKeys: Set<string>;
  maxPayloadBytes: number;
  maxEntries: number;
  maxLogBytes: number;
  readonly logs: DatadogLogRecord[] = [];
  readonly record: boolean;
  /** Logs accepted so far (also counted when record is false). */
  logCount = 0;
  readonly requests: DatadogRequestRecord[] = [];

  constructor(opts: DatadogReceiverOptions = {}) {
    super(opts.tls);
    this.apiKeys = new Set(opts.apiKeys ?? ['test-dd-api-key']);
    this.maxPayloadBytes = opts.maxPayloadBytes ?? 5_000_000;
    this.maxEntries = opts.maxEntries ?? 1000;
    this.maxLogBytes = opts.maxLogBytes ?? 1_000_000;
    this.record = opts.record ?? true;
  }

  get intakeRequests(): DatadogRequestRecord[] {
    return this.requests.filter((r) => r.path === '/api/v2/logs');
  }

  waitForLogs(n: number, timeoutMs = 10_000): Promise<void> {
    return this.waitFor(() => this.logs.length >= n, timeoutMs, `${n} logs (have ${this.logs.length})`);
  }

  protected faultable(path: string): boolean {
    return path === '/api/v2/logs';
  }

  protected onFault(req: IncomingMessage, body: Buffer, fault: InjectedResponse): void {
    this.requests.push({ ...this.faultEntry(req, body, this.requests.length, fault), entries: 0 });
  }

  private reply(res: ServerResponse, rec: DatadogRequestRecord, status: number, body: unknown) {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(text);
    rec.status = status;
    rec.reply = text;
  }

  protected handle(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const u = new URL(req.url ?? '/', 'http://x');
    const rec: DatadogRequestRecord = { ...this.requestEntry(req, body, this.requests.length), entries: 0 };
    if (this.record) this.requests.push(rec);
    const key = (req.headers['dd-api-key'] as string | undefined) ?? u.searchParams.get('dd-api-key') ?? undefined;

    if (u.pathname === '/api/v1/validate') {
      if (!key || !this.apiKeys.has(key)) return this.reply(res, rec, 403, { errors: ['Forbidden'] });
      return this.reply(res, rec, 200, { valid: true });
    }
    if (u.pathname !== '/api/v2/logs') return this.reply(res, rec, 404, errors(404, 'Not Found', 'unknown path'));
    if (req.method !== 'POST') return this.reply(res, rec, 405, errors(405, 'Method Not Allowed', 'use POST'));
    if (!key) return this.reply(res, rec, 401, errors(401, 'Unauthorized', 'API key is missing'));
    if (!this.apiKeys.has(key)) return this.reply(res, rec, 403, errors(403, 'Forbidden', 'API key is invalid'));

    let decoded: Buffer;
    try {
      decoded = decodeBody(body, req.headers['content-encoding']);
    } catch (err) {
      return this.reply(res, rec, 400, errors(400, 'Bad Request', `cannot decode body: ${(err as Error).message}`));
    }
    rec.decodedBytes = decoded.length;
    if (decoded.length > this.maxPayloadBytes) {
      return this.reply(res, rec, 413, errors(413, 'Request Entity Too Large', `payload is ${decoded.length} bytes, above ${this.maxPayloadBytes}`));
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(decoded.toString('utf8'));
    } catch {
      return this.reply(res, rec, 400, errors(400, 'Bad Request', 'invalid JSON'));
    }
    rec.framing = Array.isArray(parsed) ? 'array' : 'object';
    const items = Array.isArray(parsed) ? parsed : [parsed];
    if (items.length > this.maxEntries) {
      return this.reply(res, rec, 413, errors(413, 'Request Entity Too Large', `${items.length} entries, above ${this.maxEntries}`));
    }
    for (const it of items) {
      if (!it || typeof it !== 'object' || Array.isArray(it) || typeof (it as { message?: unknown }).message !== 'string') {
        return this.reply(res, rec, 400, errors(400, 'Bad Request', 'each log must be an object with a string message'));
      }
    }
    rec.entries = items.length;
    this.logCount += items.length;
    if (!this.record) return this.reply(res, rec, 202, {});
    for (const it of items as Record<string, unknown>[]) {
      const size = Buffer.byteLength(JSON.stringify(it));
      let log = it;
      let truncated = false;
      if (size > this.maxLogBytes) {
        truncated = true;
        const msg = it.message as string;
        log = { ...it, message: msg.slice(0, Math.max(0, msg.length - (size - this.maxLogBytes))) };
      }
      let event: unknown;
      try {
        event = JSON.parse(log.message as string);
      } catch {
        event = undefined;
      }
      this.logs.push({ log, ...(event !== undefined ? { event } : {}), truncated, ...(u.searchParams.get('ddtags') ? { ddtagsQuery: u.searchParams.get('ddtags')! } : {}), request: rec.n });
    }
    this.reply(res, rec, 202, {});
  }
}

export async function startDatadogReceiver(opts: DatadogReceiverOptions = {}): Promise<DatadogReceiver> {
  return new DatadogReceiver(opts).start();
}
