import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type AuditLogRecord, type Simulator } from '../../src/simulator/index.js';
import { counts, get, testClock, type Reply } from './helpers.js';

interface CursorPage {
  audit_logs: AuditLogRecord[];
  meta: { has_more: boolean; after_cursor: string | null; before_cursor: string | null };
  links: { next: string | null; prev: string | null };
}

const clock = testClock();
let sim: Simulator;
let all: AuditLogRecord[];
const sec = (r: AuditLogRecord) => Date.parse(r.created_at) / 1000;

beforeAll(async () => {
  sim = await startSimulator({ seed: 11, now: clock.now, data: { auditLogs: 2500, ticketEvents: 50, accessLogs: 50 }, limits: { enabled: false } });
  all = sim.records('audit_logs');
});
afterAll(() => sim.close());

/** Follows links.next (or links.prev) until has_more is false; returns every page. */
async function walk(first: string, dir: 'next' | 'prev' = 'next'): Promise<CursorPage[]> {
  const pages: CursorPage[] = [];
  let url: string | null = first;
  while (url) {
    const r: Reply<CursorPage> = await get<CursorPage>(url);
    expect(r.status).toBe(200);
    pages.push(r.json);
    url = r.json.meta.has_more ? r.json.links[dir] : null;
    expect(pages.length).toBeLessThan(1000);
  }
  return pages;
}

describe('GET /api/v2/audit_logs (cursor pagination)', () => {
  it('walks newest-first by default and returns every record exactly once', async () => {
    const pages = await walk(`${sim.url}/api/v2/audit_logs?page[size]=100`);
    const ids = pages.flatMap((p) => p.audit_logs.map((r) => r.id));
    expect(ids).toHaveLength(all.length);
    expect(new Set(ids).size).toBe(all.length);
    expect(ids).toEqual([...all].reverse().map((r) => r.id));
    expect(pages.every((p) => p.audit_logs.length <= 100)).toBe(true);
    expect(pages.at(-1)!.meta.has_more).toBe(false);
    // Many page boundaries fall inside a second: the data is bursty.
    let inside = 0;
    for (let i = 1; i < pages.length; i++) if (sec(pages[i - 1]!.audit_logs.at(-1)!) === sec(pages[i]!.audit_logs[0]!)) inside++;
    expect(inside).toBeGreaterThan(0);
  });

  it('walks oldest-first with sort=created_at, and backwards with page[before]', async () => {
    const asc = await walk(`${sim.url}/api/v2/audit_logs?page[size]=77&sort=created_at`);
    expect(asc.flatMap((p) => p.audit_logs.map((r) => r.id))).toEqual(all.map((r) => r.id));
    // From the last ascending page, walk back to the start through links.prev.
    const last = asc.at(-1)!;
    const back = await walk(last.links.prev!, 'prev');
    const ids = [...back].reverse().flatMap((p) => p.audit_logs.map((r) => r.id));
    expect([...ids, ...last.audit_logs.map((r) => r.id)]).toEqual(all.map((r) => r.id));
  });

  it('builds absolute links from the request host and keeps the filters', async () => {
    const host = sim.url.replace('127.0.0.1', 'localhost');
    const r = await get<CursorPage>(`${host}/api/v2/audit_logs.json?filter[source_type]=user&page[size]=5`);
    expect(r.json.links.next).toMatch(new RegExp(`^${host}/api/v2/audit_logs\\?filter\\[source_type\\]=user&page\\[size\\]=5&page\\[after\\]=`));
    expect(r.json.audit_logs[0]!.url).toBe(`${host}/api/v2/audit_logs/${r.json.audit_logs[0]!.id}.json`);
    expect(Object.keys(r.json)).toEqual(['audit_logs', 'meta', 'links']);
  });

  it('filters by an inclusive created_at range at second precision, in the array form only', async () => {
    // Pick boundaries on seconds that hold several records, so exclusive ends would show.
    const busy = [...counts(all.map(sec)).entries()].filter(([, n]) => n > 2).map(([s]) => s);
    const from = busy[1]!;
    const to = busy[busy.length - 2]!;
    const expected = all.filter((r) => sec(r) >= from && sec(r) <= to).map((r) => r.id);
    const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000', '');
    const key = 'filter[created_at][]';
    const pages = await walk(`${sim.url}/api/v2/audit_logs?${key}=${iso(from)}&${key}=${iso(to)}&page[size]=100&sort=created_at`);
    expect(pages.flatMap((p) => p.audit_logs.map((r) => r.id))).toEqual(expected);
    // The bare key twice is one value to Rack (the last), and Zendesk refuses it (see wire-contract.test.ts).
    const bare = await get(`${sim.url}/api/v2/audit_logs?filter[created_at]=${iso(from)}&filter[created_at]=${iso(to)}&page[size]=100`);
    expect(bare.status).toBe(400);
    // Sub-second input is truncated to the second.
    const r = await get<CursorPage>(`${sim.url}/api/v2/audit_logs?filter[created_at][]=${iso(from).replace('Z', '.900Z')}&filter[created_at][]=${iso(from).replace('Z', '.100Z')}&page[size]=100`);
    expect(r.json.audit_logs.map((x) => x.id).sort()).toEqual(all.filter((x) => sec(x) === from).map((x) => x.id).sort());
  });

  it('filters by source, actor, ip and action', async () => {
    const sample = all.find((r) => r.source_type === 'user' && r.action === 'update' && r.ip_address)!;
    const cases: [string, (r: AuditLogRecord) => boolean][] = [
      [`filter[source_type]=rule`, (r) => r.source_type === 'rule'],
      [`filter[source_type]=user&filter[source_id]=${sample.source_id}`, (r) => r.source_type === 'user' && r.source_id === sample.source_id],
      [`filter[actor_id]=${sample.actor_id}`, (r) => r.actor_id === sample.actor_id],
      [`filter[ip_address]=${encodeURIComponent(sample.ip_address!)}`, (r) => r.ip_address === sample.ip_address],
      [`filter[action]=login&filter[actor_id]=${sample.actor_id}`, (r) => r.action === 'login' && r.actor_id === sample.actor_id],
    ];
    for (const [q, pred] of cases) {
      const pages = await walk(`${sim.url}/api/v2/audit_logs?${q}&page[size]=50`);
      const got = pages.flatMap((p) => p.audit_logs.map((r) => r.id));
      expect(got, q).toEqual([...all].reverse().filter(pred).map((r) => r.id));
      expect(got.length, q).toBeGreaterThan(0);
    }
  });

  it('rejects bad parameters with 400', async () => {
    const bad = [
      'page[size]=101',
      'page[size]=0',
      'page[after]=bm90LWEtY3Vyc29y',
      'sort=actor_id&page[size]=10',
      'filter[source_id]=5',
      'filter[created_at][]=2026-01-01T00:00:00Z',
      'filter[created_at][]=yesterday&filter[created_at][]=today',
    ];
    for (const q of bad) {
      const r = await get<{ error: string; description: string }>(`${sim.url}/api/v2/audit_logs?${q}`);
      expect(r.status, q).toBe(400);
      expect(typeof r.json.error, q).toBe('string');
      expect(typeof r.json.description, q).toBe('string');
    }
    const big = await get<{ error: string; description: string }>(`${sim.url}/api/v2/audit_logs?page[size]=500`);
    expect(big.json).toEqual({ error: 'InvalidPaginationParameter', description: 'page[size] is limited to 100' });
  });

  it('can clamp page[size] instead of refusing it', async () => {
    sim.setBehaviour({ auditPageSizeOverflow: 'clamp' });
    try {
      const r = await get<CursorPage>(`${sim.url}/api/v2/audit_logs?page[size]=500`);
      expect(r.status).toBe(200);
      expect(r.json.audit_logs).toHaveLength(100);
    } finally {
      sim.setBehaviour({ auditPageSizeOverflow: 'error' });
    }
  });
});

describe('GET /api/v2/audit_logs (offset pagination) and /api/v2/audit_logs/{id}', () => {
  it('uses offset pagination without page[size]', async () => {
    const r = await get<{ audit_logs: AuditLogRecord[]; next_page: string | null; previous_page: string | null; count: number }>(`${sim.url}/api/v2/audit_logs.json?per_page=30&page=2&sort_order=asc`);
    expect(r.status).toBe(200);
    expect(r.json.count).toBe(all.length);
    expect(r.json.audit_logs.map((x) => x.id)).toEqual(all.slice(30, 60).map((x) => x.id));
    expect(r.json.next_page).toBe(`${sim.url}/api/v2/audit_logs?sort_order=asc&page=3&per_page=30`);
    expect(r.json.previous_page).toContain('page=1');
    const deep = await get(`${sim.url}/api/v2/audit_logs?page=101`);
    expect(deep.status).toBe(400);
  });

  it('shows one record, and 404s an unknown id', async () => {
    const rec = all[123]!;
    const r = await get<{ audit_log: AuditLogRecord }>(`${sim.url}/api/v2/audit_logs/${rec.id}.json`);
    expect(r.status).toBe(200);
    expect(r.json.audit_log).toEqual(rec);
    const missing = await get(`${sim.url}/api/v2/audit_logs/1`);
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ error: 'RecordNotFound', description: 'Not found' });
  });
});
