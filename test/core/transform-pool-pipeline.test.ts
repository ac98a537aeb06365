// The worker pool inside a pipeline: two accounts' three streams through the ocsf transform
// give the same events, per account and stream in the same order, with `workers: 2` as on the
// main thread; a record the mapper rejects is dead-lettered with its raw body as before.

import { afterEach, describe, expect, it } from 'vitest';
import { startPipeline } from '../../src/app/start.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { captureLogs, probe, readDeadLetters, tempDir } from '../support/probe.js';
import { simAccount, startOf } from '../support/zendesk-run.js';

const open: Simulator[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

async function runOcsf(a: Simulator, b: Simulator, workers: number, name: string) {
  const dataDir = tempDir('zsf-pool-');
  const pr = probe(name);
  const logs = captureLogs();
  const sources = (acct: string, s: Simulator) => [
    { id: `audit_${acct}`, type: 'zendesk_audit_logs', account: acct, startTime: startOf(s), initialWindow: '30d' },
    { id: `tickets_${acct}`, type: 'zendesk_ticket_audits', account: acct, startTime: startOf(s) },
    { id: `access_${acct}`, type: 'zendesk_access_logs', account: acct, startTime: startOf(s), pageSize: 500 },
  ];
  const all = [...sources('a', a), ...sources('b', b)];
  const p = await startPipeline(
    {
      dataDir,
      workers,
      api: { enabled: false },
      zendesk: { accounts: [simAccount(a.url, 'a'), simAccount(b.url, 'b')] },
      sources: all,
      transforms: [{ id: 'ocsf', type: 'ocsf', inputs: all.map((s) => s.id) }],
      sinks: [{ id: 'out', type: 'probe', probe: name, inputs: ['ocsf'], batch: { maxEvents: 500 } }],
    },
    { once: true, logDestination: logs.stream },
  );
  const result = await p.done;
  /** Each account's and stream's events, in the order the sink got them. */
  const byStream = new Map<string, string[]>();
  for (const e of pr.accepted) {
    const key = `${e.meta.account}/${e.meta.stream}`;
    byStream.set(key, [...(byStream.get(key) ?? []), JSON.stringify({ meta: e.meta, body: e.body })]);
  }
  return { result, byStream, dataDir, logs: logs.lines };
}

describe('transform worker pool in a pipeline', () => {
  it('ships the same events in the same order per stream with workers as without, and dead-letters the same record', async () => {
    const a = await startSimulator({ seed: 11, limits: { enabled: false }, data: { auditLogs: 900, accessLogs: 2200, ticketEvents: 700 } });
    const b = await startSimulator({ seed: 12, limits: { enabled: false }, data: { auditLogs: 600, accessLogs: 1300, ticketEvents: 400 } });
    open.push(a, b);
    const [bad] = a.append('audit_logs', [{ action: null } as unknown as Record<string, unknown>], { timeOffset: -3600 });

    const main = await runOcsf(a, b, 0, 'pool-main');
    const pooled = await runOcsf(a, b, 2, 'pool-workers');
    expect(main.result.ok).toBe(true);
    expect(pooled.result.ok).toBe(true);
    expect(pooled.logs.some((l) => l.includes('mapping in worker threads'))).toBe(true);
    expect(main.logs.some((l) => l.includes('mapping in worker threads'))).toBe(false);

    expect([...pooled.byStream.keys()].sort()).toEqual([...main.byStream.keys()].sort());
    for (const [key, events] of main.byStream) expect(pooled.byStream.get(key), key).toEqual(events);
    const total = [...main.byStream.values()].reduce((n, xs) => n + xs.length, 0);
    expect(total).toBe(900 + 2200 + 700 + 600 + 1300 + 400);

    for (const run of [main, pooled]) {
      const dead = readDeadLetters(run.dataDir);
      expect(dead).toEqual([expect.objectContaining({ component: 'ocsf', reason: 'transform_failed', detail: expect.stringContaining('"action"'), kind: 'event' })]);
      expect((dead[0]!.payload as { body: { id: number } }).body.id).toBe(bad!.id);
    }
  });
});
