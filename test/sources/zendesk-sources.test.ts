// The three Zendesk sources against the simulator: completeness across page boundaries that
// fall inside one second, restart without gaps, late arrivals, 429/Retry-After, the
// access-log 429, 5xx bursts, malformed pages, 401, and separate budgets per account.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startPipeline } from '../../src/app/start.js';
import { DEMO_CREDENTIALS, DEMO_OAUTH_TOKEN, startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { captureLogs, probe, readDeadLetters, tempDir } from '../support/probe.js';
import { expectExactlyOnce, runZendesk, simAccount, startOf, streamIds, type ZendeskRun } from '../support/zendesk-run.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function sim(opts: SimulatorOptions = {}): Promise<Simulator> {
  const s = await startSimulator({ seed: 7, limits: { enabled: false }, ...opts });
  open.push(s);
  return s;
}

const account = (s: Simulator, name = 'acme', extra: Record<string, unknown> = {}) => simAccount(s.url, name, extra);
const ids = streamIds;

/** Sources into a probe sink, with the API up (some tests read /readyz). */
const run = (o: Omit<ZendeskRun, 'api'>) => runZendesk({ ...o, api: { listen: '127.0.0.1:0' } });

describe('Zendesk sources against the simulator', () => {
  it('read every record of all three streams exactly once, across page boundaries inside one second', async () => {
    const s = await sim({ data: { auditLogs: 1500, accessLogs: 6000, ticketEvents: 3000 } });
    const { p, pr } = await run({
      probeName: 'all3',
      accounts: [account(s)],
      sources: [
        { id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: startOf(s), initialWindow: '6h' },
        { id: 'tickets', type: 'zendesk_ticket_audits', account: 'acme', startTime: startOf(s) },
        { id: 'access', type: 'zendesk_access_logs', account: 'acme', startTime: startOf(s), pageSize: 500 },
      ],
    });
    expect(await p.done).toEqual({ ok: true, failures: [] });
    expectExactlyOnce(ids(pr, 'audit_log'), s.records('audit_logs').map((r) => r.id));
    expectExactlyOnce(ids(pr, 'access_log'), s.records('access_logs').map((r) => r.id));
    expectExactlyOnce(ids(pr, 'ticket_audit'), s.records('ticket_events').map((r) => r.id));
    // The data really did put page boundaries inside shared seconds.
    const secs = s.records('audit_logs').map((r) => r.created_at);
    expect(secs.length - new Set(secs).size).toBeGreaterThan(100);
    // Event time comes from upstream, not the wall clock.
    const first = pr.accepted.find((e) => e.meta.stream === 'audit_log')!;
    expect(first.meta.time).toBe(Date.parse(String(first.body.created_at)));
  });

  it('restarts from its checkpoint with no gap and no repeats, and catches late arrivals within the lookback', async () => {
    const s = await sim({ data: { auditLogs: 2000, accessLogs: 10, ticketEvents: 10 } });
    const dataDir = tempDir('zsf-restart-');
    const sources = [{ id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: startOf(s), initialWindow: '2h', maxWindow: '2h' }];
    // First run stops part-way (follow mode, stopped once some records are through).
    const first = await run({ probeName: 'restart', accounts: [account(s)], sources, dataDir, once: false });
    while (first.pr.accepted.length < 500) await new Promise((r) => setImmediate(r));
    await first.p.stop();
    const firstIds = ids(first.pr, 'audit_log');
    expect(firstIds.length).toBeLessThan(2000);
    const cp = JSON.parse(readFileSync(join(dataDir, 'checkpoints', 'audit.json'), 'utf8'));
    expect(cp.state.done).toBeGreaterThan(0);

    const second = await run({ probeName: 'restart', accounts: [account(s)], sources, dataDir });
    expect((await second.p.done).ok).toBe(true);
    const secondIds = ids(second.pr, 'audit_log');
    // Both runs together: every record, and repeats only from the batches in flight at the stop.
    const union = new Set([...firstIds, ...secondIds]);
    expect(s.records('audit_logs').map((r) => String(r.id)).filter((id) => !union.has(id))).toEqual([]);
    expect(firstIds.length + secondIds.length - union.size).toBeLessThanOrEqual(500); // one sink batch

    // A record dated two minutes ago appears only now (Zendesk's late write): the lookback
    // finds it, and nothing already delivered is sent again.
    const [late] = s.append('audit_logs', 1, { timeOffset: -120 });
    // The next poll happens later: give the run a clock 5 s ahead so its window is new.
    const third = await run({ probeName: 'restart', accounts: [account(s)], sources, dataDir, now: () => Date.now() + 5000 });
    expect((await third.p.done).ok).toBe(true);
    expect(ids(third.pr, 'audit_log')).toEqual([String(late!.id)]);
  });

  it('honours 429 Retry-After (no request before the wait) and the access-log 429 without Retry-After', async () => {
    const s = await sim({
      data: { auditLogs: 300, accessLogs: 300, ticketEvents: 10 },
      faults: [
        { endpoint: 'audit_logs', kind: '429', onRequest: 2, count: 2, retryAfter: 1 },
        { endpoint: 'access_logs', kind: '429', onRequest: 1, count: 1, retryAfter: 1 },
      ],
    });
    const { p, pr } = await run({
      probeName: 'r429',
      accounts: [account(s)],
      sources: [
        { id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: startOf(s), initialWindow: '30d' },
        { id: 'access', type: 'zendesk_access_logs', account: 'acme', startTime: startOf(s), pageSize: 100, initialWindow: '30d' },
      ],
    });
    expect((await p.done).ok).toBe(true);
    expect(s.counters.tooManyRequests).toBe(3);
    expect(s.retryAfterViolations).toEqual([]);
    const access429 = s.requests.find((r) => r.endpoint === 'access_logs' && r.status === 429);
    expect(access429).toBeDefined();
    expectExactlyOnce(ids(pr, 'audit_log'), s.records('audit_logs').map((r) => r.id));
    expectExactlyOnce(ids(pr, 'access_log'), s.records('access_logs').map((r) => r.id));
    const codes = (await p.metrics.sourceRequests.get()).values.filter((v) => v.labels.code === '429');
    expect(codes.reduce((a, v) => a + v.value, 0)).toBe(3);
  });

  it('rides out a burst of 5xx and a transiently malformed page without losing or repeating records', async () => {
    const s = await sim({
      data: { auditLogs: 400, accessLogs: 10, ticketEvents: 1200 },
      faults: [
        { endpoint: 'ticket_events', kind: '5xx', status: 503, onRequest: 1, count: 2, retryAfter: 0 },
        { endpoint: 'audit_logs', kind: 'malformed', onRequest: 2, count: 1 },
      ],
    });
    const { p, pr, dataDir } = await run({
      probeName: 'faults',
      accounts: [account(s)],
      sources: [
        { id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: startOf(s), initialWindow: '30d' },
        { id: 'tickets', type: 'zendesk_ticket_audits', account: 'acme', startTime: startOf(s) },
      ],
    });
    expect((await p.done).ok).toBe(true);
    expect(s.counters.statuses['503']).toBe(2);
    expectExactlyOnce(ids(pr, 'audit_log'), s.records('audit_logs').map((r) => r.id));
    expectExactlyOnce(ids(pr, 'ticket_audit'), s.records('ticket_events').map((r) => r.id));
    expect(readDeadLetters(dataDir)).toEqual([]);
  });

  it('gives up on a page slower than requestTimeout and fetches it again', async () => {
    const s = await sim({ data: { auditLogs: 150, accessLogs: 10, ticketEvents: 10 }, faults: [{ endpoint: 'audit_logs', kind: 'slow', delayMs: 5000, onRequest: 1, count: 1 }] });
    const { p, pr } = await run({
      probeName: 'slow',
      accounts: [account(s)],
      sources: [{ id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: startOf(s), initialWindow: '30d', requestTimeout: '1s' }],
    });
    expect((await p.done).ok).toBe(true);
    expectExactlyOnce(ids(pr, 'audit_log'), s.records('audit_logs').map((r) => r.id));
    expect((await p.metrics.sourceRequests.get()).values.find((v) => v.labels.code === 'error')?.value).toBe(1);
  });

  it('dead-letters a page that stays malformed, fails the run and commits nothing past it; a rerun completes', async () => {
    const s = await sim({ data: { auditLogs: 250, accessLogs: 10, ticketEvents: 10 }, faults: [{ endpoint: 'audit_logs', kind: 'malformed', onRequest: 2, count: 3 }] });
    const dataDir = tempDir('zsf-malformed-');
    const sources = [{ id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: startOf(s), initialWindow: '30d' }];
    const first = await run({ probeName: 'malformed', accounts: [account(s)], sources, dataDir });
    const r = await first.p.done;
    expect(r.ok).toBe(false);
    expect(r.failures[0]).toMatchObject({ component: 'audit', reason: expect.stringContaining('malformed page') });
    const dead = readDeadLetters(dataDir);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ component: 'audit', reason: 'malformed_page', kind: 'page', context: { url: expect.stringContaining('/api/v2/audit_logs') } });
    const cp = existsSync(join(dataDir, 'checkpoints', 'audit.json')) ? JSON.parse(readFileSync(join(dataDir, 'checkpoints', 'audit.json'), 'utf8')) : undefined;
    // Whatever was committed, the window with the broken page is still open.
    if (cp) expect(cp.state.current).toBeDefined();
    s.clearFaults();
    const firstIds = ids(first.pr, 'audit_log');
    const second = await run({ probeName: 'malformed', accounts: [account(s)], sources, dataDir });
    expect((await second.p.done).ok).toBe(true);
    // Pages before the broken one were delivered and remembered; the rerun sends only the rest.
    expectExactlyOnce([...firstIds, ...ids(second.pr, 'audit_log')], s.records('audit_logs').map((r) => r.id));
  });

  it('on 401 reports unready with Zendesk’s error text, waits (no hammering) and leaves the checkpoint unchanged', async () => {
    const s = await sim({ data: { auditLogs: 100, accessLogs: 10, ticketEvents: 10 } });
    const dataDir = tempDir('zsf-401-');
    const { p, pr } = await run({
      probeName: 'auth401',
      dataDir,
      once: false,
      accounts: [{ ...account(s), auth: { type: 'token', email: DEMO_CREDENTIALS.email, token: 'wrong-token-123' } }],
      sources: [{ id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: startOf(s) }],
    });
    // Following: the source backs off and retries later (test/sources/client-auth.test.ts), it does not fail for good.
    while (p.components.get('audit')?.state !== 'unhealthy') await new Promise((r) => setImmediate(r));
    const ready = await fetch(`${p.apiUrl}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { components: Record<string, { reason: string }> };
    expect(body.components.audit!.reason).toMatch(/HTTP 401: .+/);
    expect(body.components.audit!.reason).not.toContain('wrong-token-123');
    await p.stop();
    expect(pr.accepted).toHaveLength(0);
    expect(existsSync(join(dataDir, 'checkpoints', 'audit.json'))).toBe(false);
    expect(s.requests.filter((r) => r.status === 401)).toHaveLength(1); // no hammering with bad credentials
  });

  it('end to end with OCSF: a record the mapper cannot map is dead-lettered with its reason; the rest flows', async () => {
    const s = await sim({ data: { auditLogs: 200, accessLogs: 10, ticketEvents: 10 } });
    const [bad] = s.append('audit_logs', [{ action: null } as unknown as Record<string, unknown>], { timeOffset: -3600 });
    const dataDir = tempDir('zsf-e2e-');
    const pr = probe('e2e');
    const p = await startPipeline(
      {
        dataDir,
        api: { enabled: false },
        zendesk: { accounts: [account(s)] },
        sources: [{ id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: startOf(s), initialWindow: '30d' }],
        transforms: [{ id: 'ocsf', type: 'ocsf', inputs: ['audit'] }],
        sinks: [{ id: 'out', type: 'probe', probe: 'e2e', inputs: ['ocsf'] }],
      },
      { once: true, logDestination: captureLogs().stream },
    );
    expect((await p.done).ok).toBe(true);
    const dead = readDeadLetters(dataDir);
    expect(dead).toEqual([expect.objectContaining({ component: 'ocsf', reason: 'transform_failed', detail: expect.stringContaining('"action"'), kind: 'event' })]);
    expect((dead[0]!.payload as { body: { id: number } }).body.id).toBe(bad!.id);
    expect(pr.accepted).toHaveLength(s.records('audit_logs').length - 1);
    expect(pr.accepted.every((e) => e.meta.schema === 'ocsf' && typeof e.body.class_uid === 'number')).toBe(true);
  });

  it('authenticates with an OAuth bearer token', async () => {
    const s = await sim({ data: { auditLogs: 120, accessLogs: 10, ticketEvents: 10 } });
    const { p, pr } = await run({
      probeName: 'oauth',
      accounts: [{ ...account(s), auth: { type: 'oauth', accessToken: DEMO_OAUTH_TOKEN } }],
      sources: [{ id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: startOf(s), initialWindow: '30d' }],
    });
    expect((await p.done).ok).toBe(true);
    expectExactlyOnce(ids(pr, 'audit_log'), s.records('audit_logs').map((r) => r.id));
    expect(s.requests.every((r) => r.status === 200)).toBe(true);
  });

  it('keeps a separate request budget per account', async () => {
    {
      const windowMs = 1000;
      const a = await sim({ data: { auditLogs: 2000, accessLogs: 10, ticketEvents: 10 }, limits: { enabled: true, windowMs, accountPerMinute: 8 } });
      const b = await sim({ seed: 8, data: { auditLogs: 2000, accessLogs: 10, ticketEvents: 10 }, limits: { enabled: true, windowMs, accountPerMinute: 20 } });
      const { p, pr } = await run({
        probeName: 'budgets',
        accounts: [account(a, 'a', { requestsPerMinute: 8, rateWindow: windowMs }), account(b, 'b', { requestsPerMinute: 20, rateWindow: windowMs })],
        sources: [
          { id: 'audit_a', type: 'zendesk_audit_logs', account: 'a', startTime: startOf(a), initialWindow: '30d' },
          { id: 'audit_b', type: 'zendesk_audit_logs', account: 'b', startTime: startOf(b), initialWindow: '30d' },
        ],
      });
      expect((await p.done).ok).toBe(true);
      expect(a.counters.tooManyRequests).toBe(0);
      expect(b.counters.tooManyRequests).toBe(0);
      const maxInAnyWindow = (sm: Simulator) => {
        const times = sm.requests.map((r) => r.time).sort((x, y) => x - y);
        let max = 0;
        for (let i = 0, j = 0; i < times.length; i++) {
          while (times[i]! - times[j]! >= windowMs) j++;
          max = Math.max(max, i - j + 1);
        }
        return max;
      };
      expect(maxInAnyWindow(a)).toBeLessThanOrEqual(8);
      expect(maxInAnyWindow(b)).toBeLessThanOrEqual(20);
      expect(maxInAnyWindow(b)).toBeGreaterThan(8); // b was not held to a's budget
      expect(ids(pr, 'audit_log')).toHaveLength(4000);
    }
  });
});
