// The README metrics table is the truth about /metrics: a running pipeline (simulator -> three
// Zendesk sources -> OCSF -> file sink and Splunk HEC sink) is scraped and the set of metric
// names it exports is compared with the table, both ways. The per-component counters are
// checked against what actually flowed.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePromText, type ParsedMetrics } from '../../src/cli/top/prom-text.js';
import { startPipeline, type Pipeline } from '../../src/app/start.js';
import { DEMO_CREDENTIALS, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { startHecReceiver, type HecReceiver } from '../receivers/hec.js';
import { captureLogs, tempDir } from '../support/probe.js';

const HEC_TOKEN = 'metrics-table-hec-token-5b2';

/** Metric names in the first column of the README's metrics table, with the row's text (for conditions). */
function readmeTable(): { name: string; row: string }[] {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('\n## Metrics\n'), readme.indexOf('\n## ', readme.indexOf('\n## Metrics\n') + 5));
  const rows = section.split('\n').filter((l) => l.startsWith('| `'));
  return rows.flatMap((row) => [...row.split('|')[1]!.matchAll(/`([a-z_:][a-z0-9_:]*)`/g)].map((m) => ({ name: m[1]!, row })));
}

function value(m: ParsedMetrics, name: string, labels: Record<string, string>): number | undefined {
  return m.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe('README metrics table', () => {
  let sim: Simulator;
  let hec: HecReceiver;
  let pipeline: Pipeline;
  let dir: string;
  let scraped: ParsedMetrics;
  const counts = { audit: 0, tickets: 0, access: 0 };

  beforeAll(async () => {
    const endTime = Date.now() - 3_600_000;
    sim = await startSimulator({ seed: 7, data: { auditLogs: 300, ticketEvents: 120, accessLogs: 400, endTime, startTime: endTime - 2 * 86_400_000 }, limits: { enabled: false } });
    counts.audit = sim.records('audit_logs').length;
    counts.tickets = sim.records('ticket_events').length;
    counts.access = sim.records('access_logs').length;
    hec = await startHecReceiver({ tokens: [HEC_TOKEN] });
    dir = tempDir('zsf-metrics-');
    const startTime = new Date(endTime - 3 * 86_400_000).toISOString();
    pipeline = await startPipeline(
      {
        dataDir: join(dir, 'data'),
        zendesk: { accounts: [{ name: 'sim', baseUrl: sim.url, auth: { type: 'token', email: DEMO_CREDENTIALS.email, token: DEMO_CREDENTIALS.token } }] },
        sources: [
          { id: 'audit', type: 'zendesk_audit_logs', account: 'sim', startTime, initialWindow: '4d', maxWindow: '4d' },
          { id: 'tickets', type: 'zendesk_ticket_audits', account: 'sim', startTime },
          { id: 'access', type: 'zendesk_access_logs', account: 'sim', startTime, initialWindow: '4d', maxWindow: '4d' },
        ],
        transforms: [{ id: 'ocsf', type: 'ocsf', inputs: ['audit', 'tickets', 'access'] }],
        sinks: [
          { id: 'archive', type: 'file', inputs: ['ocsf'], path: join(dir, 'events.ndjson'), buffer: { type: 'disk', maxBytes: '64MiB' } },
          { id: 'splunk', type: 'splunk_hec', inputs: ['ocsf'], endpoint: hec.url, token: HEC_TOKEN, healthcheck: { enabled: false } },
        ],
      },
      { api: { listen: '127.0.0.1:0' }, logDestination: captureLogs().stream },
    );
    // Wait until every record has been read and both sinks delivered all the transform put out.
    const m = pipeline.metrics;
    const total = async (metric: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> }, labels: Record<string, string>) =>
      (await metric.get()).values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0);
    const end = Date.now() + 60_000;
    for (;;) {
      const read = await total(m.componentReceivedEvents, { kind: 'source' });
      const out = await total(m.componentSentEvents, { component: 'ocsf' });
      const file = await total(m.componentSentEvents, { component: 'archive' });
      const splunk = await total(m.componentSentEvents, { component: 'splunk' });
      if (read === counts.audit + counts.tickets + counts.access && out > 0 && file === out && splunk === out) break;
      if (Date.now() > end) throw new Error(`timed out: read ${read}, ocsf out ${out}, archive ${file}, splunk ${splunk}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const res = await fetch(`${pipeline.apiUrl}/metrics`);
    expect(res.status).toBe(200);
    scraped = parsePromText(await res.text());
  }, 90_000);

  afterAll(async () => {
    await pipeline?.stop();
    await hec?.close();
    await sim?.close();
  });

  it('lists every metric /metrics exports, and exports every metric it lists', () => {
    const table = readmeTable();
    const exported = new Set(scraped.types.keys());
    const listed = new Set(table.map((t) => t.name));
    const notInTable = [...exported].filter((n) => !listed.has(n));
    expect(notInTable, 'exported but not in the README table').toEqual([]);
    // Rows that say when they apply: a datadog_logs sink (not configured here), Linux only.
    const applies = (row: string) => !row.includes('only with a `datadog_logs` sink') && (process.platform === 'linux' || !row.includes('Linux only'));
    const missing = table.filter((t) => applies(t.row) && !exported.has(t.name)).map((t) => t.name);
    expect(missing, 'in the README table but not exported').toEqual([]);
    // No doubled prefixes such as zsf_process_process_cpu_seconds_total.
    expect([...exported].filter((n) => /^zsf_process_|^zsf_nodejs_/.test(n))).toEqual([]);
    expect(exported.has('process_cpu_seconds_total')).toBe(true);
  });

  it('zsf_build_info is 1 with the package version and the Node.js version', () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(value(scraped, 'zsf_build_info', { version, node: process.version })).toBe(1);
  });

  it('the per-component received/sent counters agree with what flowed', () => {
    const ev = (dir: 'received' | 'sent', component: string, kind: string) => value(scraped, `zsf_component_${dir}_events_total`, { component, kind });
    const by = (dir: 'received' | 'sent', component: string, kind: string) => value(scraped, `zsf_component_${dir}_bytes_total`, { component, kind });
    for (const [id, n] of Object.entries(counts)) {
      expect(ev('received', id, 'source'), id).toBe(n);
      expect(ev('sent', id, 'source'), id).toBe(n);
      expect(value(scraped, 'zsf_source_records_total', { source: id }), id).toBe(n);
      expect(by('received', id, 'source'), id).toBeGreaterThan(n * 50); // response bodies: at least ~50 bytes per record
    }
    const intoOcsf = ev('received', 'ocsf', 'transform')!;
    const outOfOcsf = ev('sent', 'ocsf', 'transform')!;
    expect(intoOcsf).toBe(counts.audit + counts.tickets + counts.access);
    expect(outOfOcsf).toBe(value(scraped, 'zsf_transform_events_total', { transform: 'ocsf' }));
    const lines = readFileSync(join(dir, 'events.ndjson'), 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(outOfOcsf);
    for (const sink of ['archive', 'splunk']) {
      expect(ev('received', sink, 'sink'), sink).toBe(outOfOcsf);
      expect(ev('sent', sink, 'sink'), sink).toBe(outOfOcsf);
      expect(value(scraped, 'zsf_sink_events_sent_total', { sink }), sink).toBe(outOfOcsf);
      // Event bytes: the JSON of each event body, the same for both sinks; everything received was delivered.
      expect(by('sent', sink, 'sink'), sink).toBe(by('received', sink, 'sink'));
    }
    // The file sink writes each event body's JSON plus a newline.
    const fileBytes = lines.reduce((a, l) => a + Buffer.byteLength(l), 0);
    expect(by('sent', 'archive', 'sink')).toBe(fileBytes);
    expect(by('received', 'splunk', 'sink')).toBe(fileBytes);
    expect(hec.received.length).toBe(outOfOcsf);
  });
});
