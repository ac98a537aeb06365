// The deleted-tickets source against the simulator: backfill, follow with new deletions,
// restores and re-deletions, a deletion that shows up late, a restart, and malformed pages.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeletedTicketRecord } from '../../src/simulator/index.js';
import { deletionKey } from '../../src/sources/zendesk/deleted-tickets.js';
import { readDeadLetters, tempDir } from '../support/probe.js';
import { validateEcs, validateOcsf } from '../support/schema-validator.js';
import { account, acceptedIds, logLines, checkpointOf, lossAndDuplicates, runOn, startSim, until, virtualClock, type Harness } from './ticket-harness.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});


const T0 = Math.floor(Date.parse('2026-06-01T12:00:00Z') / 1000) * 1000;
const POLL = 30_000;
const data = (deletedTickets: number) => ({ deletedTickets, ticketEvents: 5, auditLogs: 5, accessLogs: 5, startTime: T0 - 40 * 86_400_000, endTime: T0 - 120_000 });
const source = { id: 'deleted', type: 'zendesk_deleted_tickets', account: 'acme', startTime: new Date(T0 - 31 * 86_400_000).toISOString(), pollInterval: '30s', requestsPerMinute: 100 };
const keyOf = (t: DeletedTicketRecord) => deletionKey(String(t.id), Date.parse(t.deleted_at));
const stopOnClose = (h: Harness) => open.push({ close: async () => void (await h.p.stop()) });

describe('zendesk_deleted_tickets', () => {
  it('backfills every listed deletion once, oldest first, with ids <ticket id>:<deleted_at>', async () => {
    const clock = virtualClock(T0);
    const s = await startSim(clock, { data: data(260) }, open);
    const h = await runOn(clock, { probeName: 'del-backfill', accounts: [account(s)], sources: [source], pollMs: POLL, once: true });
    expect(await h.p.done).toEqual({ ok: true, failures: [] });
    const want = s.deletedTickets().map(keyOf);
    expect(lossAndDuplicates(acceptedIds(h.pr, 'deleted_ticket'), want)).toEqual({ lost: [], duplicates: 0, unexpected: [] });
    const first = h.pr.accepted[0]!;
    const t = s.deletedTickets()[0]!;
    expect(first.meta.id).toBe(`acme:deleted_ticket:${t.id}:${t.deleted_at}`);
    const times = h.pr.accepted.map((e) => e.meta.time);
    expect(times.every((x, i) => i === 0 || x >= times[i - 1]!)).toBe(true);
    // 260 deletions: three pages newest first, each sent once.
    expect(s.requests.filter((r) => r.endpoint === 'deleted_tickets')).toHaveLength(3);
    expect(s.requests.every((r) => r.path.includes('sort_by=deleted_at') && r.path.includes('sort_order=desc'))).toBe(true);
  });

  it('follows new deletions, restores and re-deletions across a restart with 0 lost and 0 duplicates', async () => {
    const clock = virtualClock(T0);
    const s = await startSim(clock, { data: data(40) }, open);
    const delivered: string[] = [];
    const expected = new Set(s.deletedTickets().map(keyOf));
    const deleteNow = (n: number, o = {}) => s.deleteTickets(n, o).forEach((t) => expected.add(keyOf(t)));

    const dataDir = tempDir('zsf-deleted-');
    const first = await runOn(clock, { probeName: 'del-follow-1', accounts: [account(s)], sources: [source], pollMs: POLL, dataDir });
    stopOnClose(first);
    await until(() => acceptedIds(first.pr, 'deleted_ticket').length >= 40, 'backfill');
    for (let round = 0; round < 6; round++) {
      const at = clock.now();
      deleteNow(3);
      await until(() => clock.now() >= at + 2 * POLL, 'two polls');
    }
    // A ticket restored after it was sent, then deleted again: a second, distinct deletion.
    const victim = s.deletedTickets().at(-1)!;
    expect(s.restoreTicket(victim.id)).toBe(true);
    clock.advance(5000);
    s.deleteTickets([victim.id]).forEach((t) => expected.add(keyOf(t)));
    await until(() => acceptedIds(first.pr, 'deleted_ticket').length >= expected.size, 'first run delivered');
    await first.p.stop();
    delivered.push(...acceptedIds(first.pr, 'deleted_ticket'));
    const cp = checkpointOf(dataDir, 'deleted') as { done: number; seen: Record<string, number> };
    expect(Object.values(cp.seen).every((sec) => sec * 1000 >= cp.done - 600_000)).toBe(true);

    // Deletions while nothing runs, one of them dated 2 minutes back (visible late), then a restart.
    clock.advance(10 * 60_000);
    deleteNow(5);
    deleteNow(1, { timeOffset: -120 });
    const second = await runOn(clock, { probeName: 'del-follow-2', accounts: [account(s)], sources: [source], pollMs: POLL, dataDir });
    stopOnClose(second);
    await until(() => delivered.length + acceptedIds(second.pr, 'deleted_ticket').length >= expected.size, 'second run delivered');
    const at = clock.now();
    await until(() => clock.now() >= at + 4 * POLL, 'four idle polls');
    await second.p.stop();
    delivered.push(...acceptedIds(second.pr, 'deleted_ticket'));
    expect(lossAndDuplicates(delivered, [...expected])).toEqual({ lost: [], duplicates: 0, unexpected: [] });
    expect(delivered.filter((k) => k.startsWith(`${victim.id}:`))).toHaveLength(2);
    // Idle polls cost one request each (everything in the lookback fits on one page).
    const last = s.requests.filter((r) => r.endpoint === 'deleted_tickets' && r.time > at);
    expect(last.length).toBeGreaterThanOrEqual(3);
    expect(last.every((r) => !r.path.includes('page%5Bafter%5D') && !r.path.includes('page[after]'))).toBe(true);
  });

  it('dead-letters a malformed page and walks again at the next poll; with --once it fails at once', async () => {
    const clock = virtualClock(T0);
    const s = await startSim(clock, { data: data(30), faults: [{ endpoint: 'deleted_tickets', kind: 'malformed', onRequest: 1, count: 3 }] }, open);
    const h = await runOn(clock, { probeName: 'del-malformed', accounts: [account(s)], sources: [source], pollMs: POLL });
    stopOnClose(h);
    await until(() => acceptedIds(h.pr, 'deleted_ticket').length >= 30, 'all deletions');
    await h.p.stop();
    expect(lossAndDuplicates(acceptedIds(h.pr, 'deleted_ticket'), s.deletedTickets().map(keyOf))).toEqual({ lost: [], duplicates: 0, unexpected: [] });
    expect(readDeadLetters(h.dataDir)).toEqual([expect.objectContaining({ component: 'deleted', reason: 'malformed_page', kind: 'page' })]);

    s.setFaults([{ endpoint: 'deleted_tickets', kind: 'malformed', onRequest: 1, count: 3 }]);
    const once = await runOn(clock, { probeName: 'del-malformed-once', accounts: [account(s)], sources: [source], pollMs: POLL, once: true });
    const r = await once.p.done;
    expect(r.ok).toBe(false);
    expect(r.failures[0]).toMatchObject({ component: 'deleted', reason: expect.stringContaining('malformed page') });
  });

  it('end to end through ocsf and ecs: every mapped deletion is schema-valid and the generated mass deletion is labelled', async () => {
    const clock = virtualClock(T0);
    const s = await startSim(clock, { data: data(60) }, open);
    const h = await runOn(clock, {
      probeName: 'del-e2e',
      accounts: [account(s)],
      sources: [source],
      transforms: [
        { id: 'ocsf', type: 'ocsf', inputs: ['deleted'] },
        { id: 'ecs', type: 'ecs', inputs: ['deleted'] },
      ],
      pollMs: POLL,
      once: true,
    });
    expect(await h.p.done).toEqual({ ok: true, failures: [] });
    const ocsf = h.pr.accepted.filter((e) => e.meta.schema === 'ocsf');
    const ecs = h.pr.accepted.filter((e) => e.meta.schema === 'ecs');
    expect(ocsf).toHaveLength(60);
    expect(ecs).toHaveLength(60);
    expect(ocsf.flatMap((e) => validateOcsf(e.body))).toEqual([]);
    expect(ecs.flatMap((e) => validateEcs(e.body))).toEqual([]);
    // The simulator's burst: one agent deleting 15 tickets 8 s apart; from the 10th on (default threshold) they are labelled.
    const labelled = ocsf.filter((e) => ((e.body.metadata as { labels?: string[] }).labels ?? []).includes('risk:mass_ticket_deletion'));
    expect(labelled).toHaveLength(6);
    expect(new Set(labelled.map((e) => JSON.stringify((e.body.actor as { user: unknown }).user))).size).toBe(1);
  });

  it('reads the whole list when the server ignores the newest-first sort, and still sends each deletion once', async () => {
    // A stand-in for a Zendesk that answers oldest first whatever sort was asked: 250 deletions, 100 a page.
    const list = Array.from({ length: 250 }, (_, i) => ({ id: 1000 + i, subject: `t${i}`, actor: { id: 7, name: 'A' }, previous_state: 'open', deleted_at: new Date(T0 - (250 - i) * 3_600_000).toISOString().replace('.000Z', 'Z') }));
    const server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const from = Number(u.searchParams.get('page[after]') ?? 0);
      const page = list.slice(from, from + 100);
      const more = from + 100 < list.length;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ deleted_tickets: page, meta: { has_more: more }, links: { next: more ? `/api/v2/deleted_tickets?page[size]=100&page[after]=${from + 100}` : null } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    open.push({ close: () => new Promise<void>((r) => server.close(() => r())) });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const clock = virtualClock(T0);
    const acct = account({ url });
    const h = await runOn(clock, { probeName: 'del-unsorted', accounts: [acct], sources: [source], pollMs: POLL });
    stopOnClose(h);
    await until(() => acceptedIds(h.pr, 'deleted_ticket').length >= 250, 'all deletions');
    const at = clock.now();
    await until(() => clock.now() >= at + 3 * POLL, 'three more polls');
    await h.p.stop();
    const want = list.map((t) => deletionKey(String(t.id), Date.parse(t.deleted_at)));
    expect(lossAndDuplicates(acceptedIds(h.pr, 'deleted_ticket'), want)).toEqual({ lost: [], duplicates: 0, unexpected: [] });
    expect(logLines(h.logs, 'deleted tickets not returned newest first; reading the whole list each poll')).toHaveLength(1);
  });
});
