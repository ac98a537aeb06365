// Auth failures and lag, through the whole pipeline against the simulator:
// - a rejected token makes the source unready, keeps its checkpoint and retries slowly; a
//   rotated secret file is read again and the source recovers without a restart;
// - --once still fails on a rejected token;
// - a quiet stream's lag stays near pollInterval + settle while its checkpoint time is old.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startPipeline, type Pipeline } from '../../src/app/start.js';
import { DEMO_CREDENTIALS, startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { eventually } from '../support/eventually.js';
import { captureLogs, probe, tempDir } from '../support/probe.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function sim(opts: SimulatorOptions = {}): Promise<Simulator> {
  const s = await startSimulator({ seed: 5, limits: { enabled: false }, ...opts });
  open.push(s);
  return s;
}

async function start(config: Record<string, unknown>, once: boolean, logs = captureLogs()): Promise<Pipeline> {
  const p = await startPipeline({ api: { listen: '127.0.0.1:0' }, log: { level: 'info' }, ...config }, { once, logDestination: logs.stream });
  open.push({ close: async () => void (await p.stop()) });
  return p;
}

describe('Zendesk auth failures', () => {
  it('401: unready, checkpoint kept, slow retries; a rotated secret file is read again and the source recovers without a restart', async () => {
    const s = await sim({ data: { auditLogs: 300, accessLogs: 10, ticketEvents: 10 } });
    const dir = tempDir('zsf-auth-');
    const secret = join(dir, 'zendesk-token');
    writeFileSync(secret, 'revoked-token-4711\n');
    const pr = probe('auth-rotate');
    const logs = captureLogs();
    const p = await start(
      {
        dataDir: dir,
        zendesk: { accounts: [{ name: 'acme', baseUrl: s.url, auth: { type: 'token', email: DEMO_CREDENTIALS.email, token: `\${file:${secret}}` }, authBackoff: '200ms', requestsPerMinute: 100_000 }] },
        sources: [{ id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: new Date(s.timeRange.start * 1000 - 60_000).toISOString(), initialWindow: '30d' }],
        sinks: [{ id: 'out', type: 'probe', probe: 'auth-rotate', inputs: ['audit'] }],
      },
      false,
      logs,
    );
    await eventually(() => p.components.get('audit')?.state === 'unhealthy', 'the source to report unhealthy');
    const ready = await fetch(`${p.apiUrl}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { components: Record<string, { state: string; reason: string }> };
    expect(body.components.audit).toMatchObject({ state: 'unhealthy', reason: expect.stringMatching(/HTTP 401/) });
    expect(JSON.stringify(body)).not.toContain('revoked-token-4711');
    // It keeps trying, slowly: the backoff starts at authBackoff and doubles.
    await eventually(() => s.requests.filter((r) => r.status === 401).length >= 3, 'three attempts');
    const times = s.requests.filter((r) => r.status === 401).map((r) => r.time);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(190);
    expect(pr.accepted).toHaveLength(0);
    expect(existsSync(join(dir, 'checkpoints', 'audit.json'))).toBe(false);

    // The secret is rotated in place (as a mounted Kubernetes secret is).
    writeFileSync(secret, `${DEMO_CREDENTIALS.token}\n`);
    await eventually(() => pr.accepted.length === 300, 'every record after the rotation');
    await eventually(() => p.components.get('audit')?.state === 'running', 'the source to report running again');
    expect((await fetch(`${p.apiUrl}/readyz`)).status).toBe(200);
    expect(new Set(pr.accepted.map((e) => e.meta.id)).size).toBe(300);
    expect(logs.lines.join('\n')).not.toContain('revoked-token-4711');
    expect(logs.lines.join('\n')).not.toContain(DEMO_CREDENTIALS.token);
    expect(logs.lines.some((l) => l.includes('re-read from their file'))).toBe(true);
  });

  it('--once still fails on a rejected token, with Zendesk’s error text and no checkpoint', async () => {
    const s = await sim({ data: { auditLogs: 50, accessLogs: 10, ticketEvents: 10 } });
    const dir = tempDir('zsf-auth-once-');
    probe('auth-once');
    const p = await start(
      {
        dataDir: dir,
        zendesk: { accounts: [{ name: 'acme', baseUrl: s.url, auth: { type: 'token', email: DEMO_CREDENTIALS.email, token: 'wrong-token-0815' } }] },
        sources: [{ id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: new Date(s.timeRange.start * 1000).toISOString() }],
        sinks: [{ id: 'out', type: 'probe', probe: 'auth-once', inputs: ['audit'] }],
      },
      true,
    );
    const r = await p.done;
    expect(r.ok).toBe(false);
    expect(r.failures).toEqual([{ component: 'audit', reason: expect.stringMatching(/HTTP 401: .+/) }]);
    expect(r.failures[0]!.reason).not.toContain('wrong-token-0815');
    expect(s.requests.filter((q) => q.status === 401)).toHaveLength(1);
    expect(existsSync(join(dir, 'checkpoints', 'audit.json'))).toBe(false);
  });
});

describe('source lag', () => {
  it('a quiet ticket stream reports lag near pollInterval + minAge while its checkpoint time stays days old', async () => {
    // The last ticket event is two days old; nothing new arrives.
    const s = await sim({ data: { auditLogs: 10, accessLogs: 10, ticketEvents: 200, endTime: Date.now() - 2 * 86_400_000 } });
    const dir = tempDir('zsf-lag-');
    probe('lag');
    const p = await start(
      {
        dataDir: dir,
        zendesk: { accounts: [{ name: 'acme', baseUrl: s.url, auth: { type: 'token', email: DEMO_CREDENTIALS.email, token: DEMO_CREDENTIALS.token }, requestsPerMinute: 100_000 }] },
        sources: [{ id: 'tickets', type: 'zendesk_ticket_audits', account: 'acme', startTime: new Date(s.timeRange.start * 1000 - 60_000).toISOString(), pollInterval: '1s', minAge: '60s' }],
        sinks: [{ id: 'out', type: 'probe', probe: 'lag', inputs: ['tickets'] }],
      },
      false,
    );
    const lag = async () => (await p.metrics.sourceLag.get()).values.find((v) => v.labels.source === 'tickets')?.value;
    // Two polls that found nothing new: the second proves the value is kept fresh, not a one-off.
    await eventually(() => s.requests.filter((r) => r.endpoint === 'ticket_events').length >= 3, 'three polls');
    await eventually(async () => (await lag()) !== undefined && (await lag())! < 120, 'the lag to reflect the poll');
    // Checkpoint writes are coalesced (within a second of the batch being done).
    await eventually(() => existsSync(join(dir, 'checkpoints', 'tickets.json')), 'the checkpoint write');
    const cp = JSON.parse(readFileSync(join(dir, 'checkpoints', 'tickets.json'), 'utf8')) as { checkpointTime: number };
    expect(Date.now() - cp.checkpointTime).toBeGreaterThan(86_400_000);
    const value = (await lag())!;
    // minAge (60 s) + at most one poll interval and some scheduling slack.
    expect(value).toBeGreaterThanOrEqual(59);
    expect(value).toBeLessThan(65);
  });
});
