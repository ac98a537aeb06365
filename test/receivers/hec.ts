// A Splunk HTTP Event Collector for tests, written from the published protocol:
//   POST /services/collector/event (also /services/collector and /event/1.0): concatenated
//        JSON envelopes {time, host, source, sourcetype, index, fields, event}; gzip allowed.
//   POST /services/collector/raw: raw lines, metadata in the query string; a channel is required.
//   POST /services/collector/ack?channel=...: {"acks":[ids]} -> {"acks":{"id":bool}}.
//   GET  /services/collector/health: {"text":"HEC is healthy","code":17}.
// Answers use HEC's {"text","code"} table: 1 token disabled (403), 2 token required (401),
// 3 invalid authorization (401), 4 invalid token (403), 5 no data, 6 invalid data format,
// 7 incorrect index, 9 server busy (503), 10 data channel missing, 11 invalid data channel,
// 12 event field required, 13 event field blank, 14 ACK disabled, 15 indexed fields error,
// 16 query string auth not enabled, 17/18 health; 413 above max_content_length. Event-level
// errors carry the zero-based "invalid-event-number"; like splunkd, which streams a batch,
// the events before the bad one are indexed (option `partialIndexing`).
//
// Everything received is recorded decoded; the server, fault injection and `waitFor` come from
// test/support/receiver-base.ts. Loopback only, port 0.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeBody, ReceiverBase, type InjectedResponse, type ReceivedRequestBase, type ReceiverTls } from '../support/receiver-base.js';

// Names tests (and benches) import from here; they live in test/support now.
export { decodeBody, ReceiverBase, type InjectedResponse, type ReceivedRequestBase, type ReceiverTls } from '../support/receiver-base.js';
export { startConnectProxy, type ConnectProxy } from '../support/connect-proxy.js';
export { selfSignedCert } from '../support/self-signed-cert.js';

export interface HecReceiverOptions {
  /** Valid tokens (default ["test-hec-token"]). */
  tokens?: string[];
  disabledTokens?: string[];
  /** Indexer acknowledgement enabled on the token. */
  ackEnabled?: boolean;
  /** max_content_length: requests with more bytes on the wire are answered 413. Default 1,000,000. */
  maxContentLength?: number;
  /** When set, an event whose index is not listed is answered code 7. */
  allowedIndexes?: string[];
  /** On an event-level error, index the events before the bad one (splunkd streams). Default true. */
  partialIndexing?: boolean;
  /** Polls an ackId must be seen in before it reports true (default 1). */
  ackAfterPolls?: number;
  /** Keep every event and request (default). false: only count them (benchmarks). */
  record?: boolean;
  tls?: ReceiverTls;
}

export interface HecEventRecord {
  endpoint: 'event' | 'raw';
  /** The envelope `time` as sent (event endpoint). */
  time?: unknown;
  host?: string;
  source?: string;
  sourcetype?: string;
  index?: string;
  fields?: Record<string, unknown>;
  /** The decoded event (event endpoint: the `event` value; raw: the line parsed as JSON when it is JSON). */
  event: unknown;
  channel?: string;
  ackId?: number;
  /** none: no indexer ack; pending: waiting; acked: confirmed; lost: will never be acked (injected). */
  ackState: 'none' | 'pending' | 'acked' | 'lost';
  request: number;
}

export interface HecRequestRecord extends ReceivedRequestBase {
  /** The decoded body text (data requests). */
  bodyText?: string;
  /** How the body was framed: concatenated objects (HEC's format), a JSON array, or raw lines. */
  framing?: 'concatenated' | 'array' | 'raw';
  eventCount: number;
}

interface AckEntry {
  records: HecEventRecord[];
  polls: number;
}

/** The request path as HEC matches it: without trailing slashes. */
const hecPath = (req: IncomingMessage) => new URL(req.url ?? '/', 'http://x').pathname.replace(/\/+$/, '');

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export class HecReceiver extends ReceiverBase {
  tokens: Set<string>;
  disabledTokens: Set<string>;
  ackEnabled: boolean;
  maxContentLength: number;
  allowedIndexes?: Set<string>;
  partialIndexing: boolean;
  ackAfterPolls: number;
  /** Answer every polled ackId false until releaseAcks(). */
  acksHeld = false;
  /** The next N ackIds handed out are never acknowledged (their events are lost). */
  loseAcks = 0;
  /** GET /health answers 503 code 18 while set. */
  unhealthy = false;

  readonly received: HecEventRecord[] = [];
  readonly record: boolean;
  /** Events indexed so far (also counted when record is false). */
  indexedCount = 0;
  readonly requests: HecRequestRecord[] = [];
  readonly ackPolls: { channel: string; ids: number[]; answer: Record<string, boolean> }[] = [];
  private acks = new Map<string, { next: number; pending: Map<number, AckEntry> }>();

  constructor(opts: HecReceiverOptions = {}) {
    super(opts.tls);
    this.tokens = new Set(opts.tokens ?? ['test-hec-token']);
    this.disabledTokens = new Set(opts.disabledTokens ?? []);
    this.ackEnabled = opts.ackEnabled ?? false;
    this.maxContentLength = opts.maxContentLength ?? 1_000_000;
    if (opts.allowedIndexes) this.allowedIndexes = new Set(opts.allowedIndexes);
    this.partialIndexing = opts.partialIndexing ?? true;
    this.ackAfterPolls = opts.ackAfterPolls ?? 1;
    this.record = opts.record ?? true;
  }

  /** Events that are indexed: accepted without ack, or acknowledged. */
  get indexed(): HecEventRecord[] {
    return this.received.filter((r) => r.ackState === 'none' || r.ackState === 'acked');
  }

  /** Data requests (event/raw), in arrival order. */
  get dataRequests(): HecRequestRecord[] {
    return this.requests.filter((r) => r.path.endsWith('/event') || r.path.endsWith('/raw') || r.path === '/services/collector' || r.path.endsWith('/1.0'));
  }

  releaseAcks(): void {
    this.acksHeld = false;
  }

  waitForIndexed(n: number, timeoutMs = 10_000): Promise<void> {
    return this.waitFor(() => this.indexed.length >= n, timeoutMs, `${n} indexed events (have ${this.indexed.length})`);
  }

  protected faultable(path: string): boolean {
    return path.startsWith('/services/collector') && !path.includes('/ack') && !path.includes('/health');
  }

  protected onFault(req: IncomingMessage, body: Buffer, fault: InjectedResponse): void {
    this.requests.push({ ...this.faultEntry(req, body, this.requests.length, fault, hecPath(req)), eventCount: 0 });
  }

  private reply(res: ServerResponse, rec: Partial<HecRequestRecord> & { n: number }, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
    res.end(text);
    rec.status = status;
    rec.reply = text;
  }

  /** HEC token check; returns the error answer or undefined when authorised. */
  private authError(req: IncomingMessage, query: URLSearchParams): [number, Record<string, unknown>] | undefined {
    const h = req.headers.authorization;
    if (!h) {
      if (query.has('token')) return [400, { text: 'Query string authorization is not enabled', code: 16 }];
      return [401, { text: 'Token is required', code: 2 }];
    }
    const m = /^Splunk\s+(\S+)$/.exec(h);
    if (!m) return [401, { text: 'Invalid authorization', code: 3 }];
    if (this.disabledTokens.has(m[1]!)) return [403, { text: 'Token disabled', code: 1 }];
    if (!this.tokens.has(m[1]!)) return [403, { text: 'Invalid token', code: 4 }];
    return undefined;
  }

  protected handle(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const u = new URL(req.url ?? '/', 'http://x');
    const path = hecPath(req);
    const rec: HecRequestRecord = { ...this.requestEntry(req, body, this.requests.length, path), eventCount: 0 };
    if (this.record) this.requests.push(rec);

    if (path === '/services/collector/health' || path === '/services/collector/health/1.0') {
      if (req.headers.authorization && this.authError(req, u.searchParams)) return this.reply(res, rec, 400, { text: 'Invalid HEC token', code: 4 });
      if (this.unhealthy) return this.reply(res, rec, 503, { text: 'HEC is unhealthy, queues are full', code: 18 });
      return this.reply(res, rec, 200, { text: 'HEC is healthy', code: 17 });
    }
    const isAck = path === '/services/collector/ack';
    const isRaw = path === '/services/collector/raw' || path === '/services/collector/raw/1.0';
    const isEvent = path === '/services/collector/event' || path === '/services/collector' || path === '/services/collector/event/1.0';
    if (!isAck && !isRaw && !isEvent) return this.reply(res, rec, 404, { text: 'The requested URL was not found on this server.', code: 404 });
    if (req.method !== 'POST') return this.reply(res, rec, 405, { text: 'Method not allowed', code: 405 });

    const authErr = this.authError(req, u.searchParams);
    if (authErr) return this.reply(res, rec, authErr[0], authErr[1]);
    if (body.length > this.maxContentLength) {
      return this.reply(res, rec, 413, { text: `Content-Length of ${body.length} too large (maximum is ${this.maxContentLength})`, code: 413 });
    }
    const channel = (req.headers['x-splunk-request-channel'] as string | undefined) ?? u.searchParams.get('channel') ?? undefined;
    if (isAck) return this.handleAck(res, rec, body, channel);
    if (channel === undefined && (this.ackEnabled || isRaw)) return this.reply(res, rec, 400, { text: 'Data channel is missing', code: 10 });
    if (channel !== undefined && !GUID.test(channel)) return this.reply(res, rec, 400, { text: 'Invalid data channel', code: 11 });

    let decoded: Buffer;
    try {
      decoded = decodeBody(body, req.headers['content-encoding']);
    } catch {
      return this.reply(res, rec, 400, { text: 'Invalid data format', code: 6 });
    }
    rec.decodedBytes = decoded.length;
    const text = decoded.toString('utf8');
    if (this.record) rec.bodyText = text;
    if (!text.trim()) return this.reply(res, rec, 400, { text: 'No data', code: 5 });

    const accepted: HecEventRecord[] = [];
    let failure: [number, Record<string, unknown>] | undefined;
    if (isRaw) {
      rec.framing = 'raw';
      for (const line of text.split(/\r?\n/)) {
        if (!line.trim()) continue;
        let event: unknown = line;
        try {
          event = JSON.parse(line);
        } catch {
          /* raw text */
        }
        accepted.push({
          endpoint: 'raw',
          event,
          ...(u.searchParams.get('host') ? { host: u.searchParams.get('host')! } : {}),
          ...(u.searchParams.get('source') ? { source: u.searchParams.get('source')! } : {}),
          ...(u.searchParams.get('sourcetype') ? { sourcetype: u.searchParams.get('sourcetype')! } : {}),
          ...(u.searchParams.get('index') ? { index: u.searchParams.get('index')! } : {}),
          ...(channel ? { channel } : {}),
          ackState: 'none',
          request: rec.n,
        });
      }
    } else {
      const parsed = parseConcatenated(text);
      rec.framing = parsed.array ? 'array' : 'concatenated';
      for (let i = 0; i < parsed.values.length; i++) {
        const err = this.validate(parsed.values[i], i);
        if (err) {
          failure = err;
          break;
        }
        const v = parsed.values[i] as Record<string, unknown>;
        accepted.push({
          endpoint: 'event',
          time: v.time,
          ...(typeof v.host === 'string' ? { host: v.host } : {}),
          ...(typeof v.source === 'string' ? { source: v.source } : {}),
          ...(typeof v.sourcetype === 'string' ? { sourcetype: v.sourcetype } : {}),
          ...(typeof v.index === 'string' ? { index: v.index } : {}),
          ...(v.fields !== undefined ? { fields: v.fields as Record<string, unknown> } : {}),
          event: v.event,
          ...(channel ? { channel } : {}),
          ackState: 'none',
          request: rec.n,
        });
      }
      if (!failure && parsed.error !== undefined) failure = [400, { text: 'Invalid data format', code: 6, 'invalid-event-number': parsed.values.length }];
    }
    if (failure) {
      // splunkd streams: what was parsed before the bad event went into the pipeline.
      if (this.partialIndexing) this.keep(accepted);
      rec.eventCount = this.partialIndexing ? accepted.length : 0;
      return this.reply(res, rec, failure[0], failure[1]);
    }
    rec.eventCount = accepted.length;
    const answer: Record<string, unknown> = { text: 'Success', code: 0 };
    if (this.ackEnabled && channel) {
      const ch = this.channelState(channel);
      const ackId = ch.next++;
      const lost = this.loseAcks > 0;
      if (lost) this.loseAcks--;
      for (const a of accepted) {
        a.ackId = ackId;
        a.ackState = lost ? 'lost' : 'pending';
      }
      if (!lost) ch.pending.set(ackId, { records: accepted, polls: 0 });
      answer.ackId = ackId;
    }
    this.keep(accepted);
    this.reply(res, rec, 200, answer);
  }

  private keep(records: HecEventRecord[]): void {
    for (const r of records) if (r.ackState === 'none') this.indexedCount++;
    if (this.record) this.received.push(...records);
  }

  private channelState(channel: string) {
    let ch = this.acks.get(channel);
    if (!ch) this.acks.set(channel, (ch = { next: 0, pending: new Map() }));
    return ch;
  }

  private handleAck(res: ServerResponse, rec: HecRequestRecord, body: Buffer, channel: string | undefined) {
    if (!this.ackEnabled) return this.reply(res, rec, 400, { text: 'ACK is disabled', code: 14 });
    if (channel === undefined) return this.reply(res, rec, 400, { text: 'Data channel is missing', code: 10 });
    if (!GUID.test(channel)) return this.reply(res, rec, 400, { text: 'Invalid data channel', code: 11 });
    let ids: unknown;
    try {
      ids = (JSON.parse(decodeBody(body, undefined).toString('utf8')) as { acks?: unknown }).acks;
    } catch {
      ids = undefined;
    }
    if (!Array.isArray(ids) || !ids.every((i) => Number.isInteger(i))) return this.reply(res, rec, 400, { text: 'Invalid data format', code: 6 });
    const ch = this.channelState(channel);
    const answer: Record<string, boolean> = {};
    for (const id of ids as number[]) {
      const entry = ch.pending.get(id);
      let acked = false;
      if (entry && !this.acksHeld) {
        entry.polls++;
        if (entry.polls >= this.ackAfterPolls) {
          acked = true;
          for (const r of entry.records) r.ackState = 'acked';
          this.indexedCount += entry.records.length;
          // Once reported true, an ackId is forgotten (a later query answers false).
          ch.pending.delete(id);
        }
      }
      answer[String(id)] = acked;
    }
    if (this.record) this.ackPolls.push({ channel, ids: ids as number[], answer });
    this.reply(res, rec, 200, { acks: answer });
  }

  private validate(v: unknown, position: number): [number, Record<string, unknown>] | undefined {
    const bad = (code: number, text: string): [number, Record<string, unknown>] => [400, { text, code, 'invalid-event-number': position }];
    if (!v || typeof v !== 'object' || Array.isArray(v)) return bad(6, 'Invalid data format');
    const o = v as Record<string, unknown>;
    if (!('event' in o)) return bad(12, 'Event field is required');
    const e = o.event;
    if (e === null || e === undefined || (typeof e === 'string' && !e.trim()) || (typeof e === 'object' && Object.keys(e).length === 0)) {
      return bad(13, 'Event field cannot be blank');
    }
    if ('time' in o) {
      const t = o.time;
      const ok = (typeof t === 'number' && Number.isFinite(t)) || (typeof t === 'string' && /^\d+(\.\d+)?$/.test(t));
      if (!ok) return bad(15, 'Error in handling indexed fields');
    }
    if ('fields' in o) {
      const f = o.fields;
      if (!f || typeof f !== 'object' || Array.isArray(f)) return bad(15, 'Error in handling indexed fields');
      for (const val of Object.values(f)) {
        const flat = typeof val === 'string' || typeof val === 'number' || (Array.isArray(val) && val.every((x) => typeof x === 'string'));
        if (!flat) return bad(15, 'Error in handling indexed fields');
      }
    }
    if (typeof o.index === 'string' && this.allowedIndexes && !this.allowedIndexes.has(o.index)) return bad(7, 'Incorrect index');
    return undefined;
  }
}

/** Parses concatenated JSON values ("{...}{...}" or newline-separated); a top-level array counts as a batch. */
export function parseConcatenated(text: string): { values: unknown[]; array: boolean; error?: string } {
  // Fast path for the common framing (one object per line); anything else goes through the scanner.
  const fast: unknown[] = [];
  let fastOk = true;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t) continue;
    if (t[0] !== '{') {
      fastOk = false;
      break;
    }
    try {
      fast.push(JSON.parse(t));
    } catch {
      fastOk = false;
      break;
    }
  }
  if (fastOk) return { values: fast, array: false };
  const values: unknown[] = [];
  let array = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && /\s/.test(text[i]!)) i++;
    if (i >= n) break;
    const start = i;
    const open = text[i];
    if (open !== '{' && open !== '[') return { values, array, error: `unexpected ${JSON.stringify(open)} at ${i}` };
    let depth = 0;
    let inString = false;
    for (; i < n; i++) {
      const c = text[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) {
          i++;
          break;
        }
      }
    }
    if (depth !== 0) return { values, array, error: 'unterminated JSON value' };
    let v: unknown;
    try {
      v = JSON.parse(text.slice(start, i));
    } catch (err) {
      return { values, array, error: (err as Error).message };
    }
    if (Array.isArray(v)) {
      array = true;
      values.push(...v);
    } else values.push(v);
  }
  return { values, array };
}

export async function startHecReceiver(opts: HecReceiverOptions = {}): Promise<HecReceiver> {
  return new HecReceiver(opts).start();
}
