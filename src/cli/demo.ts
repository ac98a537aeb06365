// `zsf demo` (what `npm start` runs): starts the Zendesk simulator in-process, runs
// examples/demo.yaml against it once, and prints what flowed and where the output is.

import type { Command } from 'commander';
import { resolve } from 'node:path';
import { loadConfigFile } from '../app/config.js';
import type { Pipeline } from '../app/start.js';
import { DEMO_CREDENTIALS, startSimulator } from '../simulator/index.js';
import { runFromConfig } from './run.js';
import { formatSummary, summarise } from './summary.js';

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
        console.log();
        for (const line of formatSummary(await summarise(p, result, Date.now() - started))) console.log(line);
        for (const s of loaded.config.sinks) if (s.type === 'file') console.log(`  output:      ${resolve(loaded.baseDir, String(s.path))}`);
        console.log(`  checkpoints: ${loaded.config.dataDir}/checkpoints/ (run again: it resumes and sends nothing twice)`);
        process.exitCode = result.ok ? 0 : 1;
      } finally {
        await sim.close();
      }
    });
}
