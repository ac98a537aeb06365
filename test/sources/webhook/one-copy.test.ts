// One copy through a real pipeline: a zendesk_webhook source and a zendesk_audit_logs source
// (polling the simulator) feed one `ocsf` transform with dropAuditDuplicates. Signed webhooks
// arrive first; the audit log then reports the same changes plus near misses. Exactly the
// audit-log twins are missing at the sink; every webhook and every other record arrives.

import { afterAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../../src/simulator/index.js';
import type { AuditLogRecord } from '../../../src/simulator/types.js';
import { eventually } from '../../support/eventually.js';
import { probe } from '../../support/probe.js';
import { simAccount, startOf } from '../../support/zendesk-run.js';
import { closeAgents, envelope, post, SECRET, startWebhookRun } from './harness.js';

afterAll(closeAgents);

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function hook(id: string, type: string, userId: string, atMs: number, event: Record<string, unknown> = { previous: 'agent', current: 'admin' }): Record<string, unknown> {
  const e = envelope(id, `zen:event-type:${type}`, iso(atMs));
  return { ...e, subject: `zen:user:${userId}`, detail: { ...(e.detail as Record<string, unknown>), id: userId }, event };
}

describe('dropAuditDuplicates in a pipeline with both streams', () => {
  it('drops exactly the audit-log twins of the webhooks and nothing else', async () => {
    const sim: Simulator = await startSimulator({ seed: 11, limits: { enabled: false }, data: { auditLogs: 40, accessLogs: 1, ticketEvents: 1 } });
    const pr = probe('one-copy');
    try {
      const run = await startWebhookRun({}, [{ id: 'out', type: 'probe', probe: 'one-copy', inputs: ['ocsf'] }], {
        zendesk: { accounts: [simAccount(sim.url, 'acme')] },
        sources: [
          { id: 'hooks', type: 'zendesk_webhook', listen: '127.0.0.1:0', endpoints: [{ path: '/zendesk/acme', secret: SECRET, account: 'acme' }] },
          { id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: startOf(sim), initialWindow: '30d', settle: '1s', pollInterval: '1s' },
        ],
        transforms: [{ id: 'ocsf', type: 'ocsf', inputs: ['hooks', 'audit'], dropAuditDuplicates: true }],
      });
      // The changes happen a few seconds ahead, so the poller (1 s behind now) has not passed them when the audit log gets them.
      const t = Date.now() + 4000;
      const hooks = [
        hook('a0000000-0000-4000-8000-000000000001', 'user.role_changed', '501', t),
        hook('a0000000-0000-4000-8000-000000000002', 'user.created', '502', t, {}),
        hook('a0000000-0000-4000-8000-000000000003', 'user.deleted', '503', t, {}),
        hook('a0000000-0000-4000-8000-000000000004', 'user.role_changed', '504', t), // its audit record says another role
        hook('a0000000-0000-4000-8000-000000000005', 'user.suspended_changed', '505', t, { previous: false, current: true }), // no certain twin
      ];
      for (const h of hooks) expect((await post(run.url, h)).status).toBe(200);
      await eventually(() => pr.accepted.filter((e) => e.meta.stream === 'webhook').length === hooks.length, 'the webhooks at the sink', 15_000);

      const add = (r: Partial<AuditLogRecord>, atMs = t) => sim.append('audit_logs', [{ source_type: 'user', ...r }], { at: atMs })[0]!;
      const twins = [
        add({ source_id: 501, action: 'update', change_description: 'Role changed from Agent to Administrator' }, t + 1000),
        add({ source_id: 502, action: 'create', change_description: 'Created' }),
        add({ source_id: 503, action: 'destroy', change_description: 'Deleted' }, t + 2000),
      ];
      const kept = [
        add({ source_id: 504, action: 'update', change_description: 'Role changed from Agent to Light Agent' }),
        add({ source_type: 'user_setting', source_id: 505, action: 'create', change_description: 'Suspended', source_label: 'Suspension state: Bob' }),
        add({ source_id: 506, action: 'destroy', change_description: 'Deleted' }), // no webhook for this user
        add({ source_id: 501, action: 'update', change_description: 'Role changed from Agent to Administrator' }, t + 2500), // second copy: the sighting is used up
      ];
      const last = add({ source_id: 507, action: 'login', change_description: 'Signed in' }, t + 3000);
      const auditIds = () => pr.accepted.filter((e) => e.meta.stream === 'audit_log').map((e) => e.meta.id.split(':').pop()!);
      await eventually(() => auditIds().includes(String(last.id)), 'the last audit record at the sink', 20_000);
      await run.pipeline.stop();

      const got = new Set(auditIds());
      for (const r of twins) expect(got.has(String(r.id)), `twin ${r.id} dropped`).toBe(false);
      for (const r of kept) expect(got.has(String(r.id)), `near miss ${r.id} kept`).toBe(true);
      // The simulator's own generated records all arrived: nothing but the twins is missing.
      const all = sim.records('audit_logs').map((r) => String(r.id));
      expect([...got].sort()).toEqual(all.filter((id) => !twins.some((r) => String(r.id) === id)).sort());
      expect(pr.accepted.filter((e) => e.meta.stream === 'webhook')).toHaveLength(hooks.length);
    } finally {
      await sim.close();
    }
  }, 60_000);
});
