// The audit-log and access-log sources against the strict simulator (Rack query parsing,
// Zendesk's refusals) and against a hostile upstream: the filter form rule, links that lose
// the filters, newest-first-only answers, cursor cycles, storms, late arrivals, HTML and
// truncated pages, broken records and redirects. Every record is delivered once or
// dead-lettered with a reason; no window is ever skipped.

import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startPipeline } from '../../src/app/start.js';
import { DEMO_CREDENTIALS, startSimulator, type AuditLogRecord, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { CREATED_AT_INVALID } from '../../src/simulator/audit-logs.js';
import { eventually } from '../support/eventually.js';
import { captureLogs, readDeadLetters, tempDir } from '../support/probe.js';
import { expectExactlyOnce, runZendesk, simAccount, startOf, streamIds, type ZendeskRun } from '../support/zendesk-run.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function sim(opts: SimulatorOptions = {}): Promise<Simulator> {
  const s = await startSimulator({ seed: 17, limits: { enabled: false }, ...opts });
  open.push(s);
  return s;
}

const account = (baseUrl: string, extra: Record<string, unknown> = {}) => simAccount(baseUrl, 'acme', extra);
const ids = streamIds;

/** Sources against one simulator account, into a probe sink. */
const run = (o: Omit<ZendeskRun, 'accounts'> & { baseUrl: string }) => runZendesk({ ...o, accounts: [account(o.baseUrl)] });
const auditRequests = (s: Simulator) => s.requests.filter((r) => r.endpoint === 'audit_logs');

describe('audit log: the filter[created_at] form rule', () => {
  it('sends filter[created_at][] by default and delivers all 1,500 records of a bursty log exactly once', async () => {
    const s = await sim({ data: { auditLogs: 1500, accessLogs: 10, ticketEvents: 10 } });
    const { p, pr } = await run({ probeName: 'form-default', baseUrl: s.url, sources: [{ id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: startOf(s), initialWindow: '6h' }] });
    expect(await p.done).toEqual({ ok: true, failures: [] });
    expectExactlyOnce(ids(pr, 'audit_log'), s.records('audit_logs').map((r) => r.id));
    const reqs = auditRequests(s);
    expect(reqs.every((r) => r.status === 200)).toBe(true);
    // Every request carries the two bounds in the array form and never the bare key.
    for (const r of reqs) {
      const q = new URL(r.path, 'http://x').searchParams;
      expect(q.getAll('filter[created_at][]'), r.path).toHaveLength(2);
      expect(q.has('filter[created_at]'), r.path).toBe(false);
    }
  });

  it('configured with the bare form: Zendesk’s 400 switches the form once, warns, and re-reads the same window', async () => {
    const s = await sim({ data: { auditLogs: 400, accessLogs: 10, ticketEvents: 10 } });
    const { p, pr, logs } = await run({
      probeName: 'form-switch',
      baseUrl: s.url,
      sources: [{ id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: startOf(s), initialWindow: '30d', createdAtParam: 'repeated' }],
    });
    expect(await p.done).toEqual({ ok: true, failures: [] });
    expectExactlyOnce(ids(pr, 'audit_log'), s.records('audit_logs').map((r) => r.id));
    const reqs = auditRequests(s);
    expect(reqs.filter((r) => r.status === 400)).toHaveLength(1);
    expect(reqs[0]!.status).toBe(400);
    // The retry asks for the very same window.
    const bounds = (path: string) => {
      const q = new URL(path, 'http://x').searchParams;
      return [...q.getAll('filter[created_at]'), ...q.getAll('filter[created_at][]')];
    };
    expect(bounds(reqs[1]!.path)).toEqual(bounds(reqs[0]!.path));
    expect(reqs.slice(1).every((r) => r.path.includes('filter[created_at][]') || r.path.includes('filter%5Bcreated_at%5D%5B%5D'))).toBe(true);
    const warn = logs.map((l) => JSON.parse(l) as { level: string; msg: string; refused?: string; next?: string }).filter((l) => l.msg.includes('refused the filter[created_at] form'));
    expect(warn).toEqual([expect.objectContaining({ level: 'warn', refused: 'repeated', next: 'brackets' })]);
  });

  it('when Zendesk refuses both forms: fails with Zendesk’s text and the request (no credentials), two requests, checkpoint untouched', async () => {
    const requests: string[] = [];
    const server: Server = createServer((req, res) => {
      requests.push(req.url ?? '');
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'InvalidValue', description: CREATED_AT_INVALID }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    open.push({ close: () => new Promise<void>((r) => server.close(() => r())) });
    const { p, pr, dataDir } = await run({
      probeName: 'form-both',
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      sources: [{ id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: '2026-01-01T00:00:00Z', initialWindow: '1h' }],
    });
    const r = await p.done;
    expect(r.ok).toBe(false);
    const reason = r.failures[0]!.reason;
    expect(reason).toContain('HTTP 400: InvalidValue: Invalid filter[created_at] specified');
    expect(reason).toContain('/api/v2/audit_logs?');
    expect(reason).toContain('was not committed');
    expect(reason).not.toContain(DEMO_CREDENTIALS.token);
    expect(requests).toHaveLength(2);
    expect(requests[0]).toContain('filter%5Bcreated_at%5D%5B%5D=');
    expect(requests[1]).not.toContain('%5D%5B%5D');
    expect(pr.accepted).toHaveLength(0);
    expect(existsSync(join(dataDir, 'checkpoints', 'audit.json'))).toBe(false);
  });

  it('filter.action as a list: one request series per value, each with a single filter[action]', async () => {
    const s = await sim({ data: { auditLogs: 800, accessLogs: 10, ticketEvents: 10 } });
    const { p, pr } = await run({
      probeName: 'actions',
      baseUrl: s.url,
      sources: [{ id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: startOf(s), initialWindow: '30d', filter: { action: ['login', 'destroy'], sourceType: 'user' } }],
    });
    expect((await p.done).ok).toBe(true);
    const want = s.records('audit_logs').filter((r) => (r.action === 'login' || r.action === 'destroy') && r.source_type === 'user');
    expect(want.length).toBeGreaterThan(10);
    expectExactlyOnce(ids(pr, 'audit_log'), want.map((r) => r.id));
    const actions = auditRequests(s).map((r) => new URL(r.path, 'http://x').searchParams.getAll('filter[action]'));
    expect(actions.every((a) => a.length === 1)).toBe(true);
    expect(new Set(actions.flat())).toEqual(new Set(['login', 'destroy']));
  });
});

describe('audit and access logs: 0 lost, 0 duplicates under hostile paging', () => {
  const both = (s: Simulator, extra: Record<string, unknown> = {}) => [
    { id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: startOf(s), initialWindow: '2h', ...extra },
    { id: 'access', type: 'zendesk_access_logs', account: 'acme', startTime: startOf(s), initialWindow: '2h', pageSize: 200, ...extra },
  ];

  it('newest-first-only answers and a links.next that drops the filters: the window filters are re-sent with the cursor', async () => {
    const s = await sim({ data: { auditLogs: 2000, accessLogs: 3000, ticketEvents: 10 }, behaviour: { descendingOnly: true, nextLinkDropsFilters: true } });
    const { p, pr, logs } = await run({ probeName: 'dropfilters', baseUrl: s.url, sources: both(s) });
    expect(await p.done).toEqual({ ok: true, failures: [] });
    expectExactlyOnce(ids(pr, 'audit_log'), s.records('audit_logs').map((r) => r.id));
    expectExactlyOnce(ids(pr, 'access_log'), s.records('access_logs').map((r) => r.id));
    // Never followed an unfiltered link into older history.
    for (const r of s.requests) {
      const q = new URL(r.path, 'http://x').searchParams;
      if (r.endpoint === 'audit_logs') expect(q.getAll('filter[created_at][]'), r.path).toHaveLength(2);
      if (r.endpoint === 'access_logs') expect(q.has('filter[start]') && q.has('filter[end]'), r.path).toBe(true);
    }
    expect(s.requests.some((r) => r.path.includes('page%5Bafter%5D=') || r.path.includes('page[after]='))).toBe(true);
    expect(logs.filter((l) => l.includes("does not carry the window's filters")).length).toBeGreaterThanOrEqual(1);
    // The data had same-second bursts across page boundaries.
    const secs = s.records('audit_logs').map((r) => r.created_at);
    expect(secs.length - new Set(secs).size).toBeGreaterThan(100);
  });

  it('5xx and 429 storms and late arrivals within the lookback', async () => {
    const s = await sim({
      data: { auditLogs: 1200, accessLogs: 1500, ticketEvents: 10 },
      faults: [
        { endpoint: 'audit_logs', kind: '5xx', status: 503, onRequest: 2, count: 4, retryAfter: 0 },
        { endpoint: 'audit_logs', kind: '429', onRequest: 8, count: 3, retryAfter: 1 },
        { endpoint: 'access_logs', kind: '5xx', status: 500, onRequest: 3, count: 3 },
        { endpoint: 'access_logs', kind: '429', onRequest: 6, count: 2, retryAfter: 1 },
      ],
    });
    const dataDir = tempDir('zsf-storm-');
    const first = await run({ probeName: 'storm', baseUrl: s.url, dataDir, sources: both(s) });
    expect((await first.p.done).ok).toBe(true);
    expect(s.counters.tooManyRequests).toBe(5);
    expect(s.retryAfterViolations).toEqual([]);
    // Late writes dated inside the lookback of what was committed.
    const lateAudit = s.append('audit_logs', 7, { timeOffset: -90 });
    const lateAccess = s.append('access_logs', 5, { timeOffset: -60 });
    const second = await run({ probeName: 'storm2', baseUrl: s.url, dataDir, sources: both(s), now: () => Date.now() + 5000 });
    expect((await second.p.done).ok).toBe(true);
    expectExactlyOnce([...ids(first.pr, 'audit_log'), ...ids(second.pr, 'audit_log')], s.records('audit_logs').map((r) => r.id));
    expectExactlyOnce([...ids(first.pr, 'access_log'), ...ids(second.pr, 'access_log')], s.records('access_logs').map((r) => r.id));
    expect(ids(second.pr, 'audit_log').sort()).toEqual(lateAudit.map((r) => String(r.id)).sort());
    expect(ids(second.pr, 'access_log').sort()).toEqual(lateAccess.map((r) => r.id).sort());
  });

  it('a server that ignores the window filters: a whole newest-first page older than the window ends it; an oldest-first answer is read through', async () => {
    // 300 records one minute apart ending now; the window covers the last 100 minutes (a first run starts at startTime: nothing before it is re-read).
    const now = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
    const data = Array.from({ length: 300 }, (_, i) => ({ id: 1000 + i, action: 'login', created_at: new Date(now - (299 - i) * 60_000).toISOString().replace('.000', '') }));
    for (const order of ['desc', 'asc'] as const) {
      const requests: string[] = [];
      const served = order === 'desc' ? [...data].reverse() : data;
      const server: Server = createServer((req, res) => {
        requests.push(req.url ?? '');
        const q = new URL(req.url ?? '/', 'http://x').searchParams;
        const from = Number(q.get('page[after]') ?? 0);
        const page = served.slice(from, from + 50);
        const more = from + 50 < served.length;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ audit_logs: page, meta: { has_more: more, after_cursor: more ? String(from + 50) : null }, links: { next: more ? `http://127.0.0.1/api/v2/audit_logs?page[size]=50&page[after]=${from + 50}` : null } }));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      open.push({ close: () => new Promise<void>((r) => server.close(() => r())) });
      const startTime = new Date(now - 100 * 60_000).toISOString();
      const { p, pr } = await run({
        probeName: `ignored-${order}`,
        baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        sources: [{ id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime, initialWindow: '30d' }],
      });
      expect((await p.done).ok, order).toBe(true);
      const lo = now - 100 * 60_000;
      expectExactlyOnce(ids(pr, 'audit_log'), data.filter((r) => Date.parse(r.created_at) >= lo).map((r) => r.id));
      // Newest first: pages 1-3 reach the window start, page 4 is wholly older, then it stops. Oldest first: all 6.
      expect(requests, order).toHaveLength(order === 'desc' ? 4 : 6);
      expect(requests.every((u) => u.includes('filter%5Bcreated_at%5D%5B%5D=')), order).toBe(true);
    }
  });

  it('a cursor cycle A -> B -> A: --once fails loudly after a bounded number of requests and keeps the window', async () => {
    const s = await sim({ data: { auditLogs: 600, accessLogs: 10, ticketEvents: 10 }, behaviour: { cursorCycle: true } });
    const dataDir = tempDir('zsf-cycle-');
    const { p, pr } = await run({ probeName: 'cycle', baseUrl: s.url, dataDir, sources: [{ id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: startOf(s), initialWindow: '30d' }] });
    const r = await p.done;
    expect(r.ok).toBe(false);
    expect(r.failures[0]!.reason).toMatch(/cursor loop: .*already requested in this window.*was not committed/);
    expect(auditRequests(s).length).toBeLessThanOrEqual(4);
    const got = ids(pr, 'audit_log');
    expect(got.length).toBe(new Set(got).size);
    const cp = JSON.parse(readFileSync(join(dataDir, 'checkpoints', 'audit.json'), 'utf8')) as { state: { current?: unknown } };
    expect(cp.state.current).toBeDefined();
    // Once Zendesk's cursors behave again, the same window completes with nothing lost or repeated.
    s.setBehaviour({ cursorCycle: false });
    const again = await run({ probeName: 'cycle2', baseUrl: s.url, dataDir, sources: [{ id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: startOf(s), initialWindow: '30d' }] });
    expect((await again.p.done).ok).toBe(true);
    expectExactlyOnce([...got, ...ids(again.pr, 'audit_log')], s.records('audit_logs').map((x) => x.id));
  });

  it('a cursor cycle while following: logged, the window is read again at the next poll, and completes once the cycle stops', async () => {
    const s = await sim({ data: { auditLogs: 600, accessLogs: 10, ticketEvents: 10 }, behaviour: { cursorCycle: true } });
    const { p, pr, logs } = await run({
      probeName: 'cycle-follow',
      baseUrl: s.url,
      once: false,
      sources: [{ id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: startOf(s), initialWindow: '30d', pollInterval: '1s' }],
    });
    const loops = () => logs.filter((l) => l.includes('cursor already followed')).length;
    await eventually(() => loops() >= 2, 'two detected loops');
    expect(p.components.get('audit')?.state).toBe('running');
    s.setBehaviour({ cursorCycle: false });
    const want = s.records('audit_logs').map((r) => String(r.id));
    await eventually(() => new Set(ids(pr, 'audit_log')).size >= want.length, 'every record');
    await p.stop();
    expectExactlyOnce(ids(pr, 'audit_log'), want);
    // Bounded: a couple of requests per poll, not a tight loop.
    expect(auditRequests(s).length).toBeLessThan(40);
  });
});

describe('hostile upstream corpus: every record delivered or dead-lettered with a reason, no window skipped', () => {
  it('HTML 200 pages and truncated JSON are retried; records with null/wrong-typed times and ids are dead-lettered once, also when re-read in the lookback', async () => {
    const s = await sim({
      data: { auditLogs: 500, accessLogs: 600, ticketEvents: 10 },
      faults: [
        { endpoint: 'audit_logs', kind: 'html200', onRequest: 2, count: 2 },
        { endpoint: 'audit_logs', kind: 'malformed', onRequest: 5, count: 1 },
        { endpoint: 'access_logs', kind: 'html200', onRequest: 1, count: 1 },
        { endpoint: 'access_logs', kind: 'malformed', onRequest: 3, count: 2 },
      ],
    });
    // Broken records, dated a minute ago: inside the next run's lookback.
    const badAudit = [{ created_at: null }, { created_at: 1_700_000_000 }, { created_at: 'yesterday' }, { id: null }, { id: { nested: 1 } }, { id: '' }];
    const badAccess = [{ timestamp: null }, { timestamp: 42 }, { id: null }, { id: ['x'] }];
    s.append('audit_logs', badAudit as unknown as Partial<AuditLogRecord>[], { timeOffset: -60 });
    s.append('access_logs', badAccess as never, { timeOffset: -60 });
    const dataDir = tempDir('zsf-hostile-');
    const sources = [
      { id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: startOf(s), initialWindow: '30d' },
      { id: 'access', type: 'zendesk_access_logs', account: 'acme', startTime: startOf(s), initialWindow: '30d', pageSize: 100 },
    ];
    const first = await run({ probeName: 'hostile', baseUrl: s.url, dataDir, sources });
    expect(await first.p.done).toEqual({ ok: true, failures: [] });
    const valid = (r: Record<string, unknown>, timeKey: string) => (typeof r.id === 'number' || (typeof r.id === 'string' && r.id !== '')) && typeof r[timeKey] === 'string' && Number.isFinite(Date.parse(r[timeKey] as string));
    const audit = s.records('audit_logs') as unknown as Record<string, unknown>[];
    const access = s.records('access_logs') as unknown as Record<string, unknown>[];
    expectExactlyOnce(ids(first.pr, 'audit_log'), audit.filter((r) => valid(r, 'created_at')).map((r) => r.id as number));
    expectExactlyOnce(ids(first.pr, 'access_log'), access.filter((r) => valid(r, 'timestamp')).map((r) => r.id as string));
    const dead = readDeadLetters(dataDir);
    expect(dead.filter((d) => d.component === 'audit' && d.reason === 'invalid_record')).toHaveLength(badAudit.length);
    expect(dead.filter((d) => d.component === 'access' && d.reason === 'invalid_record')).toHaveLength(badAccess.length);
    expect(dead.every((d) => d.reason === 'invalid_record' && /record without a usable (time|id)/.test(d.detail ?? ''))).toBe(true);

    // The next poll re-reads the lookback, broken records included: nothing new is dead-lettered or delivered.
    const second = await run({ probeName: 'hostile2', baseUrl: s.url, dataDir, sources, now: () => Date.now() + 5000 });
    expect((await second.p.done).ok).toBe(true);
    expect(readDeadLetters(dataDir)).toHaveLength(dead.length);
    expect(second.pr.accepted).toHaveLength(0);
    expect(s.requests.filter((r) => r.faults.includes('html200'))).toHaveLength(3);
  });

  it('an HTML page that stays HTML is dead-lettered with its URL and the window is kept; a rerun completes', async () => {
    const s = await sim({ data: { auditLogs: 300, accessLogs: 10, ticketEvents: 10 }, faults: [{ endpoint: 'audit_logs', kind: 'html200', onRequest: 2, count: 3 }] });
    const dataDir = tempDir('zsf-html-');
    const sources = [{ id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: startOf(s), initialWindow: '30d' }];
    const first = await run({ probeName: 'html', baseUrl: s.url, dataDir, sources });
    const r = await first.p.done;
    expect(r.ok).toBe(false);
    expect(r.failures[0]!.reason).toMatch(/malformed page .*was not committed/);
    const dead = readDeadLetters(dataDir);
    expect(dead).toEqual([expect.objectContaining({ reason: 'malformed_page', kind: 'page', payload: expect.stringContaining('<html>') })]);
    const second = await run({ probeName: 'html2', baseUrl: s.url, dataDir, sources });
    expect((await second.p.done).ok).toBe(true);
    expectExactlyOnce([...ids(first.pr, 'audit_log'), ...ids(second.pr, 'audit_log')], s.records('audit_logs').map((x) => x.id));
  });

  it('a redirect to another host is not followed: the source fails naming the request, the window is kept, a rerun completes', async () => {
    const s = await sim({ data: { auditLogs: 300, accessLogs: 10, ticketEvents: 10 }, faults: [{ endpoint: 'audit_logs', kind: 'redirect', onRequest: 2, count: 1, location: 'http://127.0.0.1:9' }] });
    const dataDir = tempDir('zsf-redirect-');
    const sources = [{ id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: startOf(s), initialWindow: '30d' }];
    const first = await run({ probeName: 'redirect', baseUrl: s.url, dataDir, sources });
    const r = await first.p.done;
    expect(r.ok).toBe(false);
    expect(r.failures[0]!.reason).toMatch(/Zendesk request \/api\/v2\/audit_logs\?.* failed: HTTP 302.*was not committed/);
    expect(r.failures[0]!.reason).not.toContain(DEMO_CREDENTIALS.token);
    expect(auditRequests(s)).toHaveLength(2);
    const second = await run({ probeName: 'redirect2', baseUrl: s.url, dataDir, sources });
    expect((await second.p.done).ok).toBe(true);
    expectExactlyOnce([...ids(first.pr, 'audit_log'), ...ids(second.pr, 'audit_log')], s.records('audit_logs').map((x) => x.id));
  });
});

describe('access log: the documented noise filters', () => {
  it('browserUrl and excludeGraphql are sent as filter[browser_url] and filter[graphql]=true and narrow what is delivered', async () => {
    const s = await sim({ data: { auditLogs: 10, accessLogs: 4000, ticketEvents: 10 } });
    const withReferer = s.records('access_logs').find((r) => r.referer && !r.graphql)!;
    const { p, pr } = await run({
      probeName: 'access-filters',
      baseUrl: s.url,
      sources: [{ id: 'access', type: 'zendesk_access_logs', account: 'acme', startTime: startOf(s), initialWindow: '30d', filter: { browserUrl: withReferer.referer, excludeGraphql: true } }],
    });
    expect((await p.done).ok).toBe(true);
    const want = s.records('access_logs').filter((r) => r.referer === withReferer.referer && r.graphql === undefined);
    expectExactlyOnce(ids(pr, 'access_log'), want.map((r) => r.id));
    const q = new URL(s.requests.find((r) => r.endpoint === 'access_logs')!.path, 'http://x').searchParams;
    expect(q.get('filter[browser_url]')).toBe(withReferer.referer);
    expect(q.get('filter[graphql]')).toBe('true');
  });
});

describe('filter options are validated by the config schema', () => {
  it('refuses unknown actions, malformed source types, access-log paths with a query and non-page browser URLs, naming each path', async () => {
    const bad = [
      { id: 'a1', type: 'zendesk_audit_logs', account: 'acme', filter: { action: ['login', 'delete'] } },
      { id: 'a2', type: 'zendesk_audit_logs', account: 'acme', filter: { sourceType: 'User Type' } },
      { id: 'a3', type: 'zendesk_audit_logs', account: 'acme', filter: { action: [] } },
      { id: 'x1', type: 'zendesk_access_logs', account: 'acme', filter: { path: '/api/v2/users.json?page=2' } },
      { id: 'x2', type: 'zendesk_access_logs', account: 'acme', filter: { browserUrl: 'agent dashboard' } },
      { id: 'x3', type: 'zendesk_access_logs', account: 'acme', filter: { userId: -4 } },
    ];
    const err = await startPipeline(
      { dataDir: tempDir('zsf-cfg-'), api: { enabled: false }, zendesk: { accounts: [account('http://127.0.0.1:9')] }, sources: bad, sinks: [{ id: 'out', type: 'probe', probe: 'cfg', inputs: bad.map((b) => b.id) }] },
      { once: true, logDestination: captureLogs().stream },
    ).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toBeDefined();
    for (const path of ['sources[0].filter.action', 'sources[1].filter.sourceType', 'sources[2].filter.action', 'sources[3].filter.path', 'sources[4].filter.browserUrl', 'sources[5].filter.userId']) expect(err!.message).toContain(path);
  });
});
