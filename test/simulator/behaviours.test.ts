// Opt-in misbehaviours the source tests rely on: each one must really happen, or those tests
// prove nothing.

import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type AccessLogRecord, type AuditLogRecord, type Simulator } from '../../src/simulator/index.js';
import { get, testClock, type Reply } from './helpers.js';

interface AuditPage {
  audit_logs: AuditLogRecord[];
  meta: { has_more: boolean; after_cursor: string | null };
  links: { next: string | null };
}

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(): Promise<Simulator> {
  sim = await startSimulator({ seed: 3, now: testClock().now, data: { auditLogs: 500, accessLogs: 300, ticketEvents: 10 }, limits: { enabled: false } });
  return sim;
}

const iso = (r: AuditLogRecord) => r.created_at;

describe('simulator behaviours', () => {
  it('descendingOnly: sort=created_at is ignored on both windowed endpoints', async () => {
    const s = await start();
    s.setBehaviour({ descendingOnly: true });
    const a = await get<AuditPage>(`${s.url}/api/v2/audit_logs?page[size]=100&sort=created_at`);
    const times = a.json.audit_logs.map((r) => Date.parse(r.created_at));
    expect(times).toEqual([...times].sort((x, y) => y - x));
    expect(a.json.audit_logs[0]!.id).toBe(s.records('audit_logs').at(-1)!.id);
    const b = await get<{ access_logs: AccessLogRecord[] }>(`${s.url}/api/v2/access_logs?page[size]=50`);
    expect(b.json.access_logs[0]!.id).toBe(s.records('access_logs').at(-1)!.id);
  });

  it('nextLinkDropsFilters: links.next keeps only page[size] and the cursor, and following it leaves the window', async () => {
    const s = await start();
    s.setBehaviour({ nextLinkDropsFilters: true });
    const all = s.records('audit_logs');
    const from = iso(all[200]!);
    const to = iso(all[450]!);
    const r = await get<AuditPage>(`${s.url}/api/v2/audit_logs?filter[created_at][]=${from}&filter[created_at][]=${to}&page[size]=100`);
    expect(r.json.links.next).toMatch(/\/api\/v2\/audit_logs\?page\[size\]=100&page\[after\]=[^&]+$/);
    let url: string | null = r.json.links.next;
    const older: string[] = [];
    while (url) {
      const p: Reply<AuditPage> = await get<AuditPage>(url);
      older.push(...p.json.audit_logs.map(iso));
      url = p.json.meta.has_more ? p.json.links.next : null;
    }
    expect(older.some((t) => t < from)).toBe(true);
  });

  it('cursorCycle: the cursors go A -> B -> A with has_more true', async () => {
    const s = await start();
    s.setBehaviour({ cursorCycle: true });
    const p1 = await get<AuditPage>(`${s.url}/api/v2/audit_logs?page[size]=50`);
    const a = p1.json.meta.after_cursor!;
    const p2 = await get<AuditPage>(p1.json.links.next!);
    const b = p2.json.meta.after_cursor!;
    expect(b).not.toBe(a);
    const p3 = await get<AuditPage>(p2.json.links.next!);
    expect(p3.json.meta.after_cursor).toBe(a);
    expect(p3.json.meta.has_more).toBe(true);
  });

  it('html200 and redirect faults, and records whose time or id is null or wrong-typed', async () => {
    const s = await start();
    s.setFaults([
      { endpoint: 'audit_logs', kind: 'html200', count: 1 },
      { endpoint: 'audit_logs', kind: 'redirect', onRequest: 2, location: 'https://elsewhere.example' },
    ]);
    const html = await get(`${s.url}/api/v2/audit_logs?page[size]=10`);
    expect(html.status).toBe(200);
    expect(html.headers['content-type']).toMatch(/text\/html/);
    expect(html.json).toBeUndefined();
    const res = await fetch(`${s.url}/api/v2/audit_logs?page[size]=10`, { redirect: 'manual', headers: { authorization: 'x' } });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://elsewhere.example/api/v2/audit_logs?page[size]=10');
    // A quiet second before the generated data, so one page holds all of it.
    const at = new Date((s.timeRange.start - 3600) * 1000).toISOString().replace('.000', '');
    s.append('audit_logs', [{ created_at: null }, { created_at: 12345 }, { id: null }, { id: { n: 1 } }] as unknown as Partial<AuditLogRecord>[], { at });
    const page = await get<AuditPage>(`${s.url}/api/v2/audit_logs?filter[created_at][]=${at}&filter[created_at][]=${at}&page[size]=100`);
    const served = page.json.audit_logs as unknown as Record<string, unknown>[];
    expect(served).toHaveLength(4);
    expect(served.filter((r) => r.created_at === null)).toHaveLength(1);
    expect(served.filter((r) => r.created_at === 12345)).toHaveLength(1);
    expect(served.filter((r) => r.id === null)).toHaveLength(1);
    expect(served.filter((r) => typeof r.id === 'object' && r.id !== null)).toHaveLength(1);
  });
});
