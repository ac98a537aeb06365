// Zendesk event webhooks (stream `webhook`): every documented user, organization and ticket
// event type maps to schema-valid OCSF 1.8.0 and ECS 9.4.0 with the deterministic id; the
// security-relevant ones carry the audit log's risk labels; an unknown type is refused with
// a reason (the pipeline dead-letters it).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../src/core/types.js';
import { WEBHOOK_EVENT_TYPES } from '../../transforms/zendesk/webhook.js';
import { SCHEMAS_DIR, validateEcs, validateOcsf } from '../support/schema-validator.js';
import { makeTransform, one } from './helpers.js';

type Json = Record<string, unknown>;
const EXAMPLES: Json[] = JSON.parse(readFileSync(join(SCHEMAS_DIR, '..', 'zendesk', 'webhooks', 'events.assembled.json'), 'utf8')) as Json[];

function record(raw: Json, account = 'acme'): SourceRecord {
  return { account, stream: 'webhook', id: String(raw.id), time: Date.parse(String(raw.time)), raw };
}

function byType(type: string): Json {
  const e = EXAMPLES.find((x) => x.type === `zen:event-type:${type}`);
  if (!e) throw new Error(`no example for ${type}`);
  return e;
}

/** A payload for a documented type that has no example of its own: the family's example with the type swapped. */
function payloadFor(type: string, i: number): Json {
  const own = EXAMPLES.find((x) => x.type === `zen:event-type:${type}`);
  if (own) return own;
  const family = type.split('.')[0]!;
  const base = EXAMPLES.find((x) => String(x.type).startsWith(`zen:event-type:${family}.`))!;
  return { ...base, type: `zen:event-type:${type}`, id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, event: { previous: 'a', current: 'b' } };
}

const labels = (b: Json) => ((b.metadata as Json).labels as string[] | undefined) ?? [];

describe('webhook mapping', () => {
  const ocsf = makeTransform('ocsf');
  const ecs = makeTransform('ecs');
  const types = Object.keys(WEBHOOK_EVENT_TYPES);

  it('covers every documented user, organization and ticket type', () => {
    expect(types.filter((t) => t.startsWith('user.'))).toHaveLength(27);
    expect(types.filter((t) => t.startsWith('organization.'))).toHaveLength(6);
    expect(types.filter((t) => t.startsWith('ticket.'))).toHaveLength(35);
  });

  it.each(types.map((t, i) => [t, i] as const))('%s maps to schema-valid OCSF and ECS with the deterministic id', async (type, i) => {
    const raw = payloadFor(type, i);
    const o = await one(ocsf, record(raw));
    expect(validateOcsf(o.body)).toEqual([]);
    expect(o.meta.id).toBe(`acme:webhook:${String(raw.id)}`);
    expect((o.body.metadata as Json).uid).toBe(o.meta.id);
    expect((o.body.metadata as Json).event_code).toBe(type);
    expect(o.body.time).toBe(Date.parse(String(raw.time)));
    const e = await one(ecs, record(raw));
    expect(validateEcs(e.body)).toEqual([]);
    expect((e.body.event as Json).id).toBe(`acme:webhook:${String(raw.id)}`);
    expect((e.body.event as Json).action).toBe(type);
    expect(e.meta.sourcetype).toBe('zendesk:webhook:ecs');
  });

  it('a role raised to admin: User Access Management / Assign Privileges, risk:role_elevated_admin, severity High', async () => {
    const o = await one(ocsf, record(byType('user.role_changed')));
    expect(o.body).toMatchObject({ class_uid: 3005, activity_id: 1, privileges: ['admin'], severity_id: 4, user: { uid: '6596848315901', name: 'jane.agent@example.com' } });
    expect(labels(o.body)).toEqual(['risk:role_elevated_admin']);
    const e = await one(ecs, record(byType('user.role_changed')));
    expect(e.body.tags).toEqual(['risk:role_elevated_admin']);
    expect(e.body.user).toMatchObject({ target: { id: '6596848315901', roles: ['agent'] }, changes: { roles: ['admin'] } });
  });

  it('a role lowered to end-user revokes and is not labelled', async () => {
    const o = await one(ocsf, record({ ...byType('user.role_changed'), event: { previous: 'admin', current: 'end-user' } }));
    expect(o.body).toMatchObject({ class_uid: 3005, activity_id: 2, privileges: ['admin'] });
    expect(labels(o.body)).toEqual([]);
  });

  it('suspension, identity, password and deletion events carry the audit log\'s labels (OCSF 3001)', async () => {
    // The same labels as the audit log: user_suspension_changed, user_identity_changed (identity or
    // password, like the audit log's "Password changed" / "Email changed"), user_deleted (like a
    // user destroy). Zendesk documents no webhook for a user's 2FA; the audit log's mfa_sso_disabled covers it.
    const cases: [string, number, number, string[], number][] = [
      ['user.identity_created', 3001, 99, ['risk:user_identity_changed'], 2],
      ['user.identity_changed', 3001, 99, ['risk:user_identity_changed'], 2],
      ['user.password_changed', 3001, 3, ['risk:user_identity_changed'], 2],
      ['user.suspended_changed', 3001, 5, ['risk:user_suspension_changed'], 2],
      ['user.deleted', 3001, 6, ['risk:user_deleted'], 3],
      ['user.active_changed', 3001, 5, [], 1],
    ];
    for (const [type, cls, activity, expected, severity] of cases) {
      const o = await one(ocsf, record(byType(type)));
      expect({ type, cls: o.body.class_uid, activity: o.body.activity_id, labels: labels(o.body), severity: o.body.severity_id }).toEqual({ type, cls, activity, labels: expected, severity });
      expect(validateOcsf(o.body)).toEqual([]);
      const e = await one(ecs, record(byType(type)));
      expect({ type, tags: e.body.tags ?? [] }).toEqual({ type, tags: expected });
      expect(validateEcs(e.body)).toEqual([]);
    }
    const deleted = await one(ecs, record({ ...byType('user.identity_created'), type: 'zen:event-type:user.identity_deleted', event: { identity: { id: '9900001', type: 'phone_number', value: '+15555550100' } } }));
    expect(deleted.body.tags).toEqual(['risk:user_identity_changed']);
    // Other user changes are not identity changes, even when they touch the e-mail-like detail.
    for (const type of ['user.name_changed', 'user.details_changed', 'user.merged', 'user.created']) {
      expect({ type, labels: labels((await one(ocsf, record(payloadFor(type, 1)))).body) }).toEqual({ type, labels: [] });
    }
    const identity = await one(ocsf, record(byType('user.identity_created')));
    expect(identity.body.activity_name).toBe('identity_created');
    // Unsuspending is still a suspension change (the audit log's rule); reactivating enables.
    const unsuspended = await one(ocsf, record({ ...byType('user.suspended_changed'), event: { previous: true, current: false } }));
    expect(unsuspended.body.activity_id).toBe(2);
    expect(labels(unsuspended.body)).toEqual(['risk:user_suspension_changed']);
    const reactivated = await one(ocsf, record({ ...byType('user.active_changed'), event: { previous: false, current: true } }));
    expect(reactivated.body.activity_id).toBe(2);
  });

  it('memberships, organizations and tickets', async () => {
    const m = await one(ocsf, record(byType('user.group_membership_created')));
    expect(m.body).toMatchObject({ class_uid: 3006, activity_id: 3, group: { uid: '6600002', name: 'Tier 2', type: 'Group' } });
    const org = await one(ocsf, record(byType('organization.created')));
    expect(org.body).toMatchObject({ class_uid: 3004, activity_id: 1, entity: { uid: '7700001', name: 'Acme Corp', type: 'Organization', type_id: 4 } });
    const t = await one(ocsf, record(byType('ticket.soft_deleted')));
    expect(t.body).toMatchObject({ class_uid: 3004, activity_id: 4, entity: { uid: '35436', type: 'Ticket' }, actor: { user: { uid: '6596848315901' } } });
    const s = await one(ecs, record(byType('ticket.status_changed')));
    expect(s.body).toMatchObject({ event: { category: ['api'], type: ['change'] }, message: 'ticket.status_changed: OPEN → SOLVED' });
  });

  it('an unknown event type or a broken envelope is refused with a reason, never mapped', async () => {
    await expect(one(ocsf, record({ ...byType('user.deleted'), type: 'zen:event-type:user.teleported' }))).rejects.toThrow(/unknown webhook event type "zen:event-type:user.teleported"/);
    await expect(one(ocsf, record({ ...byType('user.deleted'), type: 'zen:event-type:access_log.created' }))).rejects.toThrow(/unknown webhook event type/);
    await expect(one(ecs, record({ ...byType('user.deleted'), time: 'later' }))).rejects.toThrow(/time/);
  });
});
