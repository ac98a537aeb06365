// `zsf demo` (what `npm start` runs): starts the Zendesk simulator in-process, runs
// examples/demo.yaml against it once, and prints what flowed and where the output is.

import type { Command } from 'commander';
import { resolve } from 'node:path';
import { loadConfigFile } from '../config/load.js';
import type { Pipeline } from '../core/pipeline.js';
import { DEMO_CREDENTIALS, startSimulator } from '../simulator/index.js';
import { runFromConfig } from './run.js';

async function metricValues(p: Pipeline, name: string): Promise<{ labels: Record<string, string | number>; value: number }[]> {
  const m = await p.metrics.registry.getSingleMetric(name)?.get();
  return (m?.values ?? []).map((v) => ({ labels: v.labels as Record<string, string | number>, value: v.value }));
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the built-in demo once: simulated Zendesk -> OCSF -> ./data/demo/events.ndjson')
    .option('-c, --config <file>', 'demo config', 'examples/demo.yaml')
    .option('--seed <n>', 'simulator seed', '1')
    .action(async (o: { config: string; seed: string }) => {
      const sim = await startSimulator({
        seed: Number(o.seed),
        // A week of history ending at the start of today (UTC): every run today sees the same records.
        data: { auditLogs: 2000, ticketEvents: 1500, accessLogs: 3000, endTime: Math.floor(Date.now() / 86_400_000) * 86_400_000 },
      });
      process.env.ZSF_DEMO_ZENDESK_URL = sim.url;
      process.env.ZSF_DEMO_EMAIL = DEMO_CREDENTIALS.email;
      process.env.ZSF_DEMO_TOKEN = DEMO_CREDENTIALS.token;
      process.env.ZSF_DEMO_START = new Date(sim.timeRange.start * 1000 - 3_600_000).toISOString();
      try {
        const loaded = loadConfigFile(o.config);
        let pipeline: Pipeline | undefined;
        const started = Date.now();
        console.log(`zendesk-siem-forwarder demo: simulated Zendesk at ${sim.url}; running ${o.config} once…`);
        const result = await runFromConfig(loaded, { once: true, onStart: (p) => (pipeline = p) });
        const p = pipeline!;
        const secs = ((Date.now() - started) / 1000).toFixed(1);
        console.log(`\n${result.ok ? 'done' : 'FAILED'} in ${secs}s`);
        const requests = await metricValues(p, 'zsf_source_requests_total');
        for (const v of await metricValues(p, 'zsf_source_records_total')) {
          const reqs = requests.filter((r) => r.labels.source === v.labels.source);
          const total = reqs.reduce((a, r) => a + r.value, 0);
          const limited = reqs.filter((r) => r.labels.code === '429').reduce((a, r) => a + r.value, 0);
          console.log(`  ${String(v.labels.stream).padEnd(13)} ${String(v.value).padStart(6)} records, ${total} requests, ${limited} × 429`);
        }
        for (const v of await metricValues(p, 'zsf_sink_events_sent_total')) console.log(`  sink ${v.labels.sink}: ${v.value} events written`);
        for (const v of await metricValues(p, 'zsf_dead_letters_total')) console.log(`  dead letters from ${v.labels.component} (${v.labels.reason}): ${v.value}`);
        for (const s of loaded.config.sinks) if (s.type === 'file') console.log(`  output:      ${resolve(loaded.baseDir, String(s.path))}`);
        console.log(`  checkpoints: ${loaded.config.dataDir}/checkpoints/ (run again: it resumes and sends nothing twice)`);
        for (const f of result.failures) console.log(`  FAILED ${f.component}: ${f.reason}`);
        process.exitCode = result.ok ? 0 : 1;
      } finally {
        await sim.close();
      }
    });
}
