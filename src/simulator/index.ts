// Zendesk API simulator: a deterministic, in-process HTTP server that behaves like Zendesk for
// GET /api/v2/audit_logs (+ /{id}), GET /api/v2/incremental/ticket_events and GET /api/v2/access_logs,
// with Zendesk's auth, rate limits and error bodies, plus injectable faults. Used by the demo, the
// source tests and the benchmarks. See the comments in each endpoint file for the doc pages followed.

import type { AuthOptions } from './auth.js';
import type { DataOptions } from './data.js';
import type { FaultRule } from './faults.js';
import type { LimitOptions, Violation } from './rate-limit.js';
import { SimulatorServer, type AppendOptions, type BehaviourOptions, type Counters, type LiveOptions, type RequestLogEntry } from './server.js';
import type { DeletedTicketRecord, StreamName, StreamRecordMap } from './types.js';

export type { AuthOptions, OAuthToken } from './auth.js';
export type { DataOptions } from './data.js';
export { parseFaultSpec, type FaultKind, type FaultRule } from './faults.js';
export type { LimitOptions, Violation, BucketName } from './rate-limit.js';
export type { AppendOptions, BehaviourOptions, Counters, LiveOptions, RequestLogEntry } from './server.js';
export type { AccessLogRecord, AuditLogRecord, DeletedTicketRecord, EndpointName, StreamName, StreamRecordMap, TicketChildEvent, TicketEventRecord, Via } from './types.js';
export { STREAMS, ENDPOINTS } from './types.js';
export { mulberry32 } from './prng.js';
export { isUlid, ulidTime } from './ulid.js';

export interface SimulatorOptions {
  /** PRNG seed: same seed (and same data times) → byte-identical data. Default 1. */
  seed?: number;
  /** Listen address. Default 127.0.0.1. */
  host?: string;
  /** Listen port; 0 (default) picks a free one. */
  port?: number;
  /** Clock in epoch ms, for rate-limit windows, start_time checks, live data and the default data range. Default Date.now. */
  now?: () => number;
  /** Accepted credentials; defaults to DEMO_CREDENTIALS and DEMO_OAUTH_TOKEN. */
  auth?: AuthOptions;
  data?: DataOptions;
  limits?: LimitOptions;
  faults?: FaultRule[];
  /** Records that keep arriving while clients follow, e.g. { audit_logs: { perMinute: 120 } }. */
  live?: LiveOptions;
  /** Choices where Zendesk's docs are silent or ambiguous; defaults follow the docs' wording. */
  behaviour?: BehaviourOptions;
}

export interface Simulator {
  /** Base URL, e.g. http://127.0.0.1:54321 (use as the account's baseUrl). */
  readonly url: string;
  readonly port: number;
  /** The data's generated time range, epoch seconds. */
  readonly timeRange: { start: number; end: number };
  close(): Promise<void>;

  /** All records of a stream, ascending by (time, id), including appended and live ones. Do not mutate. */
  records<S extends StreamName>(stream: S): StreamRecordMap[S][];
  /** Adds records now (or `timeOffset` seconds from now; negative for late arrivals). Returns them. */
  append<S extends StreamName>(stream: S, what: number | Partial<StreamRecordMap[S]>[], opts?: AppendOptions): StreamRecordMap[S][];
  setLive(live: LiveOptions): void;
  /** The soft-deleted tickets currently listed, ascending by (deleted_at, id). */
  deletedTickets(): DeletedTicketRecord[];
  /** Soft-deletes `count` new tickets (or these ids) now or at `timeOffset`/`at`; by `actor` when given. */
  deleteTickets(what: number | number[], opts?: AppendOptions & { actor?: { id: number; name: string } }): DeletedTicketRecord[];
  /** Restores a deleted ticket: it leaves the list. Returns whether it was listed. */
  restoreTicket(id: number): boolean;

  setFaults(rules: FaultRule[]): void;
  addFault(rule: FaultRule): void;
  clearFaults(): void;
  setLimits(limits: LimitOptions): void;
  /** Forgets spent budgets and advertised Retry-Afters. */
  resetLimits(): void;
  setAuth(auth: AuthOptions): void;
  setBehaviour(behaviour: BehaviourOptions): void;

  /** Every request received, in arrival order. */
  readonly requests: readonly RequestLogEntry[];
  readonly counters: Readonly<Counters>;
  /** Requests that came before a Retry-After (or access-log ratelimit-reset) we sent had elapsed. */
  readonly retryAfterViolations: readonly Violation[];
  /** Clears the request log, counters and violations. */
  resetStats(): void;
}

/** What examples/demo.yaml and `zsf simulate` use. */
export const DEMO_CREDENTIALS: { email: string; token: string; subdomain: string } = {
  email: 'siem-forwarder@example.com',
  token: 'zsf-demo-api-token-6f1c2b9e',
  subdomain: 'zsf-demo',
};

/** OAuth access token the simulator accepts by default (`Authorization: Bearer ...`). */
export const DEMO_OAUTH_TOKEN = 'zsf-demo-oauth-token-1d7a4c3f';

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const now = opts.now ?? Date.now;
  const srv = await SimulatorServer.start({
    seed: opts.seed ?? 1,
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 0,
    now,
    auth: opts.auth ?? { email: DEMO_CREDENTIALS.email, token: DEMO_CREDENTIALS.token, oauthTokens: [DEMO_OAUTH_TOKEN] },
    data: { subdomain: DEMO_CREDENTIALS.subdomain, ...opts.data },
    limits: opts.limits ?? {},
    faults: opts.faults ?? [],
    live: opts.live ?? {},
    behaviour: opts.behaviour ?? {},
  });
  return {
    url: srv.url,
    port: srv.port,
    timeRange: { start: srv.ds.startSec, end: srv.ds.endSec },
    close: () => srv.close(),
    records: (stream) => srv.records(stream),
    append: (stream, what, o) => srv.append(stream, what, o),
    setLive: (live) => srv.setLive(live),
    deletedTickets: () => srv.ds.deletedTickets.records(),
    deleteTickets: (what, o) => srv.deleteTickets(what, o),
    restoreTicket: (id) => srv.ds.deletedTickets.restore(id),
    setFaults: (rules) => srv.faults.set(rules),
    addFault: (rule) => srv.faults.add(rule),
    clearFaults: () => srv.faults.clear(),
    setLimits: (limits) => srv.limiter.set(limits),
    resetLimits: () => srv.limiter.reset(),
    setAuth: (auth) => {
      srv.auth = { ...srv.auth, ...auth };
    },
    setBehaviour: (b) => {
      srv.behaviour = { ...srv.behaviour, ...b };
    },
    get requests() {
      return srv.log;
    },
    get counters() {
      return srv.counters;
    },
    get retryAfterViolations() {
      return srv.violations;
    },
    resetStats: () => srv.resetStats(),
  };
}
