// Enrichment: one test per change_description pattern (positive and negative), one per risk
// rule (positive and negative), the IP memory, and how the verdict shows in OCSF and ECS.

import { describe, expect, it } from 'vitest';
import { IpMemory } from '../../transforms/enrich/ip-memory.js';
import { CHANGE_PATTERNS, parseChange, toggleOf, type ChangeInput } from '../../transforms/enrich/patterns.js';
import { RISK_RULES } from '../../transforms/enrich/rules.js';
import { validateEcs, validateOcsf } from '../support/schema-validator.js';
import { accessRecord, auditRecord, makeTransform, one, run } from './helpers.js';

type Json = Record<string, unknown>;

const input = (changeDescription: string, rest: Partial<ChangeInput> = {}): ChangeInput => ({ changeDescription, sourceType: 'user', sourceLabel: 'Jane', action: 'update', ...rest });

describe('change_description patterns', () => {
  const cases: Record<string, { positive: [ChangeInput, Json][]; negative: ChangeInput[] }> = {
    sign_in: {
      positive: [
        [input('Successful sign-in using Zendesk from San Francisco, CA, United States', { action: 'login' }), { field: 'sign_in', after: 'success', details: { method: 'Zendesk', location: 'San Francisco, CA, United States' } }],
        [input('Failed sign-in using Google from 203.0.113.7', { action: 'login' }), { after: 'failure', details: { method: 'Google', location: '203.0.113.7' } }],
        [input('Signed in', { action: 'login' }), { after: 'success' }],
      ],
      negative: [input('Signed out'), input('Sign-in page changed')],
    },
    role_change: {
      positive: [
        [input('Role changed from Agent to Administrator'), { field: 'role', before: 'Agent', after: 'Administrator' }],
        [input('Guide role changed from Viewer to Manager'), { field: 'Guide role', before: 'Viewer', after: 'Manager' }],
      ],
      negative: [input('Organization: AAAA is assigned'), input('Role description edited')],
    },
    owner_change: {
      positive: [[input('Owner changed from Bob Cat to Mountain Lion', { sourceType: 'account' }), { field: 'owner', before: 'Bob Cat', after: 'Mountain Lion' }]],
      negative: [input('Owner notified', { sourceType: 'account' })],
    },
    suspension: {
      positive: [
        [input('Suspended', { sourceType: 'user_setting', sourceLabel: 'Suspension state: Bob' }), { field: 'suspended', before: false, after: true }],
        [input('Unsuspended', { sourceType: 'user_setting', sourceLabel: 'Suspension state: Bob' }), { field: 'suspended', before: true, after: false }],
      ],
      negative: [input('Suspended ticket recovered', { sourceType: 'ticket', sourceLabel: 'Ticket 1' })],
    },
    password: {
      positive: [
        [input('Password changed'), { field: 'password', after: 'changed' }],
        [input('Password reset'), { field: 'password', after: 'reset' }],
      ],
      negative: [input('Changed', { sourceType: 'account_setting', sourceLabel: 'Password policy' }), input('Password security level changed from High to Medium', { sourceType: 'account_setting', sourceLabel: 'Password security level' })],
    },
    two_factor: {
      positive: [
        [input('Disabled', { sourceType: 'account_setting', sourceLabel: 'Two-Factor authentication for all admins and agents' }), { field: 'two_factor', before: true, after: false }],
        [input('Two-factor authentication enabled'), { field: 'two_factor', before: false, after: true }],
        [input('Changed', { sourceType: 'account_setting', sourceLabel: 'Require Two Factor' }), { field: 'two_factor', after: 'Changed' }],
        [input('Two-factor authentication changed from Required to Optional', { sourceType: 'account_setting', sourceLabel: 'Two-factor authentication' }), { field: 'two_factor', before: true, after: false }],
      ],
      negative: [input('Name changed from 2FA Bot to Jane')],
    },
    sso: {
      positive: [
        [input('Disabled', { sourceType: 'account_setting', sourceLabel: 'Single sign-on (SSO): SAML' }), { field: 'sso', after: false }],
        [input('JWT single sign-on turned on', { sourceType: 'account_setting', sourceLabel: 'Security' }), { field: 'sso', after: true }],
        [input('Single sign-on (SSO) for team members changed from SAML to Zendesk authentication', { sourceType: 'account_setting', sourceLabel: 'Single sign-on (SSO) for team members' }), { field: 'sso', before: true, after: false }],
        [input('Agent sign-in with Google changed from Off to On', { sourceType: 'account_setting', sourceLabel: 'Agent sign-in with Google' }), { field: 'sso', before: false, after: true }],
      ],
      negative: [input('Name changed from SAML Bot to Jane')],
    },
    redaction: {
      positive: [
        [input('Disabled', { sourceType: 'account_setting', sourceLabel: 'Credit Card Redaction', action: 'create' }), { field: 'redaction', after: false }],
        [input('', { sourceType: 'account_setting', sourceLabel: 'Credit Card Redaction', action: 'destroy' }), { field: 'redaction', before: true, after: false }],
      ],
      negative: [input('Enabled', { sourceType: 'account_setting', sourceLabel: 'Mobile App Access' })],
    },
    user_assumption: {
      positive: [
        [input('Changed', { sourceType: 'account_setting', sourceLabel: 'Account Assumption' }), { field: 'user_assumption', after: 'Changed' }],
        [input('Enabled', { sourceType: 'account_setting', sourceLabel: 'Assumption duration' }), { field: 'user_assumption', after: true }],
      ],
      negative: [input('Changed', { sourceType: 'account_setting', sourceLabel: 'Brand color' })],
    },
    field_change: {
      positive: [
        [input('description changed from not set to SIEM forwarder', { sourceType: 'apitoken' }), { field: 'description', before: 'not set', after: 'SIEM forwarder' }],
        [input('Active changed from true to false', { sourceType: 'rule' }), { field: 'Active', before: true, after: false }],
      ],
      negative: [input('Created trigger', { sourceType: 'rule' })],
    },
    toggle: {
      positive: [[input('Enabled', { sourceType: 'account_setting', sourceLabel: 'Zendesk Support Mobile App Access' }), { field: 'Zendesk Support Mobile App Access', before: false, after: true }]],
      negative: [input('Enabled for everyone but Bob', { sourceType: 'account_setting', sourceLabel: 'Brand color' })],
    },
  };

  it('has a test case for every table entry', () => {
    expect(Object.keys(cases).sort()).toEqual(CHANGE_PATTERNS.map((p) => p.id).sort());
  });

  for (const p of CHANGE_PATTERNS) {
    describe(p.id, () => {
      it('parses its documented example', () => {
        expect(parseChange(p.example)[0]?.pattern).toBe(p.id);
      });
      it.each(cases[p.id]!.positive)('parses %j', (i, expected) => {
        const r = parseChange(i);
        expect(r[0]?.pattern).toBe(p.id);
        expect(r[0]).toMatchObject(expected);
      });
      it.each(cases[p.id]!.negative.map((x) => [x] as const))('does not match %j', (i) => {
        expect(p.parse(i)).toBeUndefined();
      });
    });
  }

  it('toggleOf reads on/off words and "changed from X to Y"', () => {
    expect(toggleOf('changed from on to off')).toEqual({ before: true, after: false });
    expect(toggleOf('Turned off')).toEqual({ before: true, after: false });
    expect(toggleOf('blue')).toBeUndefined();
  });
});

// ------------------------------------------------------------------------------ risk rules

const transform = () => makeTransform('ocsf');
const labelsOf = (b: Json) => ((b.metadata as Json).labels as string[] | undefined) ?? [];

interface RuleCase {
  positive: Json[];
  negative: Json[];
  access?: boolean;
}

const signIn = (ip: string, outcome = 'Successful', user = 1234) => ({ action: 'login', source_type: 'user', source_id: user, actor_id: user, ip_address: ip, change_description: `${outcome} sign-in using Zendesk from Oslo, Norway` });

const ruleCases: Record<string, RuleCase> = {
  role_elevated_admin: {
    positive: [{ change_description: 'Role changed from Agent to Administrator' }, { change_description: 'Role changed from End User to Account Owner' }],
    negative: [{ change_description: 'Role changed from Administrator to Agent' }, { change_description: 'Role changed from Admin to Account Owner' }, { change_description: 'Role changed from End User to Agent' }],
  },
  account_owner_changed: {
    positive: [{ source_type: 'account', change_description: 'Owner changed from Bob Cat to Mountain Lion' }],
    negative: [{ source_type: 'account', change_description: 'Name changed from Acme to Acme Inc' }],
  },
  api_token_created: {
    positive: [{ source_type: 'apitoken', action: 'create' }, { source_type: 'api_token', action: 'create', change_description: '' }],
    negative: [{ source_type: 'api_token', action: 'update', change_description: 'description changed from not set to a new description' }, { source_type: 'apitoken', action: 'destroy' }],
  },
  user_assumption: {
    positive: [{ source_type: 'account_setting', source_label: 'Account Assumption', change_description: 'Changed' }],
    negative: [{ source_type: 'account_setting', source_label: 'Credit Card Redaction', action: 'create', change_description: 'Enabled' }],
  },
  mfa_sso_disabled: {
    positive: [
      { source_type: 'account_setting', source_label: 'Two-Factor authentication for all admins and agents', change_description: 'Disabled' },
      { source_type: 'account_setting', source_label: 'Single sign-on (SSO): SAML', change_description: 'Disabled' },
      { source_type: 'account_setting', source_label: 'Two-factor authentication', change_description: 'Two-factor authentication changed from Required to Optional' },
      { source_type: 'account_setting', source_label: 'Single sign-on (SSO) for team members', change_description: 'Single sign-on (SSO) for team members changed from SAML to Zendesk authentication' },
    ],
    negative: [{ source_type: 'account_setting', source_label: 'Require Two Factor', change_description: 'Enabled' }],
  },
  security_settings_changed: {
    positive: [
      { source_type: 'account_setting', source_label: 'Require Two Factor', change_description: 'Enabled' },
      { source_type: 'account_setting', source_label: 'IP Restriction', change_description: 'Changed' },
      { source_type: 'security_settings', source_label: 'Password policy', change_description: 'Value changed from Low to High' },
      { source_type: 'account_setting', source_label: 'Access log API', change_description: 'Access log API changed from On to Off' },
      { source_type: 'account_setting', source_label: 'Allowed IP ranges', change_description: 'Allowed IP ranges changed from "" to "192.0.2.0/24"' },
    ],
    negative: [{ source_type: 'account_setting', source_label: 'Brand color', change_description: 'Changed' }, { source_type: 'rule', source_label: 'Password reset macro', change_description: 'Changed' }],
  },
  redaction_disabled: {
    positive: [{ source_type: 'account_setting', source_label: 'Credit Card Redaction', action: 'create', change_description: 'Disabled' }],
    negative: [{ source_type: 'account_setting', source_label: 'Credit Card Redaction', action: 'create', change_description: 'Enabled' }],
  },
  data_export: {
    positive: [{ action: 'exported', source_type: 'audit_log', change_description: 'Exported audit log' }],
    negative: [{ action: 'update', source_type: 'audit_log', change_description: 'Exported audit log' }],
  },
  failed_sign_in: {
    positive: [signIn('203.0.113.1', 'Failed')],
    negative: [signIn('203.0.113.1', 'Successful')],
  },
  new_ip_sign_in: { positive: [], negative: [] }, // stateful: see its own tests below
  user_suspension_changed: {
    positive: [{ source_type: 'user_setting', source_label: 'Suspension state: Bob', change_description: 'Suspended' }],
    negative: [{ source_type: 'user', change_description: 'Name changed from Bob to Rob' }],
  },
  user_deleted: {
    positive: [{ source_type: 'user', action: 'destroy', change_description: 'Deleted' }],
    negative: [{ source_type: 'user', action: 'create', change_description: 'Created' }, { source_type: 'group', action: 'destroy', change_description: 'Deleted' }],
  },
  user_identity_changed: {
    positive: [
      { source_type: 'user', change_description: 'Password changed' },
      { source_type: 'user', change_description: 'Password reset' },
      { source_type: 'user', change_description: 'Email changed from a@example.com to b@example.com' },
    ],
    negative: [
      { source_type: 'user', change_description: 'Name changed from Bob to Rob' },
      { source_type: 'security_settings', source_label: 'Password policy', change_description: 'Value changed from Low to High' },
      { source_type: 'group', change_description: 'Email changed from a@example.com to b@example.com' },
    ],
  },
  access_denied: {
    access: true,
    positive: [{ status: 401 }, { status: 403 }],
    negative: [{ status: 404 }, { status: 200 }],
  },
};

describe('risk rules', () => {
  // mass_ticket_deletion counts deleted-ticket events over time: test/transforms/deleted-ticket.test.ts.
  const auditAndAccessRules = RISK_RULES.filter((r) => r.id !== 'mass_ticket_deletion');
  it('has a test case for every rule', () => {
    expect(Object.keys(ruleCases).sort()).toEqual(auditAndAccessRules.map((r) => r.id).sort());
  });

  for (const rule of auditAndAccessRules.filter((r) => r.id !== 'new_ip_sign_in')) {
    const c = ruleCases[rule.id]!;
    it.each(c.positive.map((x) => [x] as const))(`${rule.id}: flags %j`, async (raw) => {
      const rec = c.access ? accessRecord(raw) : auditRecord(raw);
      const out = await one(transform(), rec);
      expect(labelsOf(out.body)).toContain(`risk:${rule.id}`);
      expect(out.body.severity_id as number).toBeGreaterThanOrEqual(rule.severityId);
      expect(out.meta.severity).toBe(out.body.severity_id);
      expect(validateOcsf(out.body)).toEqual([]);
    });
    it.each(c.negative.map((x) => [x] as const))(`${rule.id}: does not flag %j`, async (raw) => {
      const rec = c.access ? accessRecord(raw) : auditRecord(raw);
      expect(labelsOf((await one(transform(), rec)).body)).not.toContain(`risk:${rule.id}`);
    });
  }

  describe('new_ip_sign_in', () => {
    it('flags a known user signing in from an IP not seen in the window', async () => {
      const t = transform();
      expect(labelsOf((await one(t, auditRecord(signIn('203.0.113.1')))).body)).toEqual([]); // first sighting: not flagged
      expect(labelsOf((await one(t, auditRecord(signIn('203.0.113.1')))).body)).toEqual([]); // known IP
      const flagged = await one(t, auditRecord(signIn('2001:db8::7')));
      expect(labelsOf(flagged.body)).toEqual(['risk:new_ip_sign_in']);
      expect(flagged.body.severity_id).toBe(3);
    });

    it('does not flag other users, failed sign-ins, or IPs seen within the window', async () => {
      const t = transform();
      await one(t, auditRecord(signIn('203.0.113.1', 'Successful', 1)));
      expect(labelsOf((await one(t, auditRecord(signIn('203.0.113.2', 'Successful', 2)))).body)).toEqual([]);
      expect(labelsOf((await one(t, auditRecord(signIn('203.0.113.9', 'Failed', 1)))).body)).toEqual(['risk:failed_sign_in']);
      expect(labelsOf((await one(t, auditRecord(signIn('203.0.113.1', 'Successful', 1)))).body)).toEqual([]);
    });

    it('keys the memory by account', async () => {
      const t = transform();
      await one(t, auditRecord(signIn('203.0.113.1'), 'acme'));
      expect(labelsOf((await one(t, auditRecord(signIn('203.0.113.5'), 'globex'))).body)).toEqual([]);
    });

    it('forgets IPs older than the window (event time) and users beyond the bound', () => {
      const m = new IpMemory({ windowMs: 1000, maxUsers: 2 });
      expect(m.observe('u', '1.1.1.1', 10_000)).toBe('first_sighting');
      expect(m.observe('u', '1.1.1.2', 10_500)).toBe('new_ip');
      expect(m.observe('u', '1.1.1.1', 10_900)).toBe('known_ip');
      expect(m.observe('u', '1.1.1.3', 20_000)).toBe('first_sighting'); // everything older than 1s is gone
      m.observe('v', '1.1.1.1', 20_000);
      m.observe('w', '1.1.1.1', 20_000);
      expect(m.size).toBe(2);
      expect(m.observe('u', '1.1.1.3', 20_001)).toBe('first_sighting'); // "u" was the least recently seen
    });
  });

  it('takes the highest severity and lists every matched rule', async () => {
    const rec = auditRecord({ source_type: 'account_setting', source_label: 'Two-Factor authentication for all admins and agents', change_description: 'Disabled' });
    const o = (await one(transform(), rec)).body;
    expect(labelsOf(o)).toEqual(['risk:mfa_sso_disabled', 'risk:security_settings_changed']);
    expect(o).toMatchObject({ severity_id: 4, severity: 'High' });
    const risk = (o.enrichments as Json[]).filter((x) => x.name === 'zendesk.risk');
    expect(risk.map((x) => x.value)).toEqual(['mfa_sso_disabled', 'security_settings_changed']);
    expect(risk[0]).toMatchObject({ type: 'risk_rule', data: { severity_id: 4, risk_score: 73, mitre_technique: 'T1556' } });
    const change = (o.enrichments as Json[]).find((x) => x.name === 'zendesk.change');
    expect(change).toMatchObject({ value: 'two_factor', data: { field: 'two_factor', before: true, after: false } });

    const e = (await one(makeTransform('ecs'), rec)).body;
    expect(validateEcs(e)).toEqual([]);
    expect(e.tags).toEqual(['risk:mfa_sso_disabled', 'risk:security_settings_changed']);
    expect(e.event).toMatchObject({ severity: 4, risk_score: 73 });
    expect(((e.zendesk as Json).risk as Json).rules).toHaveLength(2);
  });

  it('enrich: false turns the verdict off but keeps the mapping', async () => {
    const rec = auditRecord({ change_description: 'Role changed from Agent to Administrator' });
    const o = (await one(makeTransform('ocsf', { enrich: false }), rec)).body;
    expect(o).toMatchObject({ class_uid: 3005, activity_id: 1, severity_id: 1, privileges: ['Administrator'] });
    expect(labelsOf(o)).toEqual([]);
    expect(o.enrichments).toBeUndefined();
    const e = await run(makeTransform('ecs', { enrich: false }), rec);
    expect((e[0]!.body.event as Json).severity).toBeUndefined();
    expect(e[0]!.body.tags).toBeUndefined();
    expect(validateEcs(e[0]!.body)).toEqual([]);
  });
});
