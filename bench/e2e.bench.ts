// End to end, as an operator runs it: the built-in Zendesk simulator (rate limits off) ->
// `zsf run --once` (the built dist/, in a child process of its own) -> OCSF -> Splunk HEC
// (gzip) into a protocol receiver. Memory and disk buffers, at ZSF_BENCH_E2E_SIZES records
// (default 100000; add 1000000 for the long case).
//
// Printed per case: events/s, the ratio to the yardstick (JSON.parse + JSON.stringify of the
// same OCSF events, measured in this process just before and just after the case, and
// averaged, so a slow or fast moment of the machine moves both), the child's peak RSS
// (VmHWM) and Zendesk requests divided by the minimum the page sizes allow.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sectionDefault, type BuildEnv } from '../src/core/plugin.js';
import { recordToEvent, type PipelineEvent } from '../src/core/types.js';
import { DEMO_CREDENTIALS, startSimulator } from '../src/simulator/index.js';
import { startHecReceiver } from '../test/receivers/hec.js';
import { transformPlugins } from '../transforms/index.js';
import { ensureBuilt, rawJsonRate, spawnProduct, type BenchRow } from './lib.js';

const SIZES = (process.env.ZSF_BENCH_E2E_SIZES ?? '100000').split(',').map(Number);

/** 40 % audit logs, 50 % access logs, 10 % ticket events: roughly what an Enterprise account logs. */
const mix = (n: number) => ({ auditLogs: Math.round(n * 0.4), accessLogs: Math.round(n * 0.5), ticketEvents: Math.round(n * 0.1) });
/** Page sizes: audit logs 100, access logs 2500 (configured below), ticket events 1000. */
const minimumRequests = (m: ReturnType<typeof mix>) => Math.ceil(m.auditLogs / 100) + Math.ceil(m.accessLogs / 2500) + Math.ceil(m.ticketEvents / 1000);

/** The yardstick's input: the simulator's records mapped to OCSF, serialised. */
async function ocsfSample(sim: Awaited<ReturnType<typeof startSimulator>>): Promise<string[]> {
  const plugin = transformPlugins.find((p) => p.type === 'ocsf')!;
  const t = plugin.create({ id: 'ocsf', type: 'ocsf', inputs: [], enrich: true, newIpWindow: 30 * 86_400_000, newIpMaxUsers: 100_000, ticketAudits: 'per_audit', rawData: false } as never, { section: sectionDefault } as BuildEnv);
  const out: string[] = [];
  const streams = [
    ['audit_log', sim.records('audit_logs')],
    ['access_log', sim.records('access_logs')],
    ['ticket_audit', sim.records('ticket_events')],
  ] as const;
  for (const [stream, records] of streams) {
    for (const raw of records.slice(0, 2000) as unknown as Record<string, unknown>[]) {
      const r = await t(recordToEvent({ account: 'sim', stream, id: String(raw.id), time: 0, raw }));
      for (const e of (Array.isArray(r) ? r : r ? [r] : []) as PipelineEvent[]) out.push(JSON.stringify(e.body));
    }
  }
  return out;
}

/** `zsf run --once` as its own process: wall time and peak RSS. */
async function runChild(config: string): Promise<{ code: number | null; secs: number; peakRssMb: number; stderr: string }> {
  const t0 = performance.now();
  const p = spawnProduct(['run', '--once', '-c', config]);
  const { code, stderr } = await p.exited;
  return { code, secs: (performance.now() - t0) / 1000, peakRssMb: p.peakRssMb(), stderr };
}

export default async function (): Promise<BenchRow[]> {
  ensureBuilt();
  const rows: BenchRow[] = [];
  for (const size of SIZES) {
    const m = mix(size);
    const sim = await startSimulator({ seed: 5, data: { ...m, endTime: Date.now() - 600_000 }, limits: { enabled: false } });
    const yardstickInput = await ocsfSample(sim);
    try {
      for (const buffer of ['memory', 'disk'] as const) {
        const hec = await startHecReceiver({ record: false });
        const dir = mkdtempSync(join(tmpdir(), 'zsf-bench-e2e-'));
        const start = new Date(sim.timeRange.start * 1000 - 60_000).toISOString();
        const config = join(dir, 'zsf.yaml');
        writeFileSync(
          config,
          JSON.stringify({
            dataDir: join(dir, 'data'),
            api: { enabled: false },
            log: { level: 'warn' },
            zendesk: { accounts: [{ name: 'sim', baseUrl: sim.url, auth: { type: 'token', email: DEMO_CREDENTIALS.email, token: DEMO_CREDENTIALS.token }, requestsPerMinute: 100_000 }] },
            sources: [
              { id: 'audit', type: 'zendesk_audit_logs', account: 'sim', startTime: start, initialWindow: '1d' },
              { id: 'access', type: 'zendesk_access_logs', account: 'sim', startTime: start, pageSize: 2500, initialWindow: '1d', requestsPerMinute: 1000 },
              { id: 'tickets', type: 'zendesk_ticket_audits', account: 'sim', startTime: start, requestsPerMinute: 100 },
            ],
            transforms: [{ id: 'ocsf', type: 'ocsf', inputs: ['audit', 'access', 'tickets'] }],
            sinks: [
              {
                id: 'hec',
                type: 'splunk_hec',
                inputs: ['ocsf'],
                endpoint: hec.url,
                token: 'test-hec-token',
                buffer: buffer === 'disk' ? { type: 'disk', maxBytes: '1GiB' } : { type: 'memory' },
              },
            ],
          }),
        );
        sim.resetStats();
        const before = rawJsonRate(yardstickInput, 1500);
        const r = await runChild(config);
        const after = rawJsonRate(yardstickInput, 1500);
        const yardstick = (before + after) / 2;
        await hec.close();
        rmSync(dir, { recursive: true, force: true });
        if (r.code !== 0) throw new Error(`zsf run --once exited ${r.code}:\n${r.stderr}`);
        const events = hec.indexedCount;
        const eps = events / r.secs;
        rows.push({
          name: `simulator → OCSF → HEC (gzip), ${buffer} buffer, ${size.toLocaleString('en-US')} records`,
          eventsPerSec: eps,
          peakRssMb: r.peakRssMb,
          ratio: eps / yardstick,
          ratioTo: `yardstick ${Math.round(yardstick).toLocaleString('en-US')}/s`,
          note: `${events} events in ${r.secs.toFixed(1)} s (process start included); requests ÷ minimum ${(sim.counters.total / minimumRequests(m)).toFixed(2)}`,
        });
      }
    } finally {
      await sim.close();
    }
  }
  return rows;
}
