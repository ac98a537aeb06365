// The in-process HTTP server (node:http) and its control API. Per request, in order: route, live
// appends, Retry-After bookkeeping, injected faults, authentication, rate limits, then the handler.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listAccessLogs, type AccessLogBehaviour } from './access-logs.js';
import { listAuditLogs, showAuditLog, type AuditLogBehaviour } from './audit-logs.js';
import { checkAuth, type AuthOptions } from './auth.js';
import { accessEntry, auditEntry, generateDataset, makeRecords, ticketEventEntry, toSec, type AnyRecord, type DataOptions, type Dataset } from './data.js';
import { accessLogErrors, supportErrors, type ErrorReply } from './errors.js';
import { FaultEngine, type FaultKind, type FaultRule } from './faults.js';
import { requestBase, type HandlerContext, type HandlerResult } from './http.js';
import { parseNestedQuery, type RackParams } from './rack-query.js';
import { bucketsFor, primaryBucket, RateLimiter, type BucketState, type LimitDecision, type LimitOptions, type Violation } from './rate-limit.js';
import { childRng, type Rng } from './prng.js';
import { listDeletedTickets, makeDeletion } from './deleted-tickets.js';
import { backdateLate, exportTicketEvents, type TicketEventBehaviour } from './ticket-events.js';
import type { AccessLogRecord, AuditLogRecord, DeletedTicketRecord, EndpointName, StreamName, StreamRecordMap, TicketEventRecord } from './types.js';
import { ENDPOINTS } from './types.js';

export interface BehaviourOptions extends AuditLogBehaviour, TicketEventBehaviour, AccessLogBehaviour {
  /**
   * Format of the access-log 429's `ratelimit-reset`, documented only as "a date-time".
   * 'iso' (default, e.g. 2026-01-01T00:01:00Z), 'http-date' (RFC 7231) or 'unix' (epoch seconds).
   */
  accessLogResetFormat?: 'iso' | 'http-date' | 'unix';
}

/** New records arriving on their own, at a steady rate measured on the injected clock. */
export type LiveOptions = Partial<Record<StreamName, { perMinute: number }>>;

export interface AppendOptions {
  /** Seconds relative to now (negative: a late arrival dated in the past). Default 0. */
  timeOffset?: number;
  /** Absolute time instead of timeOffset: epoch ms, ISO string or Date. */
  at?: number | string | Date;
}

export interface RequestLogEntry {
  seq: number;
  method: string;
  /** Path and query as received. */
  path: string;
  endpoint: EndpointName | null;
  /** Clock time (ms) at arrival. */
  time: number;
  /** 0 when the connection was dropped on purpose. */
  status: number;
  faults: FaultKind[];
  /** It came before a Retry-After (or access-log reset) we had sent had elapsed. */
  retryAfterViolation: boolean;
}

export interface Counters {
  total: number;
  requests: Record<EndpointName | 'unknown', number>;
  statuses: Record<string, number>;
  /** 429 responses sent, from the budgets or injected. */
  tooManyRequests: number;
  retryAfterViolations: number;
  faultsFired: number;
}

export interface ServerOptions {
  seed: number;
  host: string;
  port: number;
  now: () => number;
  auth: AuthOptions;
  data: DataOptions;
  limits: LimitOptions;
  faults: FaultRule[];
  live: LiveOptions;
  behaviour: BehaviourOptions;
}

/** Request log and violation list keep the most recent entries only. */
const MAX_LOG = 100_000;

function emptyCounters(): Counters {
  return { total: 0, requests: { audit_logs: 0, audit_log: 0, ticket_events: 0, access_logs: 0, deleted_tickets: 0, unknown: 0 }, statuses: {}, tooManyRequests: 0, retryAfterViolations: 0, faultsFired: 0 };
}

type Route = { endpoint: EndpointName; id?: number };

function route(method: string, path: string): Route | undefined {
  if (method !== 'GET' && method !== 'HEAD') return undefined;
  const p = path.replace(/\.json$/, '').replace(/\/+$/, '');
  if (p === '/api/v2/audit_logs') return { endpoint: 'audit_logs' };
  const show = /^\/api\/v2\/audit_logs\/(\d+)$/.exec(p);
  if (show) return { endpoint: 'audit_log', id: Number(show[1]) };
  if (p === '/api/v2/incremental/ticket_events') return { endpoint: 'ticket_events' };
  if (p === '/api/v2/access_logs') return { endpoint: 'access_logs' };
  if (p === '/api/v2/deleted_tickets') return { endpoint: 'deleted_tickets' };
  return undefined;
}

function formatReset(ms: number, fmt: BehaviourOptions['accessLogResetFormat']): string {
  const sec = Math.ceil(ms / 1000);
  if (fmt === 'unix') return String(sec);
  if (fmt === 'http-date') return new Date(sec * 1000).toUTCString();
  return new Date(sec * 1000).toISOString().slice(0, 19) + 'Z';
}

export class SimulatorServer {
  readonly ds: Dataset;
  readonly limiter: RateLimiter;
  readonly faults: FaultEngine;
  auth: AuthOptions;
  behaviour: BehaviourOptions;
  readonly log: RequestLogEntry[] = [];
  counters: Counters = emptyCounters();
  readonly violations: Violation[] = [];
  private live: Map<StreamName, { perMinute: number; sinceMs: number; emitted: number }> = new Map();
  private seq = 0;
  private readonly handlerState: HandlerContext['state'] = {};
  private readonly lateRng: Rng;
  private readonly server: Server;
  url = '';

  private constructor(
    readonly opts: ServerOptions,
    server: Server,
    baseUrl: string,
  ) {
    this.server = server;
    this.url = baseUrl;
    this.ds = generateDataset(opts.seed, { ...opts.data, nowMs: opts.now(), baseUrl });
    this.limiter = new RateLimiter(opts.limits);
    this.faults = new FaultEngine(opts.faults);
    this.auth = opts.auth;
    this.behaviour = opts.behaviour;
    this.lateRng = childRng(opts.seed, 'ticket_events:late');
    this.setLive(opts.live);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.write(res, { status: 500, body: { error: 'SimulatorError', description: String(err) } }, {});
      });
    });
  }

  static async start(opts: ServerOptions): Promise<SimulatorServer> {
    const server = createServer({ keepAliveTimeout: 5000 });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as AddressInfo;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    try {
      return new SimulatorServer(opts, server, `http://${host}:${addr.port}`);
    } catch (err) {
      server.close();
      throw err;
    }
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- data -------------------------------------------------------------------------------

  setLive(live: LiveOptions): void {
    const now = this.opts.now();
    this.materializeLive(now);
    this.live = new Map();
    for (const [stream, cfg] of Object.entries(live) as [StreamName, { perMinute: number } | undefined][]) {
      if (cfg && cfg.perMinute > 0) this.live.set(stream, { perMinute: cfg.perMinute, sinceMs: now, emitted: 0 });
    }
  }

  /** Adds the records that "arrived" since the last look, spread evenly over the elapsed time. */
  materializeLive(now: number): void {
    for (const [stream, st] of this.live) {
      const due = Math.min(1_000_000, Math.floor(((now - st.sinceMs) * st.perMinute) / 60_000));
      let i = st.emitted;
      while (i < due) {
        const sec = Math.floor((st.sinceMs + ((i + 1) * 60_000) / st.perMinute) / 1000);
        let n = 1;
        while (i + n < due && Math.floor((st.sinceMs + ((i + n + 1) * 60_000) / st.perMinute) / 1000) === sec) n++;
        const fresh = makeRecords(this.ds, stream, n, sec);
        this.insert(stream, stream === 'ticket_events' ? backdateLate(fresh as TicketEventRecord[], this.lateRng, this.behaviour.ticketEventsLate) : fresh);
        i += n;
      }
      st.emitted = due;
    }
  }

  /** `secs[i]` places record i when its own time field is unusable on purpose (hostile-data tests). */
  private insert(stream: StreamName, records: AnyRecord[], secs?: number[]): void {
    records.forEach((r, i) => {
      const sec = secs?.[i];
      if (stream === 'audit_logs') this.ds.audit.insert(auditEntry(r as AuditLogRecord, sec));
      else if (stream === 'ticket_events') this.ds.ticketEvents.insert(sec === undefined ? ticketEventEntry(r as TicketEventRecord) : { ...ticketEventEntry({ ...(r as TicketEventRecord), timestamp: sec }), r: r as TicketEventRecord });
      else this.ds.access.insert(accessEntry(r as AccessLogRecord, sec));
    });
  }

  records<S extends StreamName>(stream: S): StreamRecordMap[S][] {
    this.materializeLive(this.opts.now());
    const s = stream === 'audit_logs' ? this.ds.audit : stream === 'ticket_events' ? this.ds.ticketEvents : this.ds.access;
    return s.records() as StreamRecordMap[S][];
  }

  append<S extends StreamName>(stream: S, what: number | Partial<StreamRecordMap[S]>[], o: AppendOptions = {}): StreamRecordMap[S][] {
    const now = this.opts.now();
    this.materializeLive(now);
    const sec = o.at !== undefined ? toSec(o.at) : Math.floor((now + (o.timeOffset ?? 0) * 1000) / 1000);
    let out: AnyRecord[];
    const secs: number[] = [];
    if (typeof what === 'number') {
      out = what > 0 ? makeRecords(this.ds, stream, what, sec) : [];
      out.forEach(() => secs.push(sec));
    } else {
      out = what.map((partial) => {
        const p = partial as Partial<AuditLogRecord & TicketEventRecord & AccessLogRecord>;
        const own: unknown = stream === 'audit_logs' ? p.created_at : p.timestamp;
        // A null, wrong-typed or unparseable time is served as given, stored at `sec`.
        const at = typeof own === 'number' && stream === 'ticket_events' ? own : typeof own === 'string' && Number.isFinite(Date.parse(own)) ? toSec(own) : sec;
        secs.push(at);
        const base = makeRecords(this.ds, stream, 1, at)[0] as AnyRecord;
        return Object.assign(base, partial) as AnyRecord;
      });
    }
    this.insert(stream, out, secs);
    return out as StreamRecordMap[S][];
  }

  /**
   * Soft-deletes tickets now (or `timeOffset` seconds from now): `count` new ones, all by `actor`
   * when given, or the given ticket ids (a restored ticket deleted again gets a new deleted_at).
   */
  deleteTickets(what: number | number[], o: AppendOptions & { actor?: { id: number; name: string } } = {}): DeletedTicketRecord[] {
    const sec = o.at !== undefined ? toSec(o.at) : Math.floor((this.opts.now() + (o.timeOffset ?? 0) * 1000) / 1000);
    const out = typeof what === 'number' ? Array.from({ length: what }, () => makeDeletion(this.ds.deletions, sec, o.actor)) : what.map((id) => ({ ...makeDeletion(this.ds.deletions, sec, o.actor), id }));
    for (const r of out) this.ds.deletedTickets.put(r);
    return out;
  }

  resetStats(): void {
    this.log.length = 0;
    this.violations.length = 0;
    this.counters = emptyCounters();
  }

  // ---- requests ---------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const now = this.opts.now();
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const r = route(req.method ?? 'GET', url.pathname);
    const entry: RequestLogEntry = { seq: ++this.seq, method: req.method ?? 'GET', path: req.url ?? '/', endpoint: r?.endpoint ?? null, time: now, status: 0, faults: [], retryAfterViolation: false };
    this.log.push(entry);
    // Bounded so a long-running `zsf simulate` does not grow without limit; counters keep the totals.
    if (this.log.length > MAX_LOG) this.log.splice(0, this.log.length - MAX_LOG);
    this.counters.total++;
    if (!r) {
      this.counters.requests.unknown++;
      return this.reply(res, entry, supportErrors.invalidEndpoint(), {});
    }
    const endpoint = r.endpoint;
    const access = endpoint === 'access_logs';
    this.counters.requests[endpoint]++;
    this.materializeLive(now);
    const buckets = bucketsFor(endpoint, this.limiter.options.accessLogsCountAgainstAccount);
    const v = this.limiter.violation(buckets, endpoint, now);
    if (v) {
      this.violations.push(v);
      if (this.violations.length > MAX_LOG) this.violations.splice(0, this.violations.length - MAX_LOG);
      this.counters.retryAfterViolations++;
      entry.retryAfterViolation = true;
    }

    const fired = this.faults.next(endpoint);
    entry.faults = fired.map((f) => f.kind);
    this.counters.faultsFired += fired.length;
    const rule = (k: FaultKind) => fired.find((f) => f.kind === k)?.rule;
    if (rule('disconnect')) {
      req.socket.destroy();
      return;
    }
    const slow = rule('slow');
    if (slow) await new Promise((resolve) => setTimeout(resolve, slow.delayMs ?? 2000));
    const late = rule('late');
    if (late) {
      const stream: StreamName = late.late?.stream ?? (endpoint === 'ticket_events' ? 'ticket_events' : access ? 'access_logs' : 'audit_logs');
      this.append(stream, late.late?.count ?? 10, { timeOffset: -(late.late?.ageSeconds ?? 300) });
    }
    const err = rule('5xx');
    if (err) {
      const status = err.status ?? 500;
      const reply: ErrorReply = access ? accessLogErrors.server(status) : supportErrors.server(status);
      const headers: Record<string, string> = {};
      if (err.retryAfter !== undefined) {
        headers['Retry-After'] = String(err.retryAfter);
        this.limiter.block([primaryBucket(endpoint)], now + err.retryAfter * 1000);
      }
      return this.reply(res, entry, reply, headers);
    }
    const html = rule('html200');
    if (html) return this.reply(res, entry, { status: 200, body: '<!DOCTYPE html><html><head><title>Zendesk</title></head><body><p>Please sign in.</p></body></html>', headers: { 'content-type': 'text/html; charset=utf-8' } }, {});
    const redirect = rule('redirect');
    if (redirect) {
      const to = new URL(req.url ?? '/', redirect.location ?? 'https://redirect.invalid').toString();
      return this.reply(res, entry, { status: 302, body: `<html><body>You are being <a href="${to}">redirected</a>.</body></html>`, headers: { location: to, 'content-type': 'text/html; charset=utf-8' } }, {});
    }
    const storm = rule('429');
    if (storm) {
      const window = this.limiter.options.windowMs;
      const fallback = Math.max(1, Math.ceil(((Math.floor(now / window) + 1) * window - now) / 1000));
      const retryAfter = storm.retryAfter ?? fallback;
      return this.tooMany(res, entry, endpoint, now, retryAfter, undefined);
    }

    const auth = checkAuth(req.headers, this.auth, endpoint);
    if (!auth.ok) return this.reply(res, entry, auth.reply, {});

    const decision = this.limiter.take(buckets, now);
    if (!decision.ok) return this.tooMany(res, entry, endpoint, now, decision.retryAfterSec, decision);

    // Rails parses the query before the controller runs; a shape conflict never reaches it.
    let query: RackParams;
    try {
      query = parseNestedQuery(url.search.slice(1));
    } catch (err) {
      const why = `Invalid query parameters: ${err instanceof Error ? err.message : String(err)}`;
      return this.reply(res, entry, access ? accessLogErrors.malformed(why) : supportErrors.invalidValue(why), {});
    }
    const ctx: HandlerContext = { url, query, base: requestBase(req, this.url), nowMs: now, repeat: rule('repeat') ? (rule('repeat')?.repeat ?? 5) : 0, state: this.handlerState };
    let result: HandlerResult;
    if (endpoint === 'audit_logs') result = listAuditLogs(this.ds, ctx, this.behaviour);
    else if (endpoint === 'audit_log') result = showAuditLog(this.ds, ctx, r.id as number);
    else if (endpoint === 'ticket_events') result = exportTicketEvents(this.ds, ctx, this.behaviour);
    else if (endpoint === 'deleted_tickets') result = listDeletedTickets(this.ds.deletedTickets, ctx);
    else result = listAccessLogs(this.ds, ctx, this.behaviour);
    const malformed = result.status === 200 && rule('malformed') !== undefined;
    return this.reply(res, entry, result, this.limitHeaders(endpoint, decision.states), malformed);
  }

  /** Headers on normal responses, per https://developer.zendesk.com/api-reference/introduction/rate-limits/ (none for access logs). */
  private limitHeaders(endpoint: EndpointName, states: LimitDecision['states']): Record<string, string> {
    const h: Record<string, string> = {};
    if (endpoint === 'access_logs') return h;
    const a = states.account;
    if (a) {
      h['X-Rate-Limit'] = String(a.limit);
      h['X-Rate-Limit-Remaining'] = String(a.remaining);
      h['ratelimit-limit'] = String(a.limit);
      h['ratelimit-remaining'] = String(a.remaining);
      h['ratelimit-reset'] = String(a.resetSec);
    }
    const inc = states.incremental;
    if (inc) h['Zendesk-RateLimit-incremental-exports'] = `total=${inc.limit}; remaining=${inc.remaining}; resets=${inc.resetSec}`;
    return h;
  }

  private tooMany(res: ServerResponse, entry: RequestLogEntry, endpoint: EndpointName, now: number, retryAfter: number, decision: LimitDecision | undefined): void {
    // Only the exhausted budget is off limits; an injected 429 stands for the endpoint's own budget.
    this.limiter.block([decision && !decision.ok ? decision.bucket : primaryBucket(endpoint)], now + retryAfter * 1000);
    this.counters.tooManyRequests++;
    if (endpoint === 'access_logs') {
      // "doesn't include a retry-after header. Instead it returns a ratelimit-reset header that specifies a date-time."
      return this.reply(res, entry, accessLogErrors.rateLimited(), { 'ratelimit-reset': formatReset(now + retryAfter * 1000, this.behaviour.accessLogResetFormat) });
    }
    const states: Partial<Record<string, BucketState>> = decision?.states ?? {};
    const limit = states.account?.limit ?? this.limiter.limitOf('account');
    const headers: Record<string, string> = {
      'Retry-After': String(retryAfter),
      'X-Rate-Limit': String(limit),
      'X-Rate-Limit-Remaining': String(states.account?.remaining ?? 0),
      'ratelimit-limit': String(limit),
      'ratelimit-remaining': String(states.account?.remaining ?? 0),
      'ratelimit-reset': String(retryAfter),
    };
    if (endpoint === 'ticket_events') headers['Zendesk-RateLimit-incremental-exports'] = `total=${this.limiter.limitOf('incremental')}; remaining=${states.incremental?.remaining ?? 0}; resets=${retryAfter}`;
    return this.reply(res, entry, supportErrors.rateLimited(), headers);
  }

  private reply(res: ServerResponse, entry: RequestLogEntry, result: HandlerResult, headers: Record<string, string>, malformed = false): void {
    entry.status = result.status;
    this.counters.statuses[result.status] = (this.counters.statuses[result.status] ?? 0) + 1;
    this.write(res, result, headers, malformed);
  }

  private write(res: ServerResponse, result: HandlerResult, headers: Record<string, string>, malformed = false): void {
    let body = typeof result.body === 'string' ? result.body : JSON.stringify(result.body);
    // A body cut in half: what a proxy timing out mid-response or a broken gzip stream looks like.
    if (malformed) body = body.slice(0, Math.max(1, Math.floor(body.length / 2)));
    const all: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', ...result.headers, ...headers };
    all['content-length'] = String(Buffer.byteLength(body));
    try {
      res.writeHead(result.status, all);
      res.end(res.req.method === 'HEAD' ? undefined : body);
    } catch {
      // The client went away; nothing to do.
    }
  }
}

export { ENDPOINTS };
