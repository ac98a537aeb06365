import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator, type TicketEventRecord } from '../../src/simulator/index.js';
import { counts, get, testClock } from './helpers.js';

interface ExportPage {
  count: number;
  end_of_stream: boolean;
  end_time: number;
  next_page: string;
  ticket_events: TicketEventRecord[];
}

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/**
 * A careful client: follows next_page until end_of_stream, de-duplicates by id (the next page starts
 * with the previous end_time second again), and steps one second on when a page was nothing but one
 * second (possible only when more than per_page events share it; pages never split a second).
 */
async function exportAll(s: Simulator, query = '', start = 0): Promise<{ pages: ExportPage[]; ids: number[] }> {
  const pages: ExportPage[] = [];
  const seen = new Set<number>();
  const ids: number[] = [];
  let startTime = start;
  for (;;) {
    const r = await get<ExportPage>(`${s.url}/api/v2/incremental/ticket_events?start_time=${startTime}${query}`);
    expect(r.status).toBe(200);
    const p = r.json;
    pages.push(p);
    for (const e of p.ticket_events) {
      if (!seen.has(e.id)) {
        seen.add(e.id);
        ids.push(e.id);
      }
    }
    if (p.end_of_stream) break;
    const next = Number(new URL(p.next_page).searchParams.get('start_time'));
    expect(next).toBe(p.end_time);
    startTime = next === startTime ? next + 1 : next;
    expect(pages.length).toBeLessThan(500);
  }
  return { pages, ids };
}

describe('GET /api/v2/incremental/ticket_events', () => {
  it('exports every event once, in time order, never splitting a second', async () => {
    const clock = testClock();
    sim = await startSimulator({ seed: 5, now: clock.now, data: { ticketEvents: 4000, auditLogs: 10, accessLogs: 10, ticketEventBurst: 1200 }, limits: { enabled: false } });
    const all = sim.records('ticket_events');
    const { pages, ids } = await exportAll(sim);
    expect(ids).toEqual(all.map((e) => e.id));
    const perSecond = counts(all.map((e) => e.timestamp));
    for (const p of pages) {
      expect(p.count).toBe(p.ticket_events.length);
      if (p.count === 0) continue;
      const last = p.ticket_events.at(-1)!;
      expect(p.end_time).toBe(last.timestamp);
      // Every event of the final second is on this page.
      expect(p.ticket_events.filter((e) => e.timestamp === last.timestamp).length).toBe(perSecond.get(last.timestamp));
      if (!p.end_of_stream) expect(p.count).toBeGreaterThanOrEqual(1000);
    }
    expect(pages.some((p) => p.count > 1000)).toBe(true);
    expect(pages.at(-1)!.end_of_stream).toBe(true);
    expect(Object.keys(pages[0]!)).toEqual(['count', 'end_of_stream', 'end_time', 'next_page', 'ticket_events']);
    expect(pages[0]!.next_page).toMatch(new RegExp(`^${sim.url}/api/v2/incremental/ticket_events\\?start_time=\\d+$`));
  });

  it('honours per_page and can end pages on the next second instead', async () => {
    sim = await startSimulator({ seed: 6, now: testClock().now, data: { ticketEvents: 900, auditLogs: 10, accessLogs: 10 }, limits: { enabled: false }, behaviour: { ticketEventsEndTime: 'next-second' } });
    const all = sim.records('ticket_events');
    const { pages, ids } = await exportAll(sim, '&per_page=50');
    expect(ids).toEqual(all.map((e) => e.id));
    // No repeats at all in this mode.
    expect(pages.reduce((n, p) => n + p.count, 0)).toBe(all.length);
    expect(pages[0]!.count).toBeLessThan(200);
  });

  it('refuses a start_time within the last minute and hides events from that minute', async () => {
    const clock = testClock();
    sim = await startSimulator({ seed: 7, now: clock.now, data: { ticketEvents: 100, auditLogs: 10, accessLogs: 10 } });
    const nowSec = Math.floor(clock.now() / 1000);
    const tooRecent = await get(`${sim.url}/api/v2/incremental/ticket_events?start_time=${nowSec - 30}`);
    expect(tooRecent.status).toBe(422);
    expect(tooRecent.json).toEqual({ error: 'InvalidValue', description: 'Too recent start_time. Use a start_time older than 1 minute' });
    expect((await get(`${sim.url}/api/v2/incremental/ticket_events?start_time=${nowSec - 60}`)).status).toBe(200);
    expect((await get(`${sim.url}/api/v2/incremental/ticket_events`)).status).toBe(400);
    expect((await get(`${sim.url}/api/v2/incremental/ticket_events?start_time=abc`)).status).toBe(400);

    const fresh = sim.append('ticket_events', 3);
    const from = nowSec - 3600;
    const visible = async () => (await get<ExportPage>(`${sim!.url}/api/v2/incremental/ticket_events?start_time=${from}`)).json.ticket_events.map((e) => e.id);
    expect(await visible()).not.toContain(fresh[0]!.id);
    clock.advance(61_000);
    expect(await visible()).toEqual(expect.arrayContaining(fresh.map((e) => e.id)));
  });

  it('includes Comment child events only with include=comment_events', async () => {
    sim = await startSimulator({ seed: 8, now: testClock().now, data: { ticketEvents: 300, auditLogs: 10, accessLogs: 10 } });
    const plain = (await get<ExportPage>(`${sim.url}/api/v2/incremental/ticket_events?start_time=0`)).json.ticket_events;
    const full = (await get<ExportPage>(`${sim.url}/api/v2/incremental/ticket_events?start_time=0&include=comment_events`)).json.ticket_events;
    expect(plain.flatMap((e) => e.child_events).some((c) => c.event_type === 'Comment')).toBe(false);
    const withComment = full.filter((e) => e.child_events.some((c) => c.event_type === 'Comment'));
    expect(withComment.length).toBeGreaterThan(10);
    for (const e of withComment) {
      const comment = e.child_events.find((c) => c.event_type === 'Comment')!;
      expect(comment).toMatchObject({ type: 'Comment', audit_id: e.id, created_at: e.created_at });
      expect(Object.keys(comment)).toEqual(['id', 'via', 'via_reference_id', 'type', 'author_id', 'body', 'html_body', 'public', 'attachments', 'audit_id', 'created_at', 'event_type']);
      const p = plain.find((x) => x.id === e.id)!;
      expect(p.child_events.length).toBeGreaterThan(0);
      for (const c of p.child_events) expect(c).toMatchObject({ comment_present: true, comment_public: comment.public });
    }
  });

  it('limits incremental exports to 10 requests a minute, apart from the account budget', async () => {
    const clock = testClock(Date.parse('2026-03-02T12:00:00Z'));
    sim = await startSimulator({ seed: 9, now: clock.now, data: { ticketEvents: 50, auditLogs: 10, accessLogs: 10 } });
    const url = `${sim.url}/api/v2/incremental/ticket_events?start_time=0`;
    const remaining: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await get(url);
      expect(r.status).toBe(200);
      remaining.push(r.headers['zendesk-ratelimit-incremental-exports']!);
      expect(r.headers['x-rate-limit']).toBe('700');
      expect(r.headers['x-rate-limit-remaining']).toBe(String(699 - i));
    }
    expect(remaining[0]).toBe('total=10; remaining=9; resets=60');
    expect(remaining[9]).toBe('total=10; remaining=0; resets=60');
    clock.advance(15_000);
    const limited = await get(url);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('45');
    // Other endpoints still have budget.
    expect((await get(`${sim.url}/api/v2/audit_logs?page[size]=1`)).status).toBe(200);
    clock.advance(45_000);
    expect((await get(url)).status).toBe(200);
    expect(sim.counters.tooManyRequests).toBe(1);
    expect(sim.retryAfterViolations).toHaveLength(0);
  });
});
