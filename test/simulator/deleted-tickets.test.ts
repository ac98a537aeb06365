import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type DeletedTicketRecord, type Simulator } from '../../src/simulator/index.js';
import { get, testClock, T0, type Reply } from './helpers.js';

interface CursorPage {
  deleted_tickets: DeletedTicketRecord[];
  meta: { has_more: boolean; after_cursor: string | null; before_cursor: string | null };
  links: { next: string | null; prev: string | null };
}

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(deletedTickets = 40, seed = 3): Promise<Simulator> {
  const clock = testClock();
  sim = await startSimulator({ seed, now: clock.now, data: { deletedTickets, auditLogs: 5, ticketEvents: 5, accessLogs: 5 }, limits: { enabled: false } });
  return sim;
}

async function walk(s: Simulator, query: string): Promise<{ pages: CursorPage[]; ids: number[] }> {
  const pages: CursorPage[] = [];
  let url: string | null = `${s.url}/api/v2/deleted_tickets?${query}`;
  while (url) {
    const r: Reply<CursorPage> = await get<CursorPage>(url);
    expect(r.status).toBe(200);
    pages.push(r.json);
    url = r.json.meta.has_more ? r.json.links.next : null;
    expect(pages.length).toBeLessThan(100);
  }
  return { pages, ids: pages.flatMap((p) => p.deleted_tickets.map((t) => t.id)) };
}

describe('GET /api/v2/deleted_tickets', () => {
  it('lists generated deletions with the documented fields, within 30 days, including one mass deletion', async () => {
    const s = await start(40);
    const all = s.deletedTickets();
    expect(all).toHaveLength(40);
    for (const t of all) {
      expect(Object.keys(t).sort()).toEqual(['actor', 'deleted_at', 'description', 'id', 'previous_state', 'subject']);
      expect(t.deleted_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(Date.parse(t.deleted_at)).toBeGreaterThanOrEqual(T0 - 120_000 - 30 * 86_400_000 - 1000);
    }
    const byActor = new Map<number, number>();
    for (const t of all) byActor.set(t.actor.id, (byActor.get(t.actor.id) ?? 0) + 1);
    expect(Math.max(...byActor.values())).toBeGreaterThanOrEqual(15);
    // Same seed, same data.
    const again = await startSimulator({ seed: 3, now: testClock().now, data: { deletedTickets: 40, auditLogs: 5, ticketEvents: 5, accessLogs: 5 } });
    expect(again.deletedTickets()).toEqual(all);
    await again.close();
  });

  it('walks every deletion once with cursor pagination, newest first, 100 at most per page', async () => {
    const s = await start(250);
    const { pages, ids } = await walk(s, 'sort_by=deleted_at&sort_order=desc&page[size]=100');
    expect(pages.map((p) => p.deleted_tickets.length)).toEqual([100, 100, 50]);
    const want = s.deletedTickets().slice().reverse().map((t) => t.id);
    expect(ids).toEqual(want);
    const times = pages.flatMap((p) => p.deleted_tickets.map((t) => Date.parse(t.deleted_at)));
    expect(times.every((t, i) => i === 0 || t <= times[i - 1]!)).toBe(true);
    // Default order is by id (creation order), ascending.
    const byId = await walk(s, 'page[size]=100');
    expect(byId.ids).toEqual([...byId.ids].sort((a, b) => a - b));
  });

  it('keeps its place when tickets are restored mid-walk, and lists a re-deleted ticket with its new deleted_at', async () => {
    const s = await start(30);
    const first = await get<CursorPage>(`${s.url}/api/v2/deleted_tickets?sort_by=deleted_at&sort_order=desc&page[size]=10`);
    const last = first.json.deleted_tickets.at(-1)!;
    expect(s.restoreTicket(last.id)).toBe(true);
    expect(s.restoreTicket(last.id)).toBe(false);
    const next = await get<CursorPage>(first.json.links.next!);
    expect(next.json.deleted_tickets.map((t) => t.id)).toEqual(s.deletedTickets().slice().reverse().slice(9, 19).map((t) => t.id));
    const [again] = s.deleteTickets([last.id]);
    expect(again!.deleted_at).not.toBe(last.deleted_at);
    const top = await get<CursorPage>(`${s.url}/api/v2/deleted_tickets?sort_by=deleted_at&sort_order=desc&page[size]=1`);
    expect(top.json.deleted_tickets[0]).toMatchObject({ id: last.id, deleted_at: again!.deleted_at });
  });

  it('supports offset pagination with count', async () => {
    const s = await start(120);
    const r = await get<{ deleted_tickets: unknown[]; count: number; next_page: string | null }>(`${s.url}/api/v2/deleted_tickets?page=2&per_page=100`);
    expect(r.status).toBe(200);
    expect(r.json.count).toBe(120);
    expect(r.json.deleted_tickets).toHaveLength(20);
    expect(r.json.next_page).toBeNull();
  });

  it.each([
    ['sort_by=priority', 400, 'InvalidValue'],
    ['sort_order=newest', 400, 'InvalidValue'],
    ['page[size]=101', 400, 'InvalidPaginationParameter'],
    ['page[size]=0', 400, 'InvalidPaginationParameter'],
    // `page` as a number and as a hash at once: Rack refuses the query before the controller runs.
    ['page=2&page[size]=50', 400, 'InvalidValue'],
    ['page[size]=50&per_page=10', 400, 'InvalidPaginationParameter'],
    ['sort_by[]=id', 400, 'InvalidValue'],
    ['page[after]=bm90LWEtY3Vyc29y', 400, 'InvalidPaginationParameter'],
    ['page[after]=x&page[before]=y', 400, 'InvalidPaginationParameter'],
  ])('rejects %s', async (query, status, error) => {
    const s = await start(5);
    const r = await get<{ error: string }>(`${s.url}/api/v2/deleted_tickets?${query}`);
    expect(r.status).toBe(status);
    expect(r.json.error).toBe(error);
  });
});
