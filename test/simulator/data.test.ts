import { describe, expect, it } from 'vitest';
import { burstyTimeline, generateDataset, isoSec } from '../../src/simulator/data.js';
import { isUlid, ulidTime } from '../../src/simulator/ulid.js';
import { mulberry32 } from '../../src/simulator/prng.js';
import { startSimulator } from '../../src/simulator/index.js';
import { counts, T0 } from './helpers.js';

// Field lists as in test/reference/zendesk/examples/audit_logs.page.json, incremental_ticket_events.page.json
// and access_logs.page.verbatim.json.
const AUDIT_FIELDS = ['action', 'action_label', 'actor_id', 'actor_name', 'change_description', 'created_at', 'id', 'ip_address', 'source_id', 'source_label', 'source_type', 'url'];
const EVENT_FIELDS = ['id', 'ticket_id', 'timestamp', 'created_at', 'updater_id', 'via', 'system', 'event_type', 'merged_ticket_ids', 'child_events'];
const ACCESS_REQUIRED = ['authorization_type', 'bytes_sent', 'category', 'client', 'id', 'ip_address', 'method', 'status', 'summary', 'timestamp', 'url', 'user_id'];
const ISO_SEC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

const opts = { nowMs: T0, auditLogs: 3000, ticketEvents: 3000, accessLogs: 3000 };

describe('simulator data', () => {
  it('is byte-identical for the same seed and different for another', () => {
    const a = generateDataset(7, opts);
    const b = generateDataset(7, opts);
    const c = generateDataset(8, opts);
    for (const k of ['audit', 'ticketEvents', 'access'] as const) {
      expect(JSON.stringify(a[k].records())).toBe(JSON.stringify(b[k].records()));
      expect(JSON.stringify(a[k].records())).not.toBe(JSON.stringify(c[k].records()));
    }
  });

  it('serves the same bytes from two simulators with the same seed and clock', async () => {
    const s1 = await startSimulator({ seed: 3, now: () => T0, data: { auditLogs: 500, ticketEvents: 300, accessLogs: 500 } });
    const s2 = await startSimulator({ seed: 3, now: () => T0, data: { auditLogs: 500, ticketEvents: 300, accessLogs: 500 } });
    try {
      // Record urls carry each server's own address; everything else must match.
      const strip = (s: string) => s.replaceAll(/http:\/\/127\.0\.0\.1:\d+/g, 'BASE');
      for (const st of ['audit_logs', 'ticket_events', 'access_logs'] as const) {
        expect(strip(JSON.stringify(s1.records(st)))).toBe(strip(JSON.stringify(s2.records(st))));
      }
    } finally {
      await Promise.all([s1.close(), s2.close()]);
    }
  });

  it('has the documented fields, sorted unique ids and second-precision times', () => {
    const ds = generateDataset(1, opts);
    const bad: string[] = [];
    const check = (ok: boolean, what: string) => {
      if (!ok && bad.length < 10) bad.push(what);
    };
    for (const r of ds.audit.records()) {
      check(Object.keys(r).join() === AUDIT_FIELDS.join(), `audit fields ${Object.keys(r).join()}`);
      check(ISO_SEC.test(r.created_at), `audit created_at ${r.created_at}`);
      check(r.url === `https://zsf-demo.zendesk.com/api/v2/audit_logs/${r.id}.json`, `audit url ${r.url}`);
      check(['create', 'destroy', 'exported', 'login', 'update'].includes(r.action), `audit action ${r.action}`);
    }
    for (const r of ds.ticketEvents.records()) {
      check(Object.keys(r).join() === EVENT_FIELDS.join(), `event fields ${Object.keys(r).join()}`);
      check(r.created_at === isoSec(r.timestamp) && r.event_type === 'Audit', `event ${r.id} time/type`);
      check(r.child_events.length > 0 && r.child_events.every((c) => c.id > r.id && typeof c.event_type === 'string'), `event ${r.id} children`);
    }
    for (const r of ds.access.records()) {
      check(ACCESS_REQUIRED.every((f) => f in r), `access fields ${Object.keys(r).join()}`);
      check(isUlid(r.id) && Math.floor(ulidTime(r.id) / 1000) === Date.parse(r.timestamp) / 1000, `access id ${r.id} vs ${r.timestamp}`);
      check(ISO_SEC.test(r.timestamp), `access timestamp ${r.timestamp}`);
    }
    for (const s of [ds.audit, ds.ticketEvents, ds.access]) {
      const keys = s.entries.map((e) => e.k);
      check(new Set(keys).size === keys.length, 'duplicate ids');
      for (let i = 1; i < s.entries.length; i++) {
        const a = s.entries[i - 1]!;
        const b = s.entries[i]!;
        check(a.t < b.t || (a.t === b.t && a.k < b.k), `order at ${i}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('is realistic: unicode names, IPv6, system actions without IP, bursts sharing a second', () => {
    const ds = generateDataset(1, opts);
    const audit = ds.audit.records();
    expect(audit.some((r) => /[\u0080-\uffff]/.test(r.actor_name))).toBe(true);
    expect(audit.some((r) => r.ip_address?.includes(':'))).toBe(true);
    expect(audit.some((r) => r.actor_name === 'Zendesk' && r.ip_address === null)).toBe(true);
    expect(audit.some((r) => r.change_description.startsWith('Role changed from '))).toBe(true);
    expect(audit.some((r) => r.change_description.startsWith('Successful sign-in using '))).toBe(true);
    expect(audit.some((r) => r.change_description.length > 2000)).toBe(true);
    expect(new Set(audit.map((r) => r.source_type))).toEqual(new Set(['user', 'account_setting', 'apitoken', 'rule', 'ticket', 'account', 'organization', 'group', 'brand', 'ticket_field', 'user_field', 'zendesk/app_market/app']));
    for (const s of [ds.audit, ds.ticketEvents, ds.access]) {
      const perSecond = [...counts(s.entries.map((e) => e.t)).values()];
      expect(perSecond.filter((n) => n > 1).length).toBeGreaterThan(20);
      expect(Math.max(...perSecond)).toBeGreaterThan(30);
    }
    const types = new Set(ds.ticketEvents.records().flatMap((r) => r.child_events.map((c) => c.event_type)));
    for (const t of ['Create', 'Change', 'Comment', 'Notification', 'Cc', 'FollowerChange', 'SatisfactionRating', 'TicketSharingEvent']) expect(types).toContain(t);
    expect(types.has('CommentRedactionEvent') || types.has('AttachmentRedactionEvent')).toBe(true);
    expect(ds.access.records().some((r) => r.graphql !== undefined)).toBe(true);
  });

  it('puts a giant same-second burst in large ticket-event sets', () => {
    const ds = generateDataset(1, { nowMs: T0, auditLogs: 0, accessLogs: 0, ticketEvents: 2600 });
    expect(Math.max(...counts(ds.ticketEvents.entries.map((e) => e.t)).values())).toBeGreaterThanOrEqual(1150);
    const { secs, clusters } = burstyTimeline(mulberry32(1), 100, 0, 10, 0);
    expect(secs).toHaveLength(100);
    expect(clusters.reduce((a, b) => a + b, 0)).toBe(100);
  });

  it('generates 100k audit logs + 100k access logs + 20k ticket events quickly', () => {
    const t = performance.now();
    const ds = generateDataset(1, { nowMs: T0, auditLogs: 100_000, accessLogs: 100_000, ticketEvents: 20_000 });
    const ms = performance.now() - t;
    console.log(`generated 220k records in ${ms.toFixed(0)} ms`);
    expect(ds.audit.length + ds.access.length + ds.ticketEvents.length).toBe(220_000);
    expect(ms).toBeLessThan(15_000);
  });
});
