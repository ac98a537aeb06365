// The windowed poller's request economy: a backfill reads every page once (no lookback re-read
// per window, no page cap restarting windows), checkpoints narrow the window page by page so a
// restart resumes at the cut, the next page is requested while the current one is processed,
// a page out of order turns narrowing off without losing anything, and the live tail still
// re-reads the lookback. Unit tests drive the poller with a fake paged server (whose requests
// are counted); the last ones run the sources against the simulator, which counts its own.

import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { SourceBatch, SourceContext } from '../../src/core/types.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { ZendeskClient } from '../../src/sources/zendesk/client.js';
import { nextWindowStart, PREFETCH_MAX_BYTES, Progress, runWindowedPoller, type WindowSpec, type WindowState } from '../../src/sources/zendesk/windowed-poller.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { expectExactlyOnce, runZendesk, simAccount, startOf, streamIds } from '../support/zendesk-run.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const LOOKBACK = 600_000;

interface Rec {
  id: number;
  created_at: string;
}

/** `count` records `stepSec` apart (odd seconds, so no record sits on a window boundary), ending `endAgoMs` before NOW. */
function records(count: number, stepSec: number, endAgoMs: number): Rec[] {
  const end = Math.floor((NOW - endAgoMs) / 1000) * 1000 + 1000;
  return Array.from({ length: count }, (_, i) => ({ id: 1 + i, created_at: new Date(end - (count - 1 - i) * stepSec * 1000).toISOString() }));
}

/**
 * A paged list over `data`: `filter[lo]`/`filter[hi]` (epoch ms, inclusive), newest first,
 * cursor = offset. `outOfOrderPage` (1-based) is served oldest first, against the order asked for.
 */
function fakeServer(data: Rec[], o: { pageSize: number; bytes?: number; outOfOrderPage?: number }) {
  const requests: URL[] = [];
  const served = new Map<number, number>();
  const client = {
    resolve: (u: string) => {
      const url = new URL(u, 'http://zendesk.invalid');
      return `${url.pathname}${url.search}`;
    },
    getJson: async (u: string) => {
      const url = new URL(u, 'http://zendesk.invalid');
      requests.push(url);
      const lo = Number(url.searchParams.get('filter[lo]'));
      const hi = Number(url.searchParams.get('filter[hi]'));
      const from = Number(url.searchParams.get('page[after]') ?? 0);
      const inWindow = data.filter((r) => Date.parse(r.created_at) >= lo && Date.parse(r.created_at) <= hi).reverse();
      let page = inWindow.slice(from, from + o.pageSize);
      if (o.outOfOrderPage !== undefined && from === (o.outOfOrderPage - 1) * o.pageSize) page = [...page].reverse();
      for (const r of page) served.set(r.id, (served.get(r.id) ?? 0) + 1);
      const more = from + o.pageSize < inWindow.length;
      const next = new URL(url);
      next.searchParams.set('page[after]', String(from + o.pageSize));
      const body = { audit_logs: page, meta: { has_more: more, after_cursor: more ? String(from + o.pageSize) : null }, links: { next: more ? next.toString() : null } };
      return { body, text: JSON.stringify(body), url: url.toString(), bytes: o.bytes ?? 1000 };
    },
  };
  return { client: client as unknown as ZendeskClient, requests, served };
}

const spec = (maxPagesPerWindow = 50): WindowSpec => ({
  stream: 'audit_log',
  listKey: 'audit_logs',
  order: 'desc',
  maxPagesPerWindow,
  timeOf: (r) => Date.parse(String(r.created_at)),
  requests: (lo, hi) => [`/api/v2/audit_logs?filter%5Blo%5D=${lo}&filter%5Bhi%5D=${hi}`],
});

const options = (o: { startTime: number; initialWindowMs?: number; maxWindowMs?: number }) => ({
  account: 'acme',
  startTime: o.startTime,
  lookbackMs: LOOKBACK,
  settleMs: 30_000,
  pollIntervalMs: 1000,
  initialWindowMs: o.initialWindowMs ?? 7 * DAY,
  maxWindowMs: o.maxWindowMs ?? 7 * DAY,
  requestTimeoutMs: 10_000,
});

interface Run {
  batches: SourceBatch[];
  warnings: string[];
  ctx: SourceContext;
}

/** A source context for one --once run; `emit` may be replaced to hold batches. */
function context(checkpoint: unknown, emit?: (b: SourceBatch) => Promise<void>): Run {
  const batches: SourceBatch[] = [];
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(String(JSON.parse(line).msg)) });
  const ctx = {
    id: 'audit',
    logger,
    metrics: createMetrics(),
    deadLetter: async () => undefined,
    fail: () => undefined,
    setHealthy: () => undefined,
    now: () => NOW,
    random: () => 0.5,
    sleep: async () => undefined,
    checkpoint,
    signal: new AbortController().signal,
    once: true,
    emit: async (b: SourceBatch) => {
      batches.push(b);
      await emit?.(b);
    },
    reached: () => undefined,
  } as unknown as SourceContext;
  return { batches, warnings, ctx };
}

const emittedIds = (r: Run) => r.batches.flatMap((b) => b.records.map((x) => Number(x.id)));

describe('windowed poller: a backfill at the minimum number of requests', () => {
  it('reads 2,345 records over 3 days in exactly ceil(2345 / 100) requests, each record served once', async () => {
    const data = records(2345, 97, 3_600_000);
    const srv = fakeServer(data, { pageSize: 100 });
    const run = context(undefined);
    await runWindowedPoller(run.ctx, srv.client, spec(), options({ startTime: Date.parse(data[0]!.created_at) - 60_000 }), new Progress(run.ctx));
    expect(srv.requests).toHaveLength(24);
    expect([...srv.served.values()].every((n) => n === 1)).toBe(true);
    expectExactlyOnce(emittedIds(run).map(String), data.map((r) => r.id));
  });

  it('gives each record its place in the page text only when a transform worker reads it (keepPages)', async () => {
    const data = records(250, 97, 3_600_000);
    for (const keepPages of [true, false]) {
      const srv = fakeServer(data, { pageSize: 100 });
      const run = context(undefined);
      (run.ctx as { keepPages: boolean }).keepPages = keepPages;
      await runWindowedPoller(run.ctx, srv.client, spec(), options({ startTime: Date.parse(data[0]!.created_at) - 60_000 }), new Progress(run.ctx));
      const recs = run.batches.flatMap((b) => b.records);
      expect(recs).toHaveLength(250);
      if (!keepPages) expect(recs.every((r) => r.page === undefined)).toBe(true);
      else for (const r of recs) expect((JSON.parse(r.page!.page.text) as { audit_logs: unknown[] }).audit_logs[r.page!.index]).toEqual(r.raw);
    }
  });

  it('with 1-day windows over 3 days: one partial page per window and no lookback re-read between windows', async () => {
    const data = records(2345, 97, 3_600_000);
    const srv = fakeServer(data, { pageSize: 100 });
    const run = context(undefined);
    const start = Date.parse(data[0]!.created_at) - 60_000;
    await runWindowedPoller(run.ctx, srv.client, spec(), options({ startTime: start, initialWindowMs: DAY, maxWindowMs: DAY }), new Progress(run.ctx));
    const windows = new Set(srv.requests.map((u) => u.searchParams.get('filter[lo]')));
    // --once reads up to now − settle.
    expect(windows.size).toBe(Math.ceil((NOW - 30_000 - Math.floor(start / 1000) * 1000) / DAY));
    expect(srv.requests.length).toBeLessThanOrEqual(24 + windows.size);
    // Each window starts where the previous one ended: no re-read of the 10-minute lookback.
    const los = [...windows].map(Number).sort((a, b) => a - b);
    expect(los[0]).toBe(Math.floor(start / 1000) * 1000);
    for (let i = 1; i < los.length; i++) expect(los[i]! - los[i - 1]!).toBe(DAY);
    expect([...srv.served.values()].every((n) => n === 1)).toBe(true);
    expectExactlyOnce(emittedIds(run).map(String), data.map((r) => r.id));
  });

  it('a window read in order is maxWindow long from the first, whatever initialWindow says: 2,000 records over 2+ days in one window, 20 requests', async () => {
    // 1-day first window: ~890 and ~1,110 records, 9 + 12 = 21 requests before.
    const data = records(2000, 97, 3_600_000);
    const srv = fakeServer(data, { pageSize: 100 });
    const run = context(undefined);
    const start = Date.parse(data[0]!.created_at) - 60_000;
    await runWindowedPoller(run.ctx, srv.client, spec(), options({ startTime: start, initialWindowMs: DAY, maxWindowMs: 30 * DAY }), new Progress(run.ctx));
    expect(new Set(srv.requests.map((u) => u.searchParams.get('filter[lo]'))).size).toBe(1);
    expect(srv.requests).toHaveLength(20);
    expectExactlyOnce(emittedIds(run).map(String), data.map((r) => r.id));
  });

  it('windows kept whole (several request series) still start at initialWindow and stay under the page cap', async () => {
    const data = records(600, 97, 3_600_000);
    const srv = fakeServer(data, { pageSize: 100 });
    const run = context(undefined);
    const start = Date.parse(data[0]!.created_at) - 60_000;
    const twoSeries: WindowSpec = { ...spec(), requests: (lo, hi) => ['a', 'b'].map((v) => `/api/v2/audit_logs?filter%5Blo%5D=${lo}&filter%5Bhi%5D=${hi}&filter%5Baction%5D=${v}`) };
    await runWindowedPoller(run.ctx, srv.client, twoSeries, options({ startTime: start, initialWindowMs: DAY / 4, maxWindowMs: 30 * DAY }), new Progress(run.ctx));
    const first = srv.requests[0]!;
    expect(Number(first.searchParams.get('filter[hi]')) - Number(first.searchParams.get('filter[lo]'))).toBe(DAY / 4);
    expectExactlyOnce(emittedIds(run).map(String), data.map((r) => r.id));
  });

  it('narrows the checkpoint page by page (seen keeps only boundary ids); a restart from any page resumes at its cut', async () => {
    const data = records(1000, 61, 3 * DAY);
    const start = Date.parse(data[0]!.created_at) - 60_000;
    const first = context(undefined);
    await runWindowedPoller(first.ctx, fakeServer(data, { pageSize: 100 }).client, spec(), options({ startTime: start }), new Progress(first.ctx));
    const states = first.batches.map((b) => JSON.parse(JSON.stringify(b.checkpoint)) as WindowState);
    const his = states.filter((s) => s.current).map((s) => s.current!.hi);
    expect(his).toHaveLength(10);
    for (let i = 1; i < his.length; i++) expect(his[i]!).toBeLessThan(his[i - 1]!);
    // One record per 61 s: the ids at the cut second and at the window's end, nothing more.
    expect(Math.max(...states.map((s) => Object.keys(s.seen).length))).toBeLessThanOrEqual(2);

    // A crash after page 4 was committed: the next run asks only for what is left below the cut.
    const cp = states[3]!;
    const srv = fakeServer(data, { pageSize: 100 });
    const second = context(cp);
    await runWindowedPoller(second.ctx, srv.client, spec(), options({ startTime: start }), new Progress(second.ctx));
    expect(Number(srv.requests[0]!.searchParams.get('filter[hi]'))).toBe(cp.current!.hi);
    // What is left: the records below the cut and the one at the cut's second (read again, skipped by `seen`).
    const left = data.filter((r) => Date.parse(r.created_at) <= cp.current!.hi + 999).length;
    expect(left).toBe(601);
    expect(srv.requests).toHaveLength(Math.ceil(left / 100));
    const before = first.batches.slice(0, 4).flatMap((b) => b.records.map((x) => Number(x.id)));
    expectExactlyOnce([...before, ...emittedIds(second)].map(String), data.map((r) => r.id));
  });

  it('requests the next page while the current one is still being handed over (one page ahead only)', async () => {
    const data = records(500, 61, DAY);
    const srv = fakeServer(data, { pageSize: 100 });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let requestsWhileHeld = -1;
    const run = context(undefined, async (b) => {
      if (b.records.length && requestsWhileHeld < 0) {
        // The first page's batch is held: the source is blocked in emit, like behind a full buffer.
        await new Promise<void>((r) => setImmediate(r));
        requestsWhileHeld = srv.requests.length;
        release();
      }
      await held;
    });
    await runWindowedPoller(run.ctx, srv.client, spec(), options({ startTime: Date.parse(data[0]!.created_at) - 60_000 }), new Progress(run.ctx));
    expect(requestsWhileHeld).toBe(2);
    expect(srv.requests).toHaveLength(5);
  });

  it('requests nothing ahead after a page larger than PREFETCH_MAX_BYTES', async () => {
    const data = records(300, 61, DAY);
    const srv = fakeServer(data, { pageSize: 100, bytes: PREFETCH_MAX_BYTES + 1 });
    let requestsWhileHeld = -1;
    const run = context(undefined, async (b) => {
      if (b.records.length && requestsWhileHeld < 0) {
        await new Promise<void>((r) => setImmediate(r));
        requestsWhileHeld = srv.requests.length;
      }
    });
    await runWindowedPoller(run.ctx, srv.client, spec(), options({ startTime: Date.parse(data[0]!.created_at) - 60_000 }), new Progress(run.ctx));
    expect(requestsWhileHeld).toBe(1);
    expect(srv.requests).toHaveLength(3);
  });

  it('a page out of the order asked for: narrowing stops, the window is kept whole with every id, nothing is lost', async () => {
    const data = records(500, 61, DAY);
    const srv = fakeServer(data, { pageSize: 100, outOfOrderPage: 3 });
    const run = context(undefined);
    const start = Date.parse(data[0]!.created_at) - 60_000;
    await runWindowedPoller(run.ctx, srv.client, spec(), options({ startTime: start }), new Progress(run.ctx));
    expectExactlyOnce(emittedIds(run).map(String), data.map((r) => r.id));
    expect(run.warnings.some((w) => /out of the order/.test(w))).toBe(true);
    const states = run.batches.map((b) => JSON.parse(JSON.stringify(b.checkpoint)) as WindowState);
    // Pages 1-2 narrowed it; from page 3 on a restart would re-read the whole window, skipping what `seen` holds.
    expect(states[1]!.current!.hi).toBeLessThan(states[1]!.current!.end!);
    expect(states[2]!.current!.hi).toBe(states[2]!.current!.end);
    expect(Object.keys(states[4]!.seen).length).toBeGreaterThanOrEqual(300);
  });
});

describe('windowed poller: where the lookback applies', () => {
  const done = NOW - 5 * DAY;
  it('after a backfill window (read long after its records were written): not at all', () => {
    expect(nextWindowStart(done, LOOKBACK, done + DAY - LOOKBACK - 30_000)).toBe(done);
  });
  it('at the live tail (the window was read right after its end): the whole lookback', () => {
    expect(nextWindowStart(done, LOOKBACK, done + 30_000 - LOOKBACK - 30_000)).toBe(done - LOOKBACK);
  });
  it('a checkpoint from before recheckFrom existed: the whole lookback, once', () => {
    expect(nextWindowStart(done, LOOKBACK, undefined)).toBe(done - LOOKBACK);
  });
  it('a committed tail window re-reads its lookback at the next run; a committed backfill window does not', async () => {
    const data = records(50, 61, DAY);
    for (const [recheckFrom, lo] of [
      [NOW - 120_000 - LOOKBACK - 30_000, NOW - 120_000 - LOOKBACK],
      [NOW - 60_000, NOW - 120_000],
      [undefined, NOW - 120_000 - LOOKBACK],
    ] as const) {
      const srv = fakeServer(data, { pageSize: 100 });
      const state: WindowState = { done: NOW - 120_000, windowMs: DAY, seen: {}, dead: {}, ...(recheckFrom !== undefined ? { recheckFrom } : {}) };
      const run = context(state);
      await runWindowedPoller(run.ctx, srv.client, spec(), options({ startTime: 0 }), new Progress(run.ctx));
      expect(Number(srv.requests[0]!.searchParams.get('filter[lo]'))).toBe(lo);
    }
  });
});

describe('audit and access logs against the simulator: requests counted by the simulator', () => {
  const open: Simulator[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });

  it('a backfill of 2,345 audit logs and 4,500 access logs makes the minimum number of requests (24 and 5)', async () => {
    const s = await startSimulator({ seed: 13, limits: { enabled: false }, data: { auditLogs: 2345, accessLogs: 4500, ticketEvents: 10, startTime: Date.now() - 3 * DAY, endTime: Date.now() - 3_600_000 } });
    open.push(s);
    const { p, pr } = await runZendesk({
      probeName: 'minimum',
      accounts: [simAccount(s.url)],
      sources: [
        { id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: startOf(s) },
        { id: 'access', type: 'zendesk_access_logs', account: 'acme', startTime: startOf(s), pageSize: 1000 },
      ],
    });
    expect(await p.done).toEqual({ ok: true, failures: [] });
    expectExactlyOnce(streamIds(pr, 'audit_log'), s.records('audit_logs').map((r) => r.id));
    expectExactlyOnce(streamIds(pr, 'access_log'), s.records('access_logs').map((r) => r.id));
    expect(s.counters.requests.audit_logs).toBe(24);
    expect(s.counters.requests.access_logs).toBe(5);
  });

  // The bench's backfill: records over 7 days up to 10 minutes ago, the source starting 60 s
  // before the first; the span (7 d + 11 min) is longer than the old 7-day maxWindow, whose
  // second window cost one more audit and one more access request.
  for (const initialWindow of [undefined, '1d']) {
    it(`a backfill over 7 days makes ceil(N / page size) requests: 2,000 audit logs in 20, 5,000 access logs in 2 (initialWindow ${initialWindow ?? 'default'})`, async () => {
      const s = await startSimulator({ seed: 15, limits: { enabled: false }, data: { auditLogs: 2000, accessLogs: 5000, ticketEvents: 0, endTime: Date.now() - 600_000 } });
      open.push(s);
      const extra = initialWindow ? { initialWindow } : {};
      const { p, pr } = await runZendesk({
        probeName: `seven-days-${initialWindow ?? 'default'}`,
        accounts: [simAccount(s.url)],
        sources: [
          { id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: startOf(s), ...extra },
          { id: 'access', type: 'zendesk_access_logs', account: 'acme', startTime: startOf(s), pageSize: 2500, ...extra },
        ],
      });
      expect(await p.done).toEqual({ ok: true, failures: [] });
      expectExactlyOnce(streamIds(pr, 'audit_log'), s.records('audit_logs').map((r) => r.id));
      expectExactlyOnce(streamIds(pr, 'access_log'), s.records('access_logs').map((r) => r.id));
      expect(s.counters.requests.audit_logs).toBe(20);
      expect(s.counters.requests.access_logs).toBe(2);
    });
  }

  it('following: at the live tail every poll re-reads the lookback and a record written 2 minutes late is delivered once', async () => {
    const s = await startSimulator({ seed: 14, limits: { enabled: false }, data: { auditLogs: 300, accessLogs: 10, ticketEvents: 10 } });
    open.push(s);
    const { p, pr } = await runZendesk({
      probeName: 'tail',
      accounts: [simAccount(s.url)],
      sources: [{ id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: startOf(s), pollInterval: '1s', settle: '0s' }],
      once: false,
    });
    const eventually = async (cond: () => boolean, what: string) => {
      for (const until = Date.now() + 20_000; !cond(); await new Promise((r) => setTimeout(r, 20))) if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    };
    await eventually(() => streamIds(pr, 'audit_log').length === 300, 'the backfill');
    const [late] = s.append('audit_logs', 1, { timeOffset: -120 });
    await eventually(() => streamIds(pr, 'audit_log').includes(String(late!.id)), 'the late record');
    const polls = s.requests.length;
    await eventually(() => s.requests.length >= polls + 2, 'two more polls');
    await p.stop();
    expectExactlyOnce(streamIds(pr, 'audit_log'), s.records('audit_logs').map((r) => r.id));
    // Each poll at the tail reads from (at least) the lookback before where the previous one ended.
    const tail = s.requests.filter((r) => r.endpoint === 'audit_logs').slice(-2);
    for (const r of tail) {
      const [lo, hi] = new URL(r.path, 'http://x').searchParams.getAll('filter[created_at][]').map(Date.parse);
      expect(hi! - lo!).toBeGreaterThanOrEqual(LOOKBACK);
    }
  });
});
