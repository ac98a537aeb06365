// Every documented example and a seeded corpus of several thousand varied records must map
// to 100 % valid OCSF 1.8.0 and ECS 9.4.0, deterministically, in both ticket-audit modes.

import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PipelineEvent, SourceRecord } from '../../src/core/types.js';
import { HTTP_METHODS } from '../../transforms/zendesk/access-log.js';
import { AUDIT_ACTIONS, SOURCE_TYPES } from '../../transforms/zendesk/audit-log.js';
import { TICKET_EVENT_TYPES } from '../../transforms/zendesk/ticket-audit.js';
import { validateEcs, validateOcsf } from '../support/schema-validator.js';
import { UNKNOWN_ACTIONS, UNKNOWN_SOURCE_TYPES, UNKNOWN_TICKET_EVENT_TYPES, zendeskCorpus } from '../support/zendesk-corpus.js';
import { EXAMPLES_DIR, example, makeTransform, run } from './helpers.js';

type Json = Record<string, unknown>;

/** Every record in the example files that is an audit log, ticket audit or access log item. */
function exampleRecords(): { file: string; rec: SourceRecord }[] {
  const out: { file: string; rec: SourceRecord }[] = [];
  const add = (file: string, stream: string, raw: Json) => out.push({ file, rec: { account: 'acme', stream, id: String(raw.id), time: 0, raw } });
  for (const file of readdirSync(EXAMPLES_DIR)) {
    const doc = example(file);
    const items: [string, unknown][] = [
      ['audit_log', doc.audit_logs],
      ['audit_log', doc.audit_log ? [doc.audit_log] : undefined],
      ['ticket_audit', doc.audits],
      ['ticket_audit', doc.ticket_events],
      ['access_log', doc.access_logs],
      ['access_log', (doc.event as Json | undefined)?.access_logs],
    ];
    for (const [stream, list] of items) if (Array.isArray(list)) for (const raw of list) add(file, stream, raw as Json);
  }
  return out;
}

function check(out: PipelineEvent[], schema: 'ocsf' | 'ecs'): string[] {
  return out.flatMap((e) => (schema === 'ocsf' ? validateOcsf(e.body) : validateEcs(e.body)).map((x) => `${e.meta.id}: ${x}`));
}

describe('documented examples', () => {
  const recs = exampleRecords();
  it('finds the example records', () => {
    expect(recs.length).toBeGreaterThanOrEqual(10);
    expect(new Set(recs.map((r) => r.rec.stream))).toEqual(new Set(['audit_log', 'ticket_audit', 'access_log']));
  });
  it.each(recs.map((r) => [`${r.file} #${r.rec.id}`, r.rec] as const))('%s -> valid OCSF and ECS', async (_name, rec) => {
    for (const ticketAudits of ['per_audit', 'per_child']) {
      expect(check(await run(makeTransform('ocsf', { ticketAudits }), rec), 'ocsf')).toEqual([]);
      expect(check(await run(makeTransform('ecs', { ticketAudits }), rec), 'ecs')).toEqual([]);
    }
  });
});

describe('seeded corpus', () => {
  const corpus = zendeskCorpus(42);

  it('covers every source_type x action, ticket event type, HTTP method and status class', () => {
    expect(corpus.length).toBeGreaterThan(4000);
    const audits = corpus.filter((r) => r.stream === 'audit_log').map((r) => `${String(r.raw.source_type)}|${String(r.raw.action)}`);
    for (const t of [...Object.keys(SOURCE_TYPES), ...UNKNOWN_SOURCE_TYPES]) for (const a of [...AUDIT_ACTIONS, ...UNKNOWN_ACTIONS]) expect(audits).toContain(`${t}|${a}`);
    const childTypes = new Set(
      corpus
        .filter((r) => r.stream === 'ticket_audit')
        .flatMap((r) => ((r.raw.events ?? r.raw.child_events ?? []) as (Json | null)[]).map((c) => c?.type ?? c?.event_type)),
    );
    for (const t of [...TICKET_EVENT_TYPES, ...UNKNOWN_TICKET_EVENT_TYPES]) expect(childTypes).toContain(t);
    const access = corpus.filter((r) => r.stream === 'access_log');
    for (const m of HTTP_METHODS) expect(access.some((r) => r.raw.method === m)).toBe(true);
    for (const s of [200, 301, 401, 403, 404, 429, 500, null]) expect(access.some((r) => r.raw.status === s)).toBe(true);
    const text = JSON.stringify(corpus);
    expect(text).toMatch(/2001:db8:/); // IPv6
    expect(text).toMatch(/李小龙/); // unicode
    expect(text).toMatch(/"ip_address":null/); // nulls
  });

  for (const ticketAudits of ['per_audit', 'per_child'] as const) {
    it(`maps 100 % to valid OCSF and ECS (${ticketAudits})`, async () => {
      const ocsf = makeTransform('ocsf', { ticketAudits, rawData: true });
      const ecs = makeTransform('ecs', { ticketAudits, rawData: true });
      const problems: string[] = [];
      const classes = new Set<string>();
      let events = 0;
      for (const rec of corpus) {
        const o = await run(ocsf, rec);
        const e = await run(ecs, rec);
        events += o.length;
        problems.push(...check(o, 'ocsf'), ...check(e, 'ecs'));
        for (const x of o) classes.add(`${String(x.body.class_uid)}`);
        expect(e.map((x) => x.meta.id)).toEqual(o.map((x) => x.meta.id));
      }
      expect(problems.slice(0, 20)).toEqual([]);
      expect(events).toBeGreaterThanOrEqual(corpus.length);
      expect([...classes].sort()).toEqual(['3001', '3002', '3004', '3005', '3006', '6001', '6003']);
    });
  }

  it('is deterministic: same input, same output (a fresh transform each run)', async () => {
    const sample = corpus.filter((_, i) => i % 7 === 0);
    const once = async () => {
      const t = makeTransform('ocsf');
      const out: unknown[] = [];
      for (const rec of sample) out.push(await run(t, rec));
      return JSON.stringify(out);
    };
    expect(await once()).toBe(await once());
  });
});
