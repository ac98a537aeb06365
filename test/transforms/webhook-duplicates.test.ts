// The one-copy option (dropAuditDuplicates on ocsf/ecs): with webhooks and audit-log records of
// the same changes flowing through one transform, exactly the audit-log twins of role changes,
// user creations and deletions already seen by webhook are dropped; every other record is kept;
// the memory stays bounded.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../src/core/types.js';
import { WebhookDuplicates } from '../../transforms/zendesk/webhook-duplicates.js';
import { mulberry32 } from '../support/random.js';
import { SCHEMAS_DIR } from '../support/schema-validator.js';
import { auditRecord, makeTransform, run } from './helpers.js';

type Json = Record<string, unknown>;
const EXAMPLES: Json[] = JSON.parse(readFileSync(join(SCHEMAS_DIR, '..', 'zendesk', 'webhooks', 'events.assembled.json'), 'utf8')) as Json[];
/** The documented example of the type, or (user.created has none) the user example with the type swapped. */
const example = (type: string): Json =>
  EXAMPLES.find((x) => x.type === `zen:event-type:${type}`) ?? { ...EXAMPLES.find((x) => x.type === 'zen:event-type:user.deleted')!, type: `zen:event-type:${type}` };

const BASE = Date.parse('2026-03-05T11:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

let uuid = 0;
function webhook(type: string, userId: string, atMs: number, event?: Json, account = 'acme'): SourceRecord {
  const e = example(type);
  const raw = { ...e, id: `00000000-0000-4000-8000-${String(++uuid).padStart(12, '0')}`, time: iso(atMs), subject: `zen:user:${userId}`, detail: { ...(e.detail as Json), id: userId }, event: event ?? e.event };
  return { account, stream: 'webhook', id: raw.id, time: atMs, raw };
}

function audit(userId: string, atMs: number, fields: Json, account = 'acme'): SourceRecord {
  return auditRecord({ source_type: 'user', source_id: Number(userId), created_at: iso(atMs), ...fields }, account);
}

const ROLE = { action: 'update', change_description: 'Role changed from Agent to Administrator' };

interface Scenario {
  webhooks: SourceRecord[];
  audits: SourceRecord[];
  /** Ids of the audit records that must be dropped. */
  twins: Set<string>;
}

/**
 * A seeded mix: per user one documented twin pair (role raised to admin, created, deleted) and,
 * as often, a near miss that must be kept (another user, another new role, too far apart in
 * time, another account, a product role line, a suspension whose twin is not certain).
 */
function scenario(seed: number, users: number): Scenario {
  const r = mulberry32(seed);
  const out: Scenario = { webhooks: [], audits: [], twins: new Set() };
  for (let u = 0; u < users; u++) {
    const id = String(20_000 + u);
    const t = BASE + u * 10_000; // 300 users within the default 1 h window
    const lag = Math.floor(r() * 3000); // the audit log's created_at: within the 5 s tolerance
    const kind = Math.floor(r() * 3);
    const twin =
      kind === 0
        ? [webhook('user.role_changed', id, t), audit(id, t + lag, ROLE)]
        : kind === 1
          ? [webhook('user.created', id, t), audit(id, t + lag, { action: 'create', change_description: 'Created' })]
          : [webhook('user.deleted', id, t), audit(id, t + lag, { action: 'destroy', change_description: 'Deleted' })];
    out.webhooks.push(twin[0]!);
    out.audits.push(twin[1]!);
    out.twins.add(twin[1]!.id);
    const other = String(30_000 + u);
    switch (Math.floor(r() * 7)) {
      case 0: // the same change for a user that had no webhook
        out.audits.push(audit(other, t, ROLE));
        break;
      case 1: // webhook says agent -> admin, audit log says a different new role
        out.webhooks.push(webhook('user.role_changed', other, t));
        out.audits.push(audit(other, t, { action: 'update', change_description: 'Role changed from Agent to Light Agent' }));
        break;
      case 2: // too far apart: two separate changes
        out.webhooks.push(webhook('user.deleted', other, t));
        out.audits.push(audit(other, t + 60_000, { action: 'destroy', change_description: 'Deleted' }));
        break;
      case 3: // same user id, other account
        out.webhooks.push(webhook('user.created', other, t, undefined, 'globex'));
        out.audits.push(audit(other, t, { action: 'create', change_description: 'Created' }));
        break;
      case 4: // the audit record also changes a product role: more than the webhook says
        out.webhooks.push(webhook('user.role_changed', other, t));
        out.audits.push(audit(other, t, { action: 'update', change_description: 'Role changed from Agent to Administrator\nGuide role changed from Viewer to Manager' }));
        break;
      case 5: // suspension: the audit record's source_id is not documented to be the user id
        out.webhooks.push(webhook('user.suspended_changed', other, t));
        out.audits.push(auditRecord({ source_type: 'user_setting', source_id: Number(other), source_label: 'Suspension state: Bob', change_description: 'Suspended', created_at: iso(t) }));
        break;
      default: // an unrelated sign-in
        out.audits.push(audit(other, t, { action: 'login', change_description: 'Successful sign-in using Zendesk from Oslo, Norway' }));
    }
  }
  return out;
}

/** Runs webhooks then audit records (the webhook arrives first) and returns the ids shipped. */
async function shipped(schema: 'ocsf' | 'ecs', s: Scenario, options: Json = { dropAuditDuplicates: true }): Promise<{ webhooks: string[]; audits: string[] }> {
  const t = makeTransform(schema, options);
  const webhooks: string[] = [];
  const audits: string[] = [];
  for (const w of s.webhooks) for (const e of await run(t, w)) webhooks.push(e.meta.id);
  for (const a of s.audits) for (const e of await run(t, a)) audits.push(e.meta.id);
  return { webhooks, audits };
}

describe('dropAuditDuplicates', () => {
  it.each(['ocsf', 'ecs'] as const)('%s: drops exactly the audit-log twins of webhooks, keeps every webhook and every other record', async (schema) => {
    const s = scenario(7, 300);
    const out = await shipped(schema, s);
    expect(out.webhooks).toHaveLength(s.webhooks.length);
    const expected = s.audits.filter((a) => !s.twins.has(a.id)).map((a) => `acme:audit_log:${a.id}`);
    expect(out.audits).toEqual(expected);
    expect(s.audits.length - s.twins.size).toBe(300); // one near miss per user, each kept
    expect(s.twins.size).toBe(300);
  });

  it('is off by default: both copies are shipped', async () => {
    const s = scenario(8, 50);
    const out = await shipped('ocsf', s, {});
    expect(out.audits).toHaveLength(s.audits.length);
  });

  it('one webhook drops at most one audit record; an audit record that came first is kept', async () => {
    const t = makeTransform('ocsf', { dropAuditDuplicates: true });
    const early = audit('4242', BASE, ROLE);
    expect(await run(t, early)).toHaveLength(1); // nothing seen yet: kept (a duplicate, never a loss)
    await run(t, webhook('user.role_changed', '4242', BASE));
    expect(await run(t, audit('4242', BASE + 1000, ROLE))).toHaveLength(0);
    expect(await run(t, audit('4242', BASE + 1000, ROLE))).toHaveLength(1);
  });

  it('"admin" in the webhook and "Administrator" in the audit log are one role; a custom-role webhook drops nothing', async () => {
    const t = makeTransform('ocsf', { dropAuditDuplicates: true });
    await run(t, webhook('user.role_changed', '77', BASE, { previous: 'agent', current: 'end-user' }));
    expect(await run(t, audit('77', BASE, { action: 'update', change_description: 'Role changed from Agent to End User' }))).toHaveLength(0);
    await run(t, webhook('user.custom_role_changed', '78', BASE));
    expect(await run(t, audit('78', BASE, { action: 'update', change_description: 'Role changed from Staff to Team lead' }))).toHaveLength(1);
  });

  it('a webhook that fails to map does not hide its audit-log twin', async () => {
    const t = makeTransform('ocsf', { dropAuditDuplicates: true });
    const broken = webhook('user.deleted', '99', BASE);
    (broken.raw as Json).time = 'not a time';
    await expect(run(t, broken)).rejects.toThrow(/time/);
    expect(await run(t, audit('99', BASE, { action: 'destroy', change_description: 'Deleted' }))).toHaveLength(1);
  });

  it('refuses bad option values with the option named', () => {
    expect(() => makeTransform('ocsf', { dropAuditDuplicates: true, duplicateTolerance: '1h' })).toThrow(/at most 5m/);
    expect(() => makeTransform('ocsf', { duplicateWindow: 'soon' })).toThrow(/expected a duration/);
    expect(() => makeTransform('ecs', { duplicateMaxSightings: 0 })).toThrow();
  });
});

describe('webhook sighting memory', () => {
  it('keeps at most maxSightings, forgetting the oldest first', () => {
    const m = new WebhookDuplicates({ windowMs: 86_400_000, toleranceMs: 5000, maxSightings: 100 });
    for (let i = 0; i < 10_000; i++) m.rememberWebhook(`k${i}`, BASE + i);
    expect(m.sightings).toBe(100);
    expect(m.takeAuditDuplicate('k0', BASE)).toBe(false); // forgotten
    expect(m.takeAuditDuplicate('k9999', BASE + 9999)).toBe(true); // kept
    expect(m.sightings).toBe(99);
  });

  it('forgets sightings older than the window (event time) behind the newest webhook', () => {
    const m = new WebhookDuplicates({ windowMs: 3_600_000, toleranceMs: 5000, maxSightings: 1000 });
    m.rememberWebhook('old', BASE);
    m.rememberWebhook('new', BASE + 3_600_000 + 1);
    expect(m.sightings).toBe(1);
    expect(m.takeAuditDuplicate('old', BASE)).toBe(false);
    expect(m.takeAuditDuplicate('new', BASE + 3_600_000)).toBe(true);
  });
});
