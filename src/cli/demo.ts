// `zsf demo` (what `npm start` runs): the embedded default job on examples/demo.yaml,
// then a short summary of what flowed and where the output is.

import type { Command } from 'commander';
import { loadConfigFile } from '../config/load.js';
import { runFromConfig } from './run.js';
import type { Pipeline } from '../core/pipeline.js';

async function metricValues(p: Pipeline, name: string): Promise<{ labels: Record<string, string | number>; value: number }[]> {
  const m = await p.metrics.registry.getSingleMetric(name)?.get();
  return (m?.values ?? []).map((v) => ({ labels: v.labels as Record<string, string | number>, value: v.value }));
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the built-in demo (examples/demo.yaml) once and summarise what flowed')
    .option('-c, --config <file>', 'demo config', 'examples/demo.yaml')
    .action(async (o: { config: string }) => {
      const loaded = loadConfigFile(o.config);
      let pipeline: Pipeline | undefined;
      const started = Date.now();
      const result = await runFromConfig(loaded, { once: true, onStart: (p) => (pipeline = p) });
      const p = pipeline!;
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      console.log(`\nzendesk-siem-forwarder demo: ${result.ok ? 'done' : 'FAILED'} in ${secs}s`);
      for (const v of await metricValues(p, 'zsf_source_records_total')) console.log(`  source ${v.labels.source} (${v.labels.stream}): ${v.value} records`);
      for (const v of await metricValues(p, 'zsf_source_requests_total')) console.log(`  source ${v.labels.source}: ${v.value} requests with status ${v.labels.code}`);
      for (const v of await metricValues(p, 'zsf_sink_events_sent_total')) console.log(`  sink ${v.labels.sink}: ${v.value} events delivered`);
      for (const v of await metricValues(p, 'zsf_dead_letters_total')) console.log(`  dead letters from ${v.labels.component} (${v.labels.reason}): ${v.value}`);
      for (const s of loaded.config.sinks) if (s.type === 'file') console.log(`  output: ${String(s.path)}`);
      console.log(`  checkpoints: ${loaded.config.dataDir}/checkpoints/  (run again: it resumes, nothing is re-sent)`);
      for (const f of result.failures) console.log(`  FAILED ${f.component}: ${f.reason}`);
      process.exitCode = result.ok ? 0 : 1;
    });
}
