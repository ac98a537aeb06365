// The audit-log mapping table, row by row: each Zendesk record kind -> OCSF class/activity and
// ECS category/type, every output checked by the schema validator.

import { describe, expect, it } from 'vitest';
import { validateEcs, validateOcsf } from '../support/schema-validator.js';
import { auditRecord, makeTransform, one } from './helpers.js';

type Json = Record<string, unknown>;

const ocsf = makeTransform('ocsf');
const ecs = makeTransform('ecs');

interface Row {
  name: string;
  raw: Json;
  classUid: number;
  activityId: number;
  activityName?: string;
  category: string[];
  type: string[];
  check?: (o: Json, e: Json) => void;
}

const rows: Row[] = [
  {
    name: 'successful sign-in -> Authentication Logon, status Success, service set',
    raw: { action: 'login', source_type: 'user', source_id: 1234, source_label: 'Sameer Patel', change_description: 'Successful sign-in using Zendesk from San Francisco, CA, United States' },
    classUid: 3002, activityId: 1, category: ['authentication'], type: ['start'],
    check: (o, e) => {
      expect(o.status_id).toBe(1);
      expect(o.service).toEqual({ name: 'Zendesk Support' });
      expect(o.auth_protocol_id).toBe(99);
      expect(o.auth_protocol).toBe('Zendesk');
      expect((o.src_endpoint as Json).location).toMatchObject({ city: 'San Francisco', region: 'CA', country: 'United States' });
      expect((e.event as Json).outcome).toBe('success');
      expect((e.source as Json).geo).toMatchObject({ city_name: 'San Francisco', country_name: 'United States' });
    },
  },
  {
    name: 'failed sign-in -> Logon with status Failure',
    raw: { action: 'login', change_description: 'Failed sign-in using Google from 203.0.113.7', ip_address: null },
    classUid: 3002, activityId: 1, category: ['authentication'], type: ['start'],
    check: (o, e) => {
      expect(o.status_id).toBe(2);
      expect(o.status).toBe('Failure');
      expect(o.auth_protocol).toBe('OpenID');
      expect(o.src_endpoint).toEqual({ ip: '203.0.113.7' });
      expect((e.event as Json).outcome).toBe('failure');
      expect((e.source as Json).ip).toBe('203.0.113.7');
    },
  },
  {
    name: 'sign-in "from" the URL of the sign-in page -> http_request.url / url.original',
    raw: { action: 'login', change_description: 'Successful sign-in using JWT from https://acme.zendesk.com/access/jwt' },
    classUid: 3002, activityId: 1, category: ['authentication'], type: ['start'],
    check: (o, e) => {
      expect(o.http_request).toEqual({ url: { url_string: 'https://acme.zendesk.com/access/jwt' } });
      expect(o.src_endpoint).toEqual({ ip: '209.119.38.228' });
      expect(e.url).toEqual({ original: 'https://acme.zendesk.com/access/jwt' });
    },
  },
  {
    name: '"Signed in" -> Logon Success',
    raw: { action: 'login', change_description: 'Signed in' },
    classUid: 3002, activityId: 1, category: ['authentication'], type: ['start'],
    check: (o) => expect(o.status_id).toBe(1),
  },
  {
    name: 'unparseable sign-in -> Logon with status Unknown',
    raw: { action: 'login', change_description: 'Something about a login' },
    classUid: 3002, activityId: 1, category: ['authentication'], type: ['start'],
    check: (o, e) => {
      expect(o.status_id).toBe(0);
      expect((e.event as Json).outcome).toBe('unknown');
    },
  },
  { name: 'user create -> Account Change Create', raw: { action: 'create' }, classUid: 3001, activityId: 1, category: ['iam'], type: ['user', 'creation'] },
  { name: 'user destroy -> Account Change Delete', raw: { action: 'destroy' }, classUid: 3001, activityId: 6, category: ['iam'], type: ['user', 'deletion'] },
  {
    name: 'role raised -> User Access Management Assign Privileges',
    raw: { change_description: 'Role changed from Agent to Administrator' },
    classUid: 3005, activityId: 1, category: ['iam'], type: ['user', 'change'],
    check: (o, e) => {
      expect(o.privileges).toEqual(['Administrator']);
      expect(o.user).toEqual({ uid: '3456', name: 'John Doe' });
      expect((e.user as Json).target).toEqual({ id: '3456', name: 'John Doe', roles: ['Agent'] });
      expect((e.user as Json).changes).toEqual({ roles: ['Administrator'] });
    },
  },
  {
    name: 'role lowered -> Revoke Privileges (privileges = the role taken away)',
    raw: { change_description: 'Role changed from Administrator to End User' },
    classUid: 3005, activityId: 2, category: ['iam'], type: ['user', 'change'],
    check: (o) => expect(o.privileges).toEqual(['Administrator']),
  },
  {
    name: 'per-product role lines -> one privileges entry per line',
    raw: { change_description: 'Support role changed from Light Agent to Agent\nGuide role changed from Viewer to Manager' },
    classUid: 3005, activityId: 1, category: ['iam'], type: ['user', 'change'],
    check: (o) => expect(o.privileges).toEqual(['Agent', 'Manager']),
  },
  { name: 'suspension -> Account Change Disable', raw: { source_type: 'user_setting', source_label: 'Suspension state: Bob Cat', action: 'create', change_description: 'Suspended' }, classUid: 3001, activityId: 5, category: ['iam'], type: ['user', 'change'], check: (o) => expect(o.user).toEqual({ uid: '3456', name: 'Bob Cat' }) },
  { name: 'unsuspension -> Account Change Enable', raw: { source_type: 'user_setting', source_label: 'Suspension state: Bob Cat', change_description: 'Unsuspended' }, classUid: 3001, activityId: 2, category: ['iam'], type: ['user', 'change'] },
  { name: 'password changed -> Password Change', raw: { change_description: 'Password changed' }, classUid: 3001, activityId: 3, category: ['iam'], type: ['user', 'change'] },
  { name: 'password reset -> Password Reset', raw: { change_description: 'Password reset' }, classUid: 3001, activityId: 4, category: ['iam'], type: ['user', 'change'] },
  { name: 'user 2FA disabled -> MFA Factor Disable', raw: { change_description: 'Two-factor authentication disabled' }, classUid: 3001, activityId: 11, category: ['iam'], type: ['user', 'change'] },
  {
    name: 'other user update -> Entity Management Update of a User entity',
    raw: { change_description: 'Email changed from a@example.com to b@example.com' },
    classUid: 3004, activityId: 3, category: ['iam'], type: ['user', 'change'],
    check: (o) => expect(o.entity).toMatchObject({ uid: '3456', name: 'John Doe', type: 'User', type_id: 2 }),
  },
  { name: 'group create -> Group Management Create', raw: { source_type: 'group', source_label: 'Tier 2', action: 'create' }, classUid: 3006, activityId: 6, category: ['iam'], type: ['group', 'creation'], check: (o, e) => { expect(o.group).toEqual({ uid: '3456', name: 'Tier 2' }); expect(e.group).toEqual({ id: '3456', name: 'Tier 2' }); } },
  { name: 'group destroy -> Group Management Delete', raw: { source_type: 'group', action: 'destroy' }, classUid: 3006, activityId: 5, category: ['iam'], type: ['group', 'deletion'] },
  { name: 'agent added to group -> Add User', raw: { source_type: 'group', change_description: 'Agent Jane added' }, classUid: 3006, activityId: 3, category: ['iam'], type: ['group', 'change'] },
  { name: 'agent removed from group -> Remove User', raw: { source_type: 'group', change_description: 'Agent Jane removed' }, classUid: 3006, activityId: 4, category: ['iam'], type: ['group', 'change'] },
  { name: 'other group update -> Group Management Other "update"', raw: { source_type: 'group', change_description: 'Name changed from A to B' }, classUid: 3006, activityId: 99, activityName: 'update', category: ['iam'], type: ['group', 'change'] },
  {
    name: 'API token created -> Entity Management Create, entity API Token',
    raw: { source_type: 'apitoken', action: 'create', source_id: 77, source_label: 'SIEM forwarder', change_description: 'API token created' },
    classUid: 3004, activityId: 1, category: ['iam'], type: ['admin', 'creation'],
    check: (o) => expect(o.entity).toEqual({ uid: '77', name: 'SIEM forwarder', type: 'API Token', type_id: 99 }),
  },
  { name: 'trigger (rule) update -> Entity Management Update, configuration change', raw: { source_type: 'rule', source_label: 'Notify requester', change_description: 'Title changed from A to B' }, classUid: 3004, activityId: 3, category: ['configuration'], type: ['change'] },
  { name: 'rule deactivated -> Entity Management Disable', raw: { source_type: 'rule', change_description: 'Active changed from true to false' }, classUid: 3004, activityId: 9, category: ['configuration'], type: ['change'] },
  { name: 'macro destroy -> Entity Management Delete', raw: { source_type: 'macro', action: 'destroy' }, classUid: 3004, activityId: 4, category: ['configuration'], type: ['deletion'] },
  { name: 'app installed -> Entity Management Create', raw: { source_type: 'zendesk/app_market/app', action: 'create', source_label: 'Slack' }, classUid: 3004, activityId: 1, category: ['configuration'], type: ['creation'], check: (o) => expect((o.entity as Json).type).toBe('App') },
  { name: 'account setting enabled -> Entity Management Enable', raw: { source_type: 'account_setting', source_label: 'Zendesk Support Mobile App Access', change_description: 'Enabled' }, classUid: 3004, activityId: 8, category: ['configuration'], type: ['change'] },
  { name: 'organization update -> Entity Management Update, entity Organization', raw: { source_type: 'organization', source_label: 'Acme Inc' }, classUid: 3004, activityId: 3, category: ['iam'], type: ['group', 'change'], check: (o) => expect(o.entity).toMatchObject({ type: 'Organization', type_id: 4 }) },
  { name: 'ticket destroy -> Entity Management Delete, entity Ticket', raw: { source_type: 'ticket', action: 'destroy', source_label: 'Ticket #12' }, classUid: 3004, activityId: 4, category: ['api'], type: ['deletion'] },
  { name: 'owner change on account -> Entity Management Update', raw: { source_type: 'account', source_label: 'Account: Account', change_description: 'Owner changed from Bob Cat to Mountain Lion' }, classUid: 3004, activityId: 3, category: ['configuration'], type: ['change'] },
  { name: 'unknown action on a known type -> Entity Management Other with the action name', raw: { source_type: 'rule', action: 'merge' }, classUid: 3004, activityId: 99, activityName: 'merge', category: ['configuration'], type: ['info'] },
  {
    name: 'exported -> Web Resources Activity Export (host profile for actor)',
    raw: { action: 'exported', source_type: 'audit_log', source_label: 'Audit log', change_description: 'Exported audit log to CSV' },
    classUid: 6001, activityId: 7, category: ['api'], type: ['access'],
    check: (o) => {
      expect((o.metadata as Json).profiles).toEqual(['host']);
      expect(o.web_resources).toEqual([{ uid: '3456', name: 'Audit log', type: 'audit_log' }]);
    },
  },
  {
    name: 'unknown source_type -> API Activity with api.operation "<source_type>.<action>"',
    raw: { source_type: 'voice_greeting', action: 'create', source_label: 'Greeting 1', ip_address: null },
    classUid: 6003, activityId: 1, category: ['api'], type: ['creation'],
    check: (o) => {
      expect((o.api as Json).operation).toBe('voice_greeting.create');
      expect(o.src_endpoint).toEqual({ name: 'unknown' });
      expect(o.resources).toEqual([{ uid: '3456', name: 'Greeting 1', type: 'voice_greeting' }]);
    },
  },
  { name: 'unknown source_type and action -> API Activity Other', raw: { source_type: 'voice_greeting', action: 'rotate' }, classUid: 6003, activityId: 99, activityName: 'rotate', category: ['api'], type: ['info'] },
];

describe('audit log mapping table', () => {
  it.each(rows)('$name', async (row) => {
    const rec = auditRecord(row.raw);
    const o = (await one(ocsf, rec)).body;
    const e = (await one(ecs, rec)).body;
    expect(validateOcsf(o)).toEqual([]);
    expect(validateEcs(e)).toEqual([]);
    expect(o.class_uid).toBe(row.classUid);
    expect(o.activity_id).toBe(row.activityId);
    if (row.activityName) expect(o.activity_name).toBe(row.activityName);
    expect((e.event as Json).category).toEqual(row.category);
    expect((e.event as Json).type).toEqual(row.type);
    row.check?.(o, e);
  });

  it('carries the deterministic id, times, product and unmapped fields', async () => {
    const rec = auditRecord({ id: 498483, created_at: '2012-03-05T11:32:44Z', change_description: 'Role changed from Administrator to End User', action_label: 'Updated', brand_new_field: 'x' });
    const out = await one(ocsf, rec);
    expect(out.meta).toMatchObject({ id: 'acme:audit_log:498483', schema: 'ocsf', sourcetype: 'zendesk:audit:ocsf', classUid: 3005, severity: 1 });
    expect(out.body.time).toBe(Date.parse('2012-03-05T11:32:44Z'));
    expect(out.body.metadata).toMatchObject({
      version: '1.8.0',
      uid: 'acme:audit_log:498483',
      original_time: '2012-03-05T11:32:44Z',
      product: { vendor_name: 'Zendesk', name: 'Zendesk Support' },
      event_code: 'user.update',
    });
    expect(out.body.unmapped).toEqual({ action_label: 'Updated', source_type: 'user', url: 'https://acme.zendesk.com/api/v2/audit_logs/1', brand_new_field: 'x' });
    const e = await one(ecs, rec);
    expect(e.body['@timestamp']).toBe('2012-03-05T11:32:44.000Z');
    expect(e.body.event).toMatchObject({ id: 'acme:audit_log:498483', module: 'zendesk', dataset: 'zendesk.audit_log', action: 'user.update', kind: 'event' });
    expect(e.meta).toMatchObject({ schema: 'ecs', sourcetype: 'zendesk:audit:ecs' });
    expect(e.meta.classUid).toBeUndefined();
  });

  it('keeps the upstream offset in timezone_offset (Zendesk writes UTC)', async () => {
    expect((await one(ocsf, auditRecord({ created_at: '2026-03-05T11:32:44Z' }))).body.timezone_offset).toBe(0);
    const shifted = (await one(ocsf, auditRecord({ created_at: '2026-03-05T13:32:44+02:00' }))).body;
    expect(shifted).toMatchObject({ timezone_offset: 120, time: Date.parse('2026-03-05T11:32:44Z') });
  });

  it('maps the system actor (-1) and a missing actor', async () => {
    const sys = (await one(ocsf, auditRecord({ actor_id: -1, actor_name: 'Zendesk', source_type: 'rule' }))).body;
    expect(sys.actor).toEqual({ user: { uid: '-1', name: 'Zendesk', type_id: 3, type: 'System' } });
    const none = (await one(ocsf, auditRecord({ actor_id: null, actor_name: null, source_type: 'rule' }))).body;
    expect(none.actor).toEqual({ app_name: 'Zendesk' });
    expect(validateOcsf(none)).toEqual([]);
  });

  it('puts the upstream JSON in raw_data / event.original only when asked', async () => {
    const rec = auditRecord({});
    expect((await one(ocsf, rec)).body.raw_data).toBeUndefined();
    const withRaw = (await one(makeTransform('ocsf', { rawData: true }), rec)).body;
    expect(JSON.parse(withRaw.raw_data as string)).toEqual(rec.raw);
    const ecsRaw = (await one(makeTransform('ecs', { rawData: true }), rec)).body;
    expect(JSON.parse((ecsRaw.event as Json).original as string)).toEqual(rec.raw);
  });
});
