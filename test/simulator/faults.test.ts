import { afterEach, describe, expect, it } from 'vitest';
import { parseFaultSpec, startSimulator, type AccessLogRecord, type AuditLogRecord, type Simulator, type TicketEventRecord } from '../../src/simulator/index.js';
import { get, testClock } from './helpers.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const data = { auditLogs: 400, ticketEvents: 300, accessLogs: 400 };
const auditUrl = (s: Simulator, q = 'page[size]=10') => `${s.url}/api/v2/audit_logs?${q}`;

describe('faults', () => {
  it('sends a burst of 5xx on the Nth request to one endpoint only', async () => {
    const clock = testClock();
    sim = await startSimulator({ now: clock.now, data, faults: [{ endpoint: 'audit_logs', kind: '5xx', onRequest: 2, count: 3, status: 503, retryAfter: 2 }] });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await get(auditUrl(sim));
      statuses.push(r.status);
      if (r.status === 503) expect(r.headers['retry-after']).toBe('2');
      // Other endpoints are not affected.
      expect((await get(`${sim.url}/api/v2/access_logs?page[size]=1`)).status).toBe(200);
      clock.advance(2000);
    }
    expect(statuses).toEqual([200, 503, 503, 503, 200]);
    expect(sim.requests.filter((r) => r.endpoint === 'audit_logs').map((r) => r.faults)).toEqual([[], ['5xx'], ['5xx'], ['5xx'], []]);
    expect(sim.retryAfterViolations).toHaveLength(0);
    expect(sim.counters.faultsFired).toBe(3);
  });

  it('records requests that ignore a Retry-After', async () => {
    const clock = testClock();
    sim = await startSimulator({ now: clock.now, data, faults: [{ endpoint: 'audit_logs', kind: '5xx', status: 503, retryAfter: 10 }] });
    expect((await get(auditUrl(sim))).status).toBe(503);
    clock.advance(3000);
    expect((await get(auditUrl(sim))).status).toBe(200);
    expect(sim.retryAfterViolations).toEqual([expect.objectContaining({ endpoint: 'audit_logs', earlyByMs: 7000 })]);
  });

  it('sends 429 storms in each endpoint family’s own shape', async () => {
    const clock = testClock();
    sim = await startSimulator({
      now: clock.now,
      data,
      faults: [
        { endpoint: 'audit_logs', kind: '429', count: 3, retryAfter: 7 },
        { endpoint: 'access_logs', kind: '429', count: 2, retryAfter: 30 },
      ],
    });
    for (let i = 0; i < 3; i++) {
      const r = await get(auditUrl(sim));
      expect(r.status).toBe(429);
      expect(r.headers['retry-after']).toBe('7');
      clock.advance(7000);
    }
    expect((await get(auditUrl(sim))).status).toBe(200);
    const a = await get(`${sim.url}/api/v2/access_logs`);
    expect(a.status).toBe(429);
    expect(a.headers['retry-after']).toBeUndefined();
    expect(a.headers['ratelimit-reset']).toBe(new Date(clock.now() + 30_000).toISOString().replace('.000', ''));
    expect(sim.counters.tooManyRequests).toBe(4);
  });

  it('delays responses (slow pages) so client timeouts can be tested', async () => {
    sim = await startSimulator({ data, faults: [{ endpoint: 'ticket_events', kind: 'slow', delayMs: 400 }] });
    await expect(get(`${sim.url}/api/v2/incremental/ticket_events?start_time=0`, undefined, AbortSignal.timeout(100))).rejects.toThrow();
    expect((await get(`${sim.url}/api/v2/incremental/ticket_events?start_time=0`)).status).toBe(200);
  });

  it('truncates a 200 body (malformed JSON) and drops connections', async () => {
    sim = await startSimulator({ data, faults: [{ endpoint: 'access_logs', kind: 'malformed', onRequest: 2 }] });
    expect((await get(`${sim.url}/api/v2/access_logs`)).json).toBeDefined();
    const bad = await get(`${sim.url}/api/v2/access_logs`);
    expect(bad.status).toBe(200);
    expect(() => JSON.parse(bad.text)).toThrow();
    sim.setFaults([{ kind: 'disconnect' }]);
    await expect(fetch(auditUrl(sim))).rejects.toThrow();
    expect((await get(auditUrl(sim))).status).toBe(200);
  });

  it('repeats the tail of the previous page across a page boundary', async () => {
    sim = await startSimulator({ data, limits: { enabled: false } });
    const p1 = (await get<{ audit_logs: AuditLogRecord[]; links: { next: string } }>(auditUrl(sim))).json;
    sim.addFault({ kind: 'repeat', repeat: 3 });
    const p2 = (await get<{ audit_logs: AuditLogRecord[] }>(p1.links.next)).json;
    expect(p2.audit_logs.slice(0, 3).map((r) => r.id)).toEqual(p1.audit_logs.slice(-3).map((r) => r.id));
    expect(p2.audit_logs).toHaveLength(10);

    const a1 = (await get<{ access_logs: AccessLogRecord[]; links: { next: string } }>(`${sim.url}/api/v2/access_logs?page[size]=20`)).json;
    sim.setFaults([{ endpoint: 'access_logs', kind: 'repeat', repeat: 2 }]);
    const a2 = (await get<{ access_logs: AccessLogRecord[] }>(a1.links.next)).json;
    expect(a2.access_logs.slice(0, 2)).toEqual(a1.access_logs.slice(-2));

    const all = sim.records('ticket_events');
    const start = all[100]!.timestamp;
    sim.setFaults([{ endpoint: 'ticket_events', kind: 'repeat', repeat: 4 }]);
    const t = (await get<{ ticket_events: TicketEventRecord[] }>(`${sim.url}/api/v2/incremental/ticket_events?start_time=${start}&per_page=20`)).json;
    const firstAtStart = all.findIndex((e) => e.timestamp >= start);
    expect(t.ticket_events[0]!.id).toBe(all[firstAtStart - 4]!.id);
  });

  it('appends late arrivals dated in the past, which a client past that point never sees', async () => {
    const clock = testClock();
    sim = await startSimulator({ now: clock.now, data, limits: { enabled: false } });
    const asc = (await get<{ audit_logs: AuditLogRecord[]; links: { next: string } }>(auditUrl(sim, 'page[size]=100&sort=created_at'))).json;
    const lastSeen = asc.audit_logs.at(-1)!;
    const late = sim.append('audit_logs', 5, { at: Date.parse(asc.audit_logs[10]!.created_at) });
    expect(late.every((r) => r.id > Math.max(...asc.audit_logs.map((x) => x.id)))).toBe(true);
    // Following the cursor forward skips them: they sort before it.
    let url: string | null = asc.links.next;
    const later: number[] = [];
    while (url) {
      const p: { audit_logs: AuditLogRecord[]; meta: { has_more: boolean }; links: { next: string } } = (await get<{ audit_logs: AuditLogRecord[]; meta: { has_more: boolean }; links: { next: string } }>(url)).json;
      later.push(...p.audit_logs.map((r) => r.id));
      url = p.meta.has_more ? p.links.next : null;
    }
    expect(later.some((id) => late.some((l) => l.id === id))).toBe(false);
    expect(Date.parse(late[0]!.created_at)).toBeLessThan(Date.parse(lastSeen.created_at));
    expect(sim.records('audit_logs').filter((r) => late.some((l) => l.id === r.id))).toHaveLength(5);

    // The 'late' fault does the same on the Nth request: 7 ticket events, 10 minutes old.
    sim.setFaults([{ endpoint: 'ticket_events', kind: 'late', late: { count: 7, ageSeconds: 600 } }]);
    const before = sim.records('ticket_events').length;
    await get(`${sim.url}/api/v2/incremental/ticket_events?start_time=0`);
    const events = sim.records('ticket_events');
    expect(events).toHaveLength(before + 7);
    expect(events.filter((e) => e.timestamp === Math.floor(clock.now() / 1000) - 600)).toHaveLength(7);
  });

  it('keeps appending live records as the clock moves', async () => {
    const clock = testClock();
    sim = await startSimulator({ now: clock.now, data, live: { audit_logs: { perMinute: 120 } }, limits: { enabled: false } });
    const first = (await get<{ audit_logs: AuditLogRecord[]; meta: { before_cursor: string } }>(auditUrl(sim, 'page[size]=100'))).json;
    clock.advance(30_000);
    const newer = (await get<{ audit_logs: AuditLogRecord[] }>(auditUrl(sim, `page[size]=100&page[before]=${first.meta.before_cursor}`))).json.audit_logs;
    expect(newer).toHaveLength(60);
    const nowSec = Math.floor(clock.now() / 1000);
    expect(newer.every((r) => Date.parse(r.created_at) / 1000 <= nowSec && Date.parse(r.created_at) / 1000 > nowSec - 31)).toBe(true);
    sim.setLive({});
    clock.advance(30_000);
    expect(sim.records('audit_logs')).toHaveLength(400 + 60);
  });

  it('parses CLI fault specs', () => {
    expect(parseFaultSpec('audit_logs:5xx:status=503,times=3,retryAfter=2,on=4')).toEqual({ endpoint: 'audit_logs', kind: '5xx', status: 503, count: 3, retryAfter: 2, onRequest: 4 });
    expect(parseFaultSpec('*:slow:delayMs=1500')).toEqual({ endpoint: '*', kind: 'slow', delayMs: 1500 });
    expect(parseFaultSpec('ticket_events:late:count=20,ageSeconds=600')).toEqual({ endpoint: 'ticket_events', kind: 'late', late: { count: 20, ageSeconds: 600 } });
    expect(() => parseFaultSpec('tickets:5xx')).toThrow(/unknown endpoint/);
    expect(() => parseFaultSpec('audit_logs:boom')).toThrow(/unknown fault kind/);
    expect(() => parseFaultSpec('audit_logs:5xx:status')).toThrow(/key=number/);
  });
});
