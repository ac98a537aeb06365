import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type AccessLogRecord, type Simulator } from '../../src/simulator/index.js';
import { BASIC, get, testClock, type Reply } from './helpers.js';

interface AccessPage {
  access_logs: AccessLogRecord[];
  links: { next: string | null; prev: string | null };
  meta: { after_cursor: string | null; before_cursor: string | null; has_before: boolean; has_more: boolean };
}

const clock = testClock();
let sim: Simulator;
let all: AccessLogRecord[];
const sec = (r: AccessLogRecord) => Date.parse(r.timestamp) / 1000;
const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000', '');

beforeAll(async () => {
  sim = await startSimulator({ seed: 21, now: clock.now, data: { accessLogs: 6000, auditLogs: 10, ticketEvents: 10 }, limits: { enabled: false } });
  all = sim.records('access_logs');
});
afterAll(() => sim.close());

async function walk(first: string, dir: 'next' | 'prev' = 'next'): Promise<AccessPage[]> {
  const pages: AccessPage[] = [];
  let url: string | null = first;
  while (url) {
    const r: Reply<AccessPage> = await get<AccessPage>(url);
    expect(r.status, url).toBe(200);
    pages.push(r.json);
    const more: boolean = dir === 'next' ? r.json.meta.has_more : r.json.meta.has_before;
    url = more ? r.json.links[dir] : null;
    expect(pages.length).toBeLessThan(1000);
  }
  return pages;
}

describe('GET /api/v2/access_logs', () => {
  it('pages ascending by default with 1000 per page, every record exactly once', async () => {
    const pages = await walk(`${sim.url}/api/v2/access_logs`);
    expect(pages[0]!.access_logs).toHaveLength(1000);
    expect(pages.flatMap((p) => p.access_logs.map((r) => r.id))).toEqual(all.map((r) => r.id));
    expect(pages[0]!.meta.has_before).toBe(false);
    expect(pages[1]!.meta.has_before).toBe(true);
    expect(pages.at(-1)!.meta.has_more).toBe(false);
    expect(Object.keys(pages[0]!)).toEqual(['access_logs', 'links', 'meta']);
    expect(Object.keys(pages[0]!.meta)).toEqual(['after_cursor', 'before_cursor', 'has_before', 'has_more']);
    // Cursors are the boundary records' ids.
    expect(pages[0]!.meta.after_cursor).toBe(pages[0]!.access_logs.at(-1)!.id);
    expect(pages[0]!.links.next).toBe(`${sim.url}/api/v2/access_logs?page[size]=1000&page[after]=${pages[0]!.meta.after_cursor}`);
  });

  it('pages descending with sort=-created_at, backwards with page[before], and accepts filter[after]', async () => {
    const desc = await walk(`${sim.url}/api/v2/access_logs?page[size]=700&sort=-created_at`);
    expect(desc.flatMap((p) => p.access_logs.map((r) => r.id))).toEqual([...all].reverse().map((r) => r.id));
    const asc = await walk(`${sim.url}/api/v2/access_logs?page[size]=900`);
    const back = await walk(asc.at(-1)!.links.prev!, 'prev');
    expect([...back].reverse().flatMap((p) => p.access_logs.map((r) => r.id)).concat(asc.at(-1)!.access_logs.map((r) => r.id))).toEqual(all.map((r) => r.id));
    const mid = all[2500]!.id;
    const viaFilter = await get<AccessPage>(`${sim.url}/api/v2/access_logs?page[size]=10&filter[after]=${mid}`);
    expect(viaFilter.json.access_logs.map((r) => r.id)).toEqual(all.slice(2501, 2511).map((r) => r.id));
    const viaBefore = await get<AccessPage>(`${sim.url}/api/v2/access_logs?page[size]=10&filter[before]=${mid}`);
    expect(viaBefore.json.access_logs.map((r) => r.id)).toEqual(all.slice(2490, 2500).map((r) => r.id));
  });

  it('filters by time (start inclusive, end exclusive), user, path, referer and graphql', async () => {
    const from = sec(all[1000]!);
    const to = sec(all[4000]!);
    const inRange = all.filter((r) => sec(r) >= from && sec(r) < to);
    const pages = await walk(`${sim.url}/api/v2/access_logs?filter[start]=${iso(from)}&filter[end]=${iso(to)}&page[size]=2500`);
    expect(pages.flatMap((p) => p.access_logs.map((r) => r.id))).toEqual(inRange.map((r) => r.id));
    expect(pages[0]!.links.next).toContain(`filter[start]=${iso(from)}&filter[end]=${iso(to)}&page[size]=2500&page[after]=`);

    const user = all[42]!.user_id;
    const path = '/api/v2/ticket_fields';
    const referer = all.find((r) => r.referer?.startsWith('/agent/tickets/'))!.referer!;
    const cases: [string, (r: AccessLogRecord) => boolean][] = [
      [`filter[user_id]=${user}`, (r) => r.user_id === user],
      [`filter[path]=${path}`, (r) => r.url.split('?')[0] === path],
      [`filter[browser_url]=${referer}`, (r) => r.referer === referer],
      ['filter[graphql]=true', (r) => r.graphql === undefined],
    ];
    for (const [q, pred] of cases) {
      const got = (await walk(`${sim.url}/api/v2/access_logs?${q}&page[size]=2500`)).flatMap((p) => p.access_logs.map((r) => r.id));
      expect(got, q).toEqual(all.filter(pred).map((r) => r.id));
      expect(got.length, q).toBeGreaterThan(0);
    }
    sim.setBehaviour({ accessLogEndInclusive: true });
    try {
      const inclusive = await walk(`${sim.url}/api/v2/access_logs?filter[start]=${iso(from)}&filter[end]=${iso(to)}&page[size]=2500`);
      expect(inclusive.flatMap((p) => p.access_logs).length).toBe(all.filter((r) => sec(r) >= from && sec(r) <= to).length);
    } finally {
      sim.setBehaviour({ accessLogEndInclusive: false });
    }
  });

  it('answers malformed queries with the documented 400 bodies', async () => {
    const tooBig = await get(`${sim.url}/api/v2/access_logs?page[size]=2501`);
    expect(tooBig.status).toBe(400);
    expect(tooBig.json).toEqual({ errors: [{ detail: 'max allowed page size is 2500', title: 'Malformed query params' }] });
    expect((await get<AccessPage>(`${sim.url}/api/v2/access_logs?page[size]=2500`)).json.access_logs).toHaveLength(2500);
    for (const q of ['filter[start]=2026-03-01', 'filter[end]=2026-03-01T00:00:00+01:00', 'page[size]=0', 'filter[user_id]=abc', 'page[after]=nope', 'filter[graphql]=false']) {
      const r = await get<{ errors: { title: string }[] }>(`${sim.url}/api/v2/access_logs?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.json.errors[0]!.title, q).toBe('Malformed query params');
    }
  });

  it('uses its own auth error shapes', async () => {
    const none = await get(`${sim.url}/api/v2/access_logs`, {});
    expect(none.status).toBe(401);
    expect(none.json).toEqual({ errors: [{ detail: 'Please use valid credentials', title: 'Authentication failed' }] });
    sim.setAuth({ forbidden: { access_logs: true } });
    try {
      const denied = await get(`${sim.url}/api/v2/access_logs`, { authorization: BASIC });
      expect(denied.status).toBe(403);
      expect(denied.json).toEqual({ errors: [{ detail: 'You must have administrator privileges', title: 'Authorization failed' }] });
      expect((await get(`${sim.url}/api/v2/audit_logs?page[size]=1`)).status).toBe(200);
    } finally {
      sim.setAuth({ forbidden: false });
    }
  });
});

describe('access log retention', () => {
  it('serves 90 days back from the clock unless told otherwise', async () => {
    const c = testClock(Date.parse('2026-03-02T12:00:00Z'));
    const s = await startSimulator({ now: c.now, data: { accessLogs: 500, auditLogs: 10, ticketEvents: 10, startTime: '2025-10-01T00:00:00Z', endTime: '2026-03-01T00:00:00Z' }, limits: { enabled: false } });
    try {
      const cutoff = c.now() / 1000 - 90 * 86400;
      const served = async () => (await walk(`${s.url}/api/v2/access_logs?page[size]=2500`)).flatMap((p) => p.access_logs);
      const recent = s.records('access_logs').filter((r) => sec(r) >= cutoff);
      expect(recent.length).toBeLessThan(500);
      expect((await served()).map((r) => r.id)).toEqual(recent.map((r) => r.id));
      s.setBehaviour({ accessLogRetentionDays: 0 });
      expect(await served()).toHaveLength(500);
    } finally {
      await s.close();
    }
  });
});

describe('access log rate limit', () => {
  it('allows 50 a minute, then 429 with ratelimit-reset as a date-time and no Retry-After', async () => {
    const c = testClock(Date.parse('2026-03-02T12:00:10Z'));
    const s = await startSimulator({ seed: 2, now: c.now, data: { accessLogs: 20, auditLogs: 10, ticketEvents: 10 } });
    try {
      for (let i = 0; i < 50; i++) {
        const r = await get(`${s.url}/api/v2/access_logs`);
        expect(r.status).toBe(200);
        // "Responses don't include x-rate-limits and x-rate-limit-remaining headers."
        expect(r.headers['x-rate-limit']).toBeUndefined();
        expect(r.headers['x-rate-limit-remaining']).toBeUndefined();
      }
      const limited = await get(`${s.url}/api/v2/access_logs`);
      expect(limited.status).toBe(429);
      expect(limited.json).toEqual({ errors: [{ detail: 'Use RateLimit-Reset header to backoff on retries', title: 'Too many requests' }] });
      expect(limited.headers['retry-after']).toBeUndefined();
      expect(limited.headers['ratelimit-reset']).toBe('2026-03-02T12:01:00Z');
      c.advance(5_000);
      expect((await get(`${s.url}/api/v2/access_logs`)).status).toBe(429);
      expect(s.retryAfterViolations).toHaveLength(1);
      expect(s.retryAfterViolations[0]).toMatchObject({ endpoint: 'access_logs', bucket: 'access_logs', earlyByMs: 45_000 });
      // The account budget is untouched.
      expect((await get(`${s.url}/api/v2/audit_logs?page[size]=1`)).headers['x-rate-limit-remaining']).toBe('699');
      c.set(Date.parse('2026-03-02T12:01:00Z'));
      expect((await get(`${s.url}/api/v2/access_logs`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
