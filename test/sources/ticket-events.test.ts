// The ticket-event source at the live tail: events Zendesk adds to the export late, pages
// without end_time, malformed pages, and quiet idle polls. Simulator and pipeline share a
// virtual clock (see ticket-harness.ts), so half an hour of following runs in well under a second.

import { afterEach, describe, expect, it } from 'vitest';
import { pruneSeen, readTicketEventsState } from '../../src/sources/zendesk/ticket-events.js';
import { eventually } from '../support/eventually.js';
import { readDeadLetters, tempDir } from '../support/probe.js';
import { account, acceptedIds, checkpointOf, logLines, lossAndDuplicates, runOn, startSim, until, virtualClock } from './ticket-harness.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});


const T0 = Math.floor(Date.parse('2026-06-01T12:00:00Z') / 1000) * 1000;
const POLL = 15_000;
const data = { ticketEvents: 60, auditLogs: 5, accessLogs: 5, startTime: T0 - 3_600_000, endTime: T0 - 300_000 };
const source = (extra: Record<string, unknown> = {}) => ({ id: 'tickets', type: 'zendesk_ticket_audits', account: 'acme', startTime: new Date(T0 - 3_660_000).toISOString(), pollInterval: '15s', requestsPerMinute: 100, ...extra });

/** Follows live traffic with late arrivals for `minutes`, then `settleMinutes` more without new traffic. */
async function followLate(lookback: string, minutes = 30, settleMinutes = 10) {
  const clock = virtualClock(T0);
  const s = await startSim(clock, { data, live: { ticket_events: { perMinute: 40 } }, behaviour: { ticketEventsLate: { fraction: 0.1, minDelaySeconds: 90, maxDelaySeconds: 180 } } }, open);
  const h = await runOn(clock, { probeName: `late-${lookback}`, accounts: [account(s)], sources: [source({ lookback })], pollMs: POLL });
  open.push({ close: async () => void (await h.p.stop()) });
  await until(() => clock.now() >= T0 + minutes * 60_000, 'live period');
  s.setLive({});
  await until(() => clock.now() >= T0 + (minutes + settleMinutes) * 60_000, 'settle period');
  await h.p.stop();
  const all = s.records('ticket_events');
  return { s, h, all, result: lossAndDuplicates(acceptedIds(h.pr, 'ticket_audit'), all.map((r) => String(r.id))) };
}

describe('zendesk_ticket_audits at the live tail', () => {
  it('delivers events added to the export up to 3 minutes late exactly once, within 10 requests a minute', async () => {
    const { s, h, all, result } = await followLate('5m');
    expect(all.length).toBeGreaterThan(1200);
    expect(result).toEqual({ lost: [], duplicates: 0, unexpected: [] });
    expect(h.p.components.get('tickets')?.state).not.toBe('failed');
    // The re-read costs one request per poll at most: never more than 10 in any minute.
    const times = s.requests.filter((r) => r.endpoint === 'ticket_events').map((r) => r.time);
    let max = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 60_000) j++;
      max = Math.max(max, i - j + 1);
    }
    expect(max).toBeLessThanOrEqual(10);
    expect(logLines(h.logs, 'lookback re-read found ticket events added late').length).toBeGreaterThan(10);
    // The checkpoint keeps only ids within the lookback of its frontier.
    const cp = checkpointOf(h.dataDir, 'tickets') as { startTime: number; seen: Record<string, number> };
    expect(Object.values(cp.seen).every((sec) => sec >= cp.startTime - 300)).toBe(true);
  });

  it('delivers events added late by almost the whole lookback (250–295 s of 300) exactly once: the re-read starts no later than it must', async () => {
    const clock = virtualClock(T0);
    const s = await startSim(clock, { data, live: { ticket_events: { perMinute: 40 } }, behaviour: { ticketEventsLate: { fraction: 0.2, minDelaySeconds: 250, maxDelaySeconds: 295 } } }, open);
    const h = await runOn(clock, { probeName: 'late-edge', accounts: [account(s)], sources: [source({ lookback: '5m' })], pollMs: POLL });
    open.push({ close: async () => void (await h.p.stop()) });
    await until(() => clock.now() >= T0 + 20 * 60_000, 'live period');
    s.setLive({});
    await until(() => clock.now() >= T0 + 30 * 60_000, 'settle period');
    await h.p.stop();
    const all = s.records('ticket_events');
    expect(logLines(h.logs, 'lookback re-read found ticket events added late').length).toBeGreaterThan(10);
    expect(lossAndDuplicates(acceptedIds(h.pr, 'ticket_audit'), all.map((r) => String(r.id)))).toEqual({ lost: [], duplicates: 0, unexpected: [] });
  });

  it('keeps exactly-once across a restart in the middle of live traffic with late events', async () => {
    const clock = virtualClock(T0);
    const s = await startSim(clock, { data, live: { ticket_events: { perMinute: 40 } }, behaviour: { ticketEventsLate: { fraction: 0.1, minDelaySeconds: 90, maxDelaySeconds: 180 } } }, open);
    const dataDir = tempDir('zsf-tickets-restart-');
    const first = await runOn(clock, { probeName: 'late-restart-1', accounts: [account(s)], sources: [source()], pollMs: POLL, dataDir });
    open.push({ close: async () => void (await first.p.stop()) });
    await until(() => clock.now() >= T0 + 12 * 60_000, 'first run');
    await first.p.stop();
    // Down for two minutes: late events keep arriving meanwhile.
    clock.advance(2 * 60_000);
    const second = await runOn(clock, { probeName: 'late-restart-2', accounts: [account(s)], sources: [source()], pollMs: POLL, dataDir });
    open.push({ close: async () => void (await second.p.stop()) });
    await until(() => clock.now() >= T0 + 25 * 60_000, 'second run');
    s.setLive({});
    await until(() => clock.now() >= T0 + 35 * 60_000, 'settle');
    await second.p.stop();
    const got = [...acceptedIds(first.pr, 'ticket_audit'), ...acceptedIds(second.pr, 'ticket_audit')];
    expect(acceptedIds(first.pr, 'ticket_audit').length).toBeGreaterThan(300);
    expect(lossAndDuplicates(got, s.records('ticket_events').map((r) => String(r.id)))).toEqual({ lost: [], duplicates: 0, unexpected: [] });
  });

  it('loses late events without the lookback (the simulator really does add them late)', async () => {
    const { result } = await followLate('0s');
    expect(result.duplicates).toBe(0);
    expect(result.lost.length).toBeGreaterThan(50);
  });

  it('does not re-read per page during a backfill, only once it has caught up', async () => {
    const clock = virtualClock(T0);
    const s = await startSim(clock, { data: { ...data, ticketEvents: 4000 } }, open);
    const h = await runOn(clock, { probeName: 'backfill', accounts: [account(s)], sources: [source()], pollMs: POLL, once: true });
    expect(await h.p.done).toEqual({ ok: true, failures: [] });
    expect(lossAndDuplicates(acceptedIds(h.pr, 'ticket_audit'), s.records('ticket_events').map((r) => String(r.id)))).toEqual({ lost: [], duplicates: 0, unexpected: [] });
    const starts = s.requests.filter((r) => r.endpoint === 'ticket_events').map((r) => Number(new URL(r.path, 'http://x').searchParams.get('start_time')));
    // Forward only (every page a new start_time), then one lookback re-read at the end.
    const forward = starts.slice(0, -1);
    expect(forward.length).toBeGreaterThan(4);
    expect(forward.every((t, i) => i === 0 || t > forward[i - 1]!)).toBe(true);
    const frontier = (checkpointOf(h.dataDir, 'tickets') as { startTime: number }).startTime;
    // The data ends 5 minutes before the run (at T0): the re-read covers the lookback before the
    // frontier, but nothing dated before T0 − lookback (5 min) − minAge (70 s), which the walk
    // read after any late event could have been added.
    expect(frontier - 300).toBeLessThan(T0 / 1000 - 370);
    expect(starts.at(-1)).toBe(T0 / 1000 - 370);
  });

  it('a --once backfill of history spends no request on a re-read: 1,000 events that ended an hour ago cost one request, a later run one more', async () => {
    const clock = virtualClock(T0);
    const s = await startSim(clock, { data: { ...data, ticketEvents: 1000, startTime: T0 - 2 * 86_400_000, endTime: T0 - 3_600_000 } }, open);
    const dataDir = tempDir('zsf-tickets-history-');
    const h = await runOn(clock, { probeName: 'history', accounts: [account(s)], sources: [source({ startTime: new Date(T0 - 2 * 86_400_000 - 60_000).toISOString() })], pollMs: POLL, once: true, dataDir });
    expect(await h.p.done).toEqual({ ok: true, failures: [] });
    expect(lossAndDuplicates(acceptedIds(h.pr, 'ticket_audit'), s.records('ticket_events').map((r) => String(r.id)))).toEqual({ lost: [], duplicates: 0, unexpected: [] });
    // Before: a second request re-reading the 5 minutes before the frontier, an hour in the past.
    expect(s.requests.filter((r) => r.endpoint === 'ticket_events')).toHaveLength(1);

    // The next run, from the checkpoint, an hour later: the walk's one page, and no re-read either.
    clock.advance(3_600_000);
    const again = await runOn(clock, { probeName: 'history-2', accounts: [account(s)], sources: [source()], pollMs: POLL, once: true, dataDir });
    expect(await again.p.done).toEqual({ ok: true, failures: [] });
    expect(acceptedIds(again.pr, 'ticket_audit')).toEqual([]);
    expect(s.requests.filter((r) => r.endpoint === 'ticket_events')).toHaveLength(2);
  });

  it.each(['absent', 'null'] as const)('tolerates pages whose end_time is %s: keeps start_time, warns once, emits nothing twice', async (how) => {
    const clock = virtualClock(T0);
    const s = await startSim(clock, { data, behaviour: { ticketEventsEndTimeMissing: how } }, open);
    const h = await runOn(clock, { probeName: `noend-${how}`, accounts: [account(s)], sources: [source({ lookback: '0s' })], pollMs: POLL });
    open.push({ close: async () => void (await h.p.stop()) });
    await until(() => clock.now() >= T0 + 10 * POLL, 'ten polls');
    expect(h.p.components.get('tickets')?.state).not.toBe('failed');
    // Commits are coalesced (a write within 1 s of real time): wait for the first one.
    const first = (await eventually(() => checkpointOf(h.dataDir, 'tickets'), 'the first checkpoint write')) as { startTime: number };
    expect(first.startTime).toBe(Math.floor((T0 - 3_660_000) / 1000));
    expect(logLines(h.logs, 'incremental export page without end_time; keeping start_time').map((l) => l.level).filter((l) => l === 'warn')).toHaveLength(1);
    // The page's events were delivered once, however often it was read.
    expect(lossAndDuplicates(acceptedIds(h.pr, 'ticket_audit'), s.records('ticket_events').map((r) => String(r.id)))).toEqual({ lost: [], duplicates: 0, unexpected: [] });

    // Zendesk sends end_time again: the walk moves on and new events arrive once.
    s.setBehaviour({ ticketEventsEndTimeMissing: undefined });
    s.append('ticket_events', 25, { timeOffset: 0 });
    await until(() => acceptedIds(h.pr, 'ticket_audit').length >= 85, 'new events');
    await h.p.stop();
    expect(lossAndDuplicates(acceptedIds(h.pr, 'ticket_audit'), s.records('ticket_events').map((r) => String(r.id)))).toEqual({ lost: [], duplicates: 0, unexpected: [] });
    expect((checkpointOf(h.dataDir, 'tickets') as { startTime: number }).startTime).toBeGreaterThan(first.startTime);
  });

  it('dead-letters a malformed page and reads the same start_time again at the next poll', async () => {
    const clock = virtualClock(T0);
    // The client tries a malformed page 3 times before giving it up: one poll's worth.
    const s = await startSim(clock, { data, faults: [{ endpoint: 'ticket_events', kind: 'malformed', onRequest: 1, count: 3 }] }, open);
    const h = await runOn(clock, { probeName: 'malformed-once', accounts: [account(s)], sources: [source()], pollMs: POLL });
    open.push({ close: async () => void (await h.p.stop()) });
    await until(() => acceptedIds(h.pr, 'ticket_audit').length >= 60, 'all events');
    expect(h.p.components.get('tickets')?.state).not.toBe('failed');
    await h.p.stop();
    expect(lossAndDuplicates(acceptedIds(h.pr, 'ticket_audit'), s.records('ticket_events').map((r) => String(r.id)))).toEqual({ lost: [], duplicates: 0, unexpected: [] });
    const dead = readDeadLetters(h.dataDir);
    expect(dead).toEqual([expect.objectContaining({ component: 'tickets', reason: 'malformed_page', kind: 'page' })]);
  });

  it('fails after three malformed polls in a row, without advancing start_time', async () => {
    const clock = virtualClock(T0);
    const s = await startSim(clock, { data, faults: [{ endpoint: 'ticket_events', kind: 'malformed', onRequest: 1, count: 9 }] }, open);
    const h = await runOn(clock, { probeName: 'malformed-3', accounts: [account(s)], sources: [source()], pollMs: POLL });
    open.push({ close: async () => void (await h.p.stop()) });
    await until(() => h.p.components.get('tickets')?.state === 'failed', 'source failed', 60_000);
    expect(readDeadLetters(h.dataDir).filter((d) => d.reason === 'malformed_page')).toHaveLength(3);
    expect(h.pr.accepted).toHaveLength(0);
    expect(checkpointOf(h.dataDir, 'tickets')).toBeUndefined();
  });

  it('with --once, fails at the first malformed page', async () => {
    const clock = virtualClock(T0);
    const s = await startSim(clock, { data, faults: [{ endpoint: 'ticket_events', kind: 'malformed', onRequest: 1, count: 3 }] }, open);
    const h = await runOn(clock, { probeName: 'malformed-o', accounts: [account(s)], sources: [source()], pollMs: POLL, once: true });
    const r = await h.p.done;
    expect(r.ok).toBe(false);
    expect(r.failures[0]).toMatchObject({ component: 'tickets', reason: expect.stringContaining('malformed page') });
    expect(readDeadLetters(h.dataDir)).toHaveLength(1);
  });

  it('logs idle polls at debug, not warn', async () => {
    const clock = virtualClock(T0);
    const s = await startSim(clock, { data }, open);
    const h = await runOn(clock, { probeName: 'idle', accounts: [account(s)], sources: [source({ lookback: '0s' })], pollMs: POLL });
    open.push({ close: async () => void (await h.p.stop()) });
    await until(() => clock.now() >= T0 + 8 * POLL, 'eight polls');
    await h.p.stop();
    const idle = logLines(h.logs, 'incremental export returned no progress; waiting before asking again');
    expect(idle.length).toBeGreaterThan(3);
    expect(idle.every((l) => l.level === 'debug')).toBe(true);
    expect(h.logs.filter((l) => JSON.parse(l).level === 'warn')).toEqual([]);
  });
});

describe('ticket-event checkpoint', () => {
  it('reads the checkpoint written before the lookback (boundary ids) as seen ids at its start_time', () => {
    expect(readTicketEventsState({ startTime: 100, boundary: ['1', '2'] })).toEqual({ startTime: 100, seen: { 1: 100, 2: 100 } });
    expect(readTicketEventsState({ startTime: 100, seen: { 5: 90 }, recheck: 80 })).toEqual({ startTime: 100, seen: { 5: 90 }, recheck: 80 });
    expect(readTicketEventsState({ start: 1 })).toBeUndefined();
  });

  it('prunes ids older than the lookback before the frontier, never those at or after it', () => {
    expect(pruneSeen({ a: 699, b: 700, c: 1000, d: 1200 }, 1000, 300)).toEqual({ b: 700, c: 1000, d: 1200 });
    expect(pruneSeen({ a: 999, c: 1000 }, 1000, 0)).toEqual({ c: 1000 });
  });
});
