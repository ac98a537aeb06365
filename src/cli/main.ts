#!/usr/bin/env node
// Command-line entry: `zsf run | validate | config schema | checkpoints | simulate | demo`.
// Exit codes: 0 success, 1 runtime failure, 2 invalid configuration or usage.

import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/errors.js';
import { loadConfigFile } from '../config/load.js';
import { configJsonSchema } from '../config/schema.js';
import { registerCheckpointsCommand } from './checkpoints.js';
import { registerContentCommand } from './content.js';
import { runFromConfig } from './run.js';
import { registerDemoCommand } from './demo.js';
import { registerSimulateCommand } from './simulate.js';
import { registerTopCommand } from './top.js';

// src/cli/main.ts under tsx, dist/src/cli/main.js when built: package.json is two or three levels up.
function readVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version: string }).version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
}

const program = new Command()
  .name('zsf')
  .description('zendesk-siem-forwarder: ship Zendesk audit logs, ticket audits and access logs to your SIEM')
  .version(readVersion())
  .exitOverride();

program
  .command('run')
  .description('run the pipeline described by a config file')
  .requiredOption('-c, --config <file>', 'config file (YAML)')
  .option('--once', 'catch up to now, deliver everything, commit and exit')
  .action(async (o: { config: string; once?: boolean }) => {
    const result = await runFromConfig(loadConfigFile(o.config), { once: o.once ?? false });
    process.exitCode = result.ok ? 0 : 1;
  });

program
  .command('validate')
  .description('check a config file (schema, references, graph) without running it')
  .requiredOption('-c, --config <file>', 'config file (YAML)')
  .action((o: { config: string }) => {
    const { config } = loadConfigFile(o.config);
    console.log(`${o.config}: OK (${config.sources.length} sources, ${config.transforms.length} transforms, ${config.sinks.length} sinks)`);
  });

program
  .command('config')
  .description('config helpers')
  .command('schema')
  .description('print the JSON Schema of the config file (for editors)')
  .action(() => {
    console.log(JSON.stringify(configJsonSchema(), null, 2));
  });

registerCheckpointsCommand(program);
registerSimulateCommand(program);
registerDemoCommand(program);
registerTopCommand(program);
registerContentCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exitCode = 2;
  } else if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
