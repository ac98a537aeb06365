// Ticket audits: activity per child type, both upstream shapes, and the per-audit vs
// per-child choice (default per audit).

import { describe, expect, it } from 'vitest';
import { TICKET_EVENT_TYPES, childActivity } from '../../transforms/zendesk/ticket-audit.js';
import { validateEcs, validateOcsf } from '../support/schema-validator.js';
import { example, makeTransform, one, run, ticketRecord } from './helpers.js';

type Json = Record<string, unknown>;

const ocsf = makeTransform('ocsf');
const ecs = makeTransform('ecs');

describe('ticket audit activity', () => {
  const cases: [string, number, string, string][] = [
    ['Create', 1, 'Create', 'creation'],
    ['Change', 3, 'Update', 'change'],
    ['Comment', 3, 'Update', 'change'],
    ['VoiceComment', 3, 'Update', 'change'],
    ['CommentRedactionEvent', 3, 'Update', 'change'],
    ['AttachmentRedactionEvent', 3, 'Update', 'change'],
    ['CommentPrivacyChange', 3, 'Update', 'change'],
    ['FollowerChange', 3, 'Update', 'change'],
    ['EmailCcChange', 3, 'Update', 'change'],
    ['Cc', 3, 'Update', 'change'],
    ['TicketSharingEvent', 8, 'Share', 'change'],
    ['Notification', 99, 'Notification', 'info'],
    ['NotificationWithCcs', 99, 'NotificationWithCcs', 'info'],
    ['Error', 99, 'Error', 'info'],
    ['SomethingNew', 99, 'SomethingNew', 'info'],
  ];
  it.each(cases)('%s -> 6001 activity %i (%s), ECS type %s', async (type, activityId, activityName, ecsType) => {
    const rec = ticketRecord({ events: [{ id: 1, type, body: 'x' }] });
    const o = (await one(ocsf, rec)).body;
    expect(validateOcsf(o)).toEqual([]);
    expect(o).toMatchObject({ class_uid: 6001, activity_id: activityId, activity_name: activityName });
    // Update/Create keep the OCSF caption (sibling rule); the Zendesk type is the event code.
    expect((o.metadata as Json).event_code).toBe(type);
    const e = (await one(ecs, rec)).body;
    expect(validateEcs(e)).toEqual([]);
    expect((e.event as Json).type).toEqual([ecsType]);
    expect((e.event as Json).category).toEqual(['api']);
  });

  it('classifies every documented child type without throwing', () => {
    for (const t of TICKET_EVENT_TYPES) expect(['create', 'update', 'share', 'other']).toContain(childActivity(t));
  });

  it('an audit takes the strongest child activity: Create > Share > Update > Other', async () => {
    const body = async (types: string[]) => (await one(ocsf, ticketRecord({ events: types.map((type, i) => ({ id: i, type })) }))).body;
    expect((await body(['Notification', 'Change', 'Create'])).activity_id).toBe(1);
    expect((await body(['Notification', 'Comment', 'TicketSharingEvent'])).activity_id).toBe(8);
    expect((await body(['Notification', 'Comment'])).activity_id).toBe(3);
    expect((await body(['Notification'])).activity_id).toBe(99);
    const empty = await body([]);
    expect(empty).toMatchObject({ activity_id: 99, activity_name: 'Audit' });
    expect(validateOcsf(empty)).toEqual([]);
  });
});

describe('ticket audit fields', () => {
  it('maps the Ticket Audits API shape: actor, source IP, user agent, location, web_resources', async () => {
    const audit = (example('ticket_audits.for_ticket.page.verbatim.json').audits as Json[])[0]!;
    const rec = { account: 'acme', stream: 'ticket_audit', id: String(audit.id), time: 0, raw: audit };
    const o = (await one(ocsf, rec)).body;
    expect(o.actor).toEqual({ user: { uid: '5246746' } });
    expect((o.metadata as Json).profiles).toEqual(['host']);
    expect(o.src_endpoint).toMatchObject({ ip: '76.218.201.212', location: { city: 'San Francisco', region: 'CA', country: 'United States' } });
    expect((o.http_request as Json).user_agent).toMatch(/^Mozilla\/5.0/);
    const wr = (o.web_resources as Json[])[0]!;
    expect(wr).toMatchObject({ type: 'Ticket', uid: '666' });
    expect(((wr.data as Json).events as Json[]).map((x) => x.type)).toEqual(['Comment', 'Change', 'Change']);
    // The summary has no comment bodies; the full child events (with bodies) are in unmapped.
    expect(JSON.stringify(wr.data)).not.toContain('private comment');
    expect(((o.unmapped as Json).events as Json[])[0]!.body).toBe('This is a new private comment');
    expect((o.unmapped as Json).metadata).toEqual({ custom: {} });
    expect(o.message).toBe('Ticket 666 updated: Comment, Change(status), Change(custom_status_id)');
  });

  it('maps the incremental export shape: updater_id, system, epoch-second timestamp, event_type keys', async () => {
    const item = (example('incremental_ticket_events.page.json').ticket_events as Json[])[0]!;
    const rec = { account: 'acme', stream: 'ticket_audit', id: String(item.id), time: 0, raw: item };
    const o = (await one(ocsf, rec)).body;
    expect(validateOcsf(o)).toEqual([]);
    expect(o.actor).toEqual({ user: { uid: '5031726587' } });
    expect(o.time).toBe(Date.parse('2020-09-29T05:31:43Z'));
    expect((o.src_endpoint as Json).location).toMatchObject({ lat: 37.7749, long: -122.4194 });
    expect(o.activity_id).toBe(3);
    const e = (await one(ecs, rec)).body;
    expect(validateEcs(e)).toEqual([]);
    expect(e.user_agent).toEqual({ original: 'Zendesk SIEM forwarder/1.0' });
    expect((e.source as Json).geo).toMatchObject({ city_name: 'San Francisco', location: { lat: 37.7749, lon: -122.4194 } });
  });

  it('maps the metric-shaped item of the verbatim incremental example to Other', async () => {
    const item = (example('incremental_ticket_events.page.verbatim.json').ticket_events as Json[])[0]!;
    const o = (await one(ocsf, { account: 'acme', stream: 'ticket_audit', id: String(item.id), time: 0, raw: item })).body;
    expect(validateOcsf(o)).toEqual([]);
    expect(o).toMatchObject({ activity_id: 99, activity_name: 'measure', time: Date.parse('2020-10-26T12:53:12Z') });
  });
});

describe('one event per audit (default) or per child', () => {
  const rec = ticketRecord({
    id: 555,
    events: [
      { id: 1, type: 'Comment', body: 'hello', public: true, author_id: 42 },
      { id: 2, type: 'Change', field_name: 'status', value: 'open', previous_value: 'new' },
      { id: 3, type: 'Notification', subject: 's', body: 'b' },
    ],
  });

  it('per_audit: one event, deterministic id of the audit', async () => {
    const out = await run(ocsf, rec);
    expect(out).toHaveLength(1);
    expect(out[0]!.meta.id).toBe('acme:ticket_audit:555');
    expect((out[0]!.body.metadata as Json).uid).toBe('acme:ticket_audit:555');
  });

  it('per_child: one event per child, ids suffixed, audit id as correlation, child author as actor', async () => {
    for (const type of ['ocsf', 'ecs']) {
      const out = await run(makeTransform(type, { ticketAudits: 'per_child' }), rec);
      expect(out.map((e) => e.meta.id)).toEqual(['acme:ticket_audit:555:1', 'acme:ticket_audit:555:2', 'acme:ticket_audit:555:3']);
      for (const e of out) expect(type === 'ocsf' ? validateOcsf(e.body) : validateEcs(e.body)).toEqual([]);
      if (type === 'ocsf') {
        expect(out.map((e) => e.body.activity_id)).toEqual([3, 3, 99]);
        expect((out[0]!.body.metadata as Json).correlation_uid).toBe('acme:ticket_audit:555');
        expect(out[0]!.body.actor).toEqual({ user: { uid: '42' } });
        expect(out[1]!.body.actor).toEqual({ user: { uid: '5246746' } });
        expect(out.map((e) => e.meta.classUid)).toEqual([6001, 6001, 6001]);
      } else {
        expect(out.map((e) => (e.body.event as Json).id)).toEqual(['acme:ticket_audit:555:1', 'acme:ticket_audit:555:2', 'acme:ticket_audit:555:3']);
        expect(((e) => (e.zendesk as Json).ticket_audit as Json)(out[2]!.body).audit_event_id).toBe('acme:ticket_audit:555');
      }
    }
  });

  it('per_child with children without ids uses their position', async () => {
    const out = await run(makeTransform('ocsf', { ticketAudits: 'per_child' }), ticketRecord({ id: 9, events: [{ type: 'Change' }, { type: 'Comment' }] }));
    expect(out.map((e) => e.meta.id)).toEqual(['acme:ticket_audit:9:#0', 'acme:ticket_audit:9:#1']);
  });
});
