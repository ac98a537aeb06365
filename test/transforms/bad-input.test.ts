// Records the mappers cannot map are rejected with a clear reason (the pipeline dead-letters
// the event with it); unknown kinds map to their documented fallbacks instead.

import { describe, expect, it } from 'vitest';
import type { PipelineEvent, SourceRecord } from '../../src/core/types.js';
import { recordToEvent } from '../../src/core/types.js';
import { validateEcs, validateOcsf } from '../support/schema-validator.js';
import { accessRecord, auditRecord, makeTransform, one, run, ticketRecord } from './helpers.js';

type Json = Record<string, unknown>;

const rec = (stream: string, raw: unknown): SourceRecord => ({ account: 'acme', stream, id: '1', time: 0, raw: raw as Json });

describe('unmappable records throw a clear reason', () => {
  const cases: [string, SourceRecord, RegExp][] = [
    ['audit log without id', auditRecord({ id: null }), /audit_log: missing or invalid "id"/],
    ['audit log with a float id', auditRecord({ id: 1.5 }), /audit_log: missing or invalid "id"/],
    ['audit log without created_at', auditRecord({ created_at: null }), /audit_log: missing or invalid "created_at"/],
    ['audit log with a bad created_at', auditRecord({ created_at: 'yesterday' }), /missing or invalid "created_at" \("yesterday"\)/],
    ['audit log with a numeric action', auditRecord({ action: 3 }), /missing or invalid "action"/],
    ['audit log without source_type', auditRecord({ source_type: undefined }), /missing or invalid "source_type"/],
    ['audit log with an object change_description', auditRecord({ change_description: { a: 1 } }), /"change_description" is not a string/],
    ['audit log that is an array', rec('audit_log', [1, 2]), /audit_log: record is not a JSON object/],
    ['ticket audit without ticket_id', ticketRecord({ ticket_id: null }), /ticket_audit: missing or invalid "ticket_id"/],
    ['ticket audit without any time', ticketRecord({ created_at: undefined }), /missing or invalid "created_at"\/"timestamp"/],
    ['ticket audit with events as an object', ticketRecord({ events: { a: 1 } }), /"events"\/"child_events" is not an array/],
    ['access log without timestamp', accessRecord({ timestamp: undefined }), /access_log: missing or invalid "timestamp"/],
    ['access log with a text status', accessRecord({ status: 'OK' }), /"status" is not an integer/],
    ['access log without id', accessRecord({ id: '' }), /access_log: missing or invalid "id"/],
    ['unknown stream', rec('csv_export', { id: 1 }), /no mapping for stream "csv_export"/],
  ];
  it.each(cases)('%s', async (_name, r, reason) => {
    for (const type of ['ocsf', 'ecs']) await expect(run(makeTransform(type), r)).rejects.toThrow(reason);
  });

  it('refuses events of another schema, passes its own schema through', async () => {
    const ocsfEvent: PipelineEvent = { meta: { ...recordToEvent(auditRecord({})).meta, schema: 'ocsf' }, body: { class_uid: 3001 } };
    await expect(run(makeTransform('ecs'), ocsfEvent)).rejects.toThrow(/ecs transform expects Zendesk records, got a "ocsf" event/);
    await expect(run(makeTransform('raw'), ocsfEvent)).rejects.toThrow(/raw transform expects Zendesk records/);
    expect(await run(makeTransform('ocsf'), ocsfEvent)).toEqual([ocsfEvent]);
  });
});

describe('fallbacks instead of failures', () => {
  it('unknown source_type, action and ticket event types map, and validate', async () => {
    const inputs: SourceRecord[] = [
      auditRecord({ source_type: 'brand_new_thing', action: 'frobnicate' }),
      auditRecord({ source_type: 'user', action: 'frobnicate' }),
      ticketRecord({ events: [{ type: 'NeverSeenBefore', id: 1 }, null, 7, { id: 2 }] }),
      accessRecord({ method: 'BREW', status: 418 }),
    ];
    for (const r of inputs) {
      const o = await one(makeTransform('ocsf'), r);
      expect(validateOcsf(o.body)).toEqual([]);
      expect(validateEcs((await one(makeTransform('ecs'), r)).body)).toEqual([]);
    }
    expect((await one(makeTransform('ocsf'), inputs[0]!)).body).toMatchObject({ class_uid: 6003, activity_id: 99, activity_name: 'frobnicate', api: { operation: 'brand_new_thing.frobnicate' } });
    expect((await one(makeTransform('ocsf'), inputs[1]!)).body).toMatchObject({ class_uid: 3004, activity_id: 99, activity_name: 'frobnicate' });
    const t = (await one(makeTransform('ocsf'), inputs[2]!)).body;
    expect(t).toMatchObject({ activity_id: 99, activity_name: 'NeverSeenBefore' });
    expect(((t.web_resources as Json[])[0]!.data as Json).events).toEqual([{ type: 'NeverSeenBefore', id: '1' }, { type: 'Unknown', id: '2' }]);
  });

  it('tolerates nulls, empty strings and odd types in optional fields', async () => {
    const r = auditRecord({ actor_id: 'abc', actor_name: '', ip_address: '', source_id: null, source_label: null, change_description: null, action_label: null, url: 42 });
    const o = (await one(makeTransform('ocsf'), r)).body;
    expect(validateOcsf(o)).toEqual([]);
    expect(o.actor).toEqual({ user: { uid: 'abc' } });
    expect(validateEcs((await one(makeTransform('ecs'), r)).body)).toEqual([]);
  });

  it('never modifies the input record', async () => {
    const r = ticketRecord({ events: [{ id: 1, type: 'Comment', body: 'b', via: { source: { rel: null } } }], extra: null });
    const before = JSON.stringify(r.raw);
    for (const type of ['ocsf', 'ecs', 'raw']) await run(makeTransform(type, type === 'raw' ? {} : { ticketAudits: 'per_child' }), r);
    expect(JSON.stringify(r.raw)).toBe(before);
  });
});
